"""Opening cases: from a response (its answers, or its comments' negative themes) and from a
public review.

One response opens at most one case, with the severity of the most severe rule that fired.
While a case is open for the same customer (the invited contact, or the email or phone given
with "contact me"), a new matching response is linked to that case instead of opening another;
a more severe match raises the case's severity. Openings in one organisation are serialised by
a row lock on its LoopSettings, which also numbers the cases (#1, #2, … without gaps), so two
workers never open two cases for one customer or one response.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from palaute.loop import notifications, owners, rules, targets
from palaute.loop.configuration import settings_for
from palaute.loop.models import OPEN_STATUSES, Case, CaseEvent, CaseResponse, LoopSettings, Rule
from palaute.loop.payloads import case_payload
from palaute.loop.workflow import raise_severity, record_event
from palaute.outreach.models import Account, Contact
from palaute.outreach.phones import InvalidPhone, normalise_phone
from palaute.surveys.models import Response
from palaute.text.names import name_of, theme_names
from palaute.webhooks.events import emit

Kind = Rule.Kind
TITLE_COMMENT_CHARS = 80


@dataclass(frozen=True)
class Customer:
    """Who the feedback came from, as far as we know."""

    contact: Contact | None = None
    account: Account | None = None
    name: str = ""
    email: str = ""
    phone: str = ""

    @property
    def known(self) -> bool:
        return bool(self.contact or self.email or self.phone)


# --- from a response -------------------------------------------------------------------------


def open_for_response(
    response: Response, *, kinds: tuple[str, ...], negative_themes: tuple[str, ...] = ()
) -> Case | None:
    """Apply the organisation's active rules of ``kinds`` to a stored response; returns the
    case it opened or was linked to, or None when no rule fired. Safe to call twice."""
    organisation = response.organisation
    settings = settings_for(organisation)
    active = [
        rules.ActiveRule.of(rule)
        for rule in Rule.objects.filter(organisation=organisation, is_active=True, kind__in=kinds)
    ]
    answers = list(response.answers.all())
    matches = rules.match_response(
        active, survey_id=response.survey_id, answers=answers, negative_themes=negative_themes
    )
    if not matches:
        return None
    best = matches[0]
    with transaction.atomic():
        LoopSettings.objects.select_for_update().filter(pk=settings.pk).first()
        linked = (
            Case.objects.filter(links__response=response).select_related("organisation").first()
        )
        if linked is not None:
            # Already handled (a retry, or another rule kind got there first).
            if linked.is_open:
                raise_severity(linked, best.severity, reason=_rule_label(best))
            return linked
        customer = customer_of(response)
        case = _open_case_of(organisation, customer)
        if case is not None:
            _link(case, response, best)
            return case
        return _create(settings, response, customer, best, matches, answers)


def customer_of(response: Response) -> Customer:
    """The invited contact (and their account), else the "contact me" details, matched to a
    stored contact by email or phone when there is one."""
    invitation = getattr(response, "invitation", None)
    if invitation is not None:
        invited = Contact.objects.select_related("account").get(pk=invitation.contact_id)
        return Customer(
            contact=invited,
            account=invited.account,
            name=response.contact_name or invited.name,
            email=(response.contact_email or invited.email).lower(),
            phone=_phone(response.contact_phone) or invited.phone,
        )
    email = response.contact_email.strip().lower()
    phone = _phone(response.contact_phone)
    if not email and not phone:
        return Customer(name=response.contact_name)
    found = Q(email=email) if email else Q()
    if phone:
        found = found | Q(phone=phone) if email else Q(phone=phone)
    contact = (
        Contact.objects.filter(found, organisation_id=response.organisation_id)
        .select_related("account")
        .order_by("pk")
        .first()
    )
    return Customer(
        contact=contact,
        account=contact.account if contact is not None else None,
        name=response.contact_name or (contact.name if contact is not None else ""),
        email=email,
        phone=phone,
    )


def _phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except InvalidPhone:
        return raw.strip()


def _open_case_of(organisation, customer: Customer) -> Case | None:
    if not customer.known:
        return None
    same = Q()
    if customer.contact is not None:
        same |= Q(contact=customer.contact)
    if customer.email:
        same |= Q(customer_email=customer.email)
    if customer.phone:
        same |= Q(customer_phone=customer.phone)
    return (
        Case.objects.filter(same, organisation=organisation, status__in=OPEN_STATUSES)
        .exclude(trigger=Kind.LOW_REVIEW)
        .select_related("organisation")
        .order_by("opened_at", "pk")
        .first()
    )


def _link(case: Case, response: Response, match: rules.Match) -> None:
    _, created = CaseResponse.objects.get_or_create(case=case, response=response)
    if created:
        record_event(
            case,
            CaseEvent.Kind.RESPONSE_LINKED,
            data={
                "response_id": response.pk,
                "trigger": match.rule.kind,
                "rule_id": match.rule.id,
                "score": match.score,
            },
        )
    raise_severity(case, match.severity, reason=_rule_label(match))


def _create(
    settings: LoopSettings,
    response: Response,
    customer: Customer,
    best: rules.Match,
    matches: list[rules.Match],
    answers: list,
) -> Case:
    organisation = response.organisation
    touchpoint = response.touchpoint
    comment = next((a.text for a in answers if a.kind == "text" and a.text.strip()), "")
    with translation.override(organisation.default_language):
        theme = ""
        if best.rule.kind == Kind.NEGATIVE_THEME:
            theme = name_of(best.rule.theme_key, theme_names(organisation.pk))
        what = what_happened(best, theme)
        title = case_title(what, touchpoint.name if touchpoint is not None else "", comment)
    if response.channel == "sms" and customer.phone:
        reply_channel = "sms"
    elif customer.email:
        reply_channel = "email"
    else:
        reply_channel = "sms" if customer.phone else ""
    case = _new_case(
        settings,
        rule_id=best.rule.id,
        trigger=best.rule.kind,
        title=title,
        severity=best.severity,
        touchpoint=touchpoint,
        stage_id=response.stage_id or (touchpoint.stage_id if touchpoint is not None else None),
        customer=customer,
        language=response.language or organisation.default_language,
        reply_channel=reply_channel,
        opened_data={
            "trigger": best.rule.kind,
            "rule_id": best.rule.id,
            "score": best.score,
            "response_id": response.pk,
            "matched": [m.rule.kind for m in matches],
        },
    )
    CaseResponse.objects.create(case=case, response=response)
    return case


def _new_case(
    settings: LoopSettings,
    *,
    rule_id: int | None,
    trigger: str,
    title: str,
    severity: str,
    touchpoint,
    stage_id: int | None,
    customer: Customer,
    language: str,
    reply_channel: str,
    opened_data: dict[str, Any],
    opened_at: datetime | None = None,
    source_url: str = "",
) -> Case:
    """Number, own, time and store a new case with its first history entries; emit
    ``case.opened`` and queue the owner's email. Runs inside the caller's transaction."""
    organisation = settings.organisation
    now = opened_at or timezone.now()
    owner_id, owner_source = owners.choose_owner(
        organisation, touchpoint=touchpoint, account=customer.account, settings=settings
    )
    due_at, warn_at = targets.deadlines(settings, severity, now)
    case = Case.objects.create(
        organisation=organisation,
        number=next_number(settings),
        rule_id=rule_id,
        trigger=trigger,
        title=title[:200],
        severity=severity,
        touchpoint=touchpoint,
        stage_id=stage_id,
        contact=customer.contact,
        account=customer.account,
        customer_name=customer.name[:200],
        customer_email=customer.email,
        customer_phone=customer.phone[:40],
        language=(language or "fi")[:8],
        reply_channel=reply_channel,
        owner_id=owner_id,
        owner_source=owner_source,
        opened_at=now,
        due_at=due_at,
        warn_at=warn_at,
        source_url=source_url,
    )
    record_event(case, CaseEvent.Kind.OPENED, data=opened_data, at=now)
    if owner_id is not None:
        record_event(
            case,
            CaseEvent.Kind.ASSIGNED,
            data={"from_id": None, "owner_id": owner_id, "source": owner_source},
            at=now,
        )
    emit(organisation, "case.opened", case_payload(case))
    notifications.case_assigned(case)
    return case


def next_number(settings: LoopSettings) -> int:
    """The next case number of the organisation (the UPDATE holds the row until commit)."""
    rows = LoopSettings.objects.filter(pk=settings.pk)
    rows.update(last_case_number=F("last_case_number") + 1)
    return rows.values_list("last_case_number", flat=True).get()


# --- from a public review ---------------------------------------------------------------------


def open_review_case(
    *,
    organisation,
    rating: int,
    text: str,
    author_name: str,
    touchpoint,
    url: str,
    language: str,
    source_label: str,
    opened_at: datetime | None = None,
) -> Case | None:
    """Apply the organisation's active low-review rules to a new review or a changed rating;
    returns the case opened (or, for a review that already has an open case, that case, its
    severity raised if the new rating is worse), or None when no rule fired.

    Call it in the transaction that stores the review. The review itself (stars, text, author,
    link) is kept in the case's "opened" history entry, so the case page shows it."""
    settings = settings_for(organisation)
    active = [
        rules.ActiveRule.of(rule)
        for rule in Rule.objects.filter(
            organisation=organisation, is_active=True, kind=Kind.LOW_REVIEW
        )
    ]
    fired = sorted(
        (rule for rule in active if rules.review_fires(rule, rating)),
        key=lambda rule: (rules.SEVERITY_RANK[rule.severity], rule.position),
    )
    if not fired:
        return None
    match = rules.Match(fired[0], rating)
    review = {
        "rating": rating,
        "text": text,
        "author": author_name,
        "url": url,
        "source": source_label,
    }
    with transaction.atomic():
        LoopSettings.objects.select_for_update().filter(pk=settings.pk).first()
        existing = None
        if url:
            existing = (
                Case.objects.filter(
                    organisation=organisation,
                    trigger=Kind.LOW_REVIEW,
                    source_url=url,
                    status__in=OPEN_STATUSES,
                )
                .select_related("organisation")
                .first()
            )
        if existing is not None:
            record_event(existing, CaseEvent.Kind.RESPONSE_LINKED, data={"review": review})
            raise_severity(existing, match.severity, reason=_rule_label(match))
            return existing
        with translation.override(organisation.default_language):
            what = _("%(stars)s★ review on %(source)s") % {
                "stars": rating,
                "source": source_label,
            }
            title = case_title(what, touchpoint.name if touchpoint else "", text)
        return _new_case(
            settings,
            rule_id=match.rule.id,
            trigger=Kind.LOW_REVIEW,
            title=title,
            severity=match.severity,
            touchpoint=touchpoint,
            stage_id=touchpoint.stage_id if touchpoint is not None else None,
            customer=Customer(name=author_name),
            language=language or organisation.default_language,
            reply_channel="",
            opened_data={"trigger": Kind.LOW_REVIEW, "rule_id": match.rule.id, "review": review},
            opened_at=opened_at,
            source_url=url[:500],
        )


# --- titles -----------------------------------------------------------------------------------


def _rule_label(match: rules.Match) -> str:
    return str(Rule.Kind(match.rule.kind).label)


def what_happened(match: rules.Match, theme: str = "") -> str:
    """The first part of a title, e.g. "NPS 3"; ``theme`` names a negative-theme rule's theme."""
    kind, score = match.rule.kind, match.score
    if kind == Kind.NPS_DETRACTOR:
        return _("NPS %(score)s") % {"score": score}
    if kind == Kind.LOW_CSAT:
        return _("CSAT %(score)s") % {"score": score}
    if kind == Kind.HIGH_CES:
        return _("Effort %(score)s/7") % {"score": score}
    if kind == Kind.SAD_FACE_COMMENT:
        return _("Sad face")
    if kind == Kind.CONTACT_ME:
        return _("Asked to be contacted")
    if kind == Kind.NEGATIVE_THEME:
        return _("Negative about %(theme)s") % {"theme": theme or match.rule.theme_key}
    return str(Rule.Kind(kind).label)


def case_title(what: str, touchpoint: str, comment: str) -> str:
    """A title that says what happened at a glance: "NPS 3 · Counter: “The queue was…”"."""
    title = f"{what} · {touchpoint}" if touchpoint else what
    comment = " ".join(comment.split())
    if comment:
        title += f": “{Truncator(comment).chars(TITLE_COMMENT_CHARS)}”"
    return title
