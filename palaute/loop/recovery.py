"""The recovery survey (BRIEF §4: "the customer can be re-surveyed after recovery"): once a
case is resolved, the customer is asked one question, "Did we fix it?" (yes / no, in Finnish or
English), and the answer is kept on the case (``recovered``, ``recovery_answered_at``). The
recovery rate is yes / answered (measures.py).

The question is an ordinary survey of the organisation (key ``recovery``, created on first
use, like the interview-notes survey) sent as an ordinary outreach invitation, so the personal
link, reminders, the named sender, opt-outs, bounces and the frequency cap all work as they do
for any survey. The invitation needs a contact: the case's own, else the organisation's contact
with the customer's email or phone, else a new contact made from the details the customer left
(marked ``source = case``). An existing contact's opt-outs apply; a skipped invitation is kept on
the case with its reason.

When it goes: automatically when a case is resolved (with the reason fixed, explained,
compensated, led to an improvement, or other) if the organisation's ``recovery_survey_enabled``
is on — most customers are never asked otherwise, and the rate means nothing on a handful of
hand-picked cases. The owner can also send it with one click from a resolved case (when the
setting is off, or the reason was "not reachable", or the first one was skipped). A case closed
as a duplicate or spam is never surveyed automatically, nor one closed as "no action needed".

The invitation comes from the case's owner (the person the customer dealt with) when they are
still a member, else as outreach chooses.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palaute.accounts.models import Membership
from palaute.loop import workflow
from palaute.loop.configuration import settings_for
from palaute.loop.models import Case, CaseEvent
from palaute.outreach.contacts import clean_email, clean_phone
from palaute.outreach.invitations import invite
from palaute.outreach.models import ChannelPreference, Contact, Invitation
from palaute.surveys.models import Answer, Response, Survey
from palaute.surveys.publishing import create_survey

logger = logging.getLogger(__name__)

RECOVERY_SURVEY_KEY = "recovery"
QUESTION_KEY = "fixed"
YES, NO = "yes", "no"
CONTACT_LANGUAGES = ("fi", "en")
SOURCE_PREFIX = "case:"
# Reasons a resolved case gets the survey without anyone asking for it.
AUTOMATIC_REASONS = (
    Case.Reason.FIXED,
    Case.Reason.EXPLAINED,
    Case.Reason.COMPENSATED,
    Case.Reason.IMPROVEMENT,
    Case.Reason.OTHER,
)
# An invitation in one of these states did not reach the customer: the owner may try again.
NOT_DELIVERED = (Invitation.Status.SKIPPED, Invitation.Status.FAILED, Invitation.Status.BOUNCED)


class RecoveryUnavailable(Exception):
    """The survey cannot be sent; ``errors`` maps the form field to the reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))


def _t(fi: str, en: str) -> dict[str, str]:
    return {"fi": fi, "en": en}


def recovery_definition() -> dict[str, Any]:
    return {
        "format": "palaute.survey/1",
        "languages": ["fi", "en"],
        "default_language": "fi",
        "title": _t("Saimmeko asian korjattua?", "Did we fix it?"),
        "intro": _t(
            "Olimme yhteydessä palautteesi vuoksi. Yksi kysymys vielä:",
            "We were in touch about your feedback. Just one question:",
        ),
        "thank_you": _t(
            "Kiitos! Vastauksesi kertoo meille, onnistuimmeko korjaamaan asian.",
            "Thank you! Your answer tells us whether we put things right.",
        ),
        "questions": [
            {
                "key": QUESTION_KEY,
                "type": "single_choice",
                "required": True,
                "text": _t("Saimmeko asian korjattua?", "Did we fix it?"),
                "options": [
                    {"key": YES, "text": _t("Kyllä", "Yes")},
                    {"key": NO, "text": _t("Ei", "No")},
                ],
            }
        ],
    }


def recovery_survey(organisation, user=None) -> Survey:
    """The organisation's recovery survey, created on first use. It accepts responses (an
    invitation to a closed survey is skipped); without an invitation's link an answer is just
    a response and touches no case. Two first uses at once: the loser reads the winner's."""
    survey = Survey.objects.filter(organisation=organisation, key=RECOVERY_SURVEY_KEY).first()
    if survey is not None:
        return survey
    name = {"fi": "Korjaantuiko asia? (palautteen jälkeen)", "en": "Did we fix it? (recovery)"}
    try:
        with transaction.atomic():
            return create_survey(
                organisation,
                key=RECOVERY_SURVEY_KEY,
                name=name.get(organisation.default_language, name["en"]),
                touchpoint=None,
                definition=recovery_definition(),
                user=user,
            )
    except IntegrityError:
        return Survey.objects.get(organisation=organisation, key=RECOVERY_SURVEY_KEY)


# ------------------------------------------------------------------------ the contact


def _clean(cleaner, raw: str) -> str:
    try:
        return cleaner(raw or "")
    except ValueError:
        return ""


def recovery_contact(case: Case) -> Contact | None:
    """The contact to invite: the case's, else the organisation's contact with the customer's
    email (or phone), else a new one; None when the customer left no usable address."""
    if case.contact is not None:
        return case.contact
    email = _clean(clean_email, case.customer_email)
    phone = _clean(clean_phone, case.customer_phone)
    if not email and not phone:
        return None
    contact = _existing_contact(case.organisation_id, email, phone)
    if contact is None:
        language = case.language if case.language in CONTACT_LANGUAGES else "fi"
        try:
            with transaction.atomic():
                contact = Contact.objects.create(
                    organisation_id=case.organisation_id,
                    name=case.customer_name[:120],
                    email=email,
                    phone=phone,
                    language=language,
                    attributes={"source": "case"},
                )
        except IntegrityError:  # created at this moment by someone else
            contact = _existing_contact(case.organisation_id, email, phone)
    if contact is not None:
        Case.objects.filter(pk=case.pk, contact__isnull=True).update(contact=contact)
        case.contact = contact
    return contact


def _existing_contact(organisation_id: int, email: str, phone: str) -> Contact | None:
    contacts = Contact.objects.filter(organisation_id=organisation_id)
    if email:
        found = contacts.filter(email=email).first()
        if found is not None:
            return found
    return contacts.filter(phone=phone).first() if phone else None


# ------------------------------------------------------------------------ sending


def case_invitations(case: Case):
    """Every recovery invitation of the case, newest first."""
    return Invitation.objects.filter(
        organisation_id=case.organisation_id, source_ref=f"{SOURCE_PREFIX}{case.pk}"
    ).order_by("-created_at", "-id")


def unavailable_reason(case: Case) -> str | None:
    """Why the survey cannot be sent now (None: it can)."""
    if case.status != Case.Status.RESOLVED:
        return _("The survey is sent once the case is resolved.")
    if case.recovered is not None:
        return _("The customer has already answered.")
    last = case.recovery_invitation
    if last is not None and last.status not in NOT_DELIVERED:
        return _("The survey has been sent.")
    if case.contact_id is None and not (
        _clean(clean_email, case.customer_email) or _clean(clean_phone, case.customer_phone)
    ):
        return _("The customer left no email address or phone number.")
    return None


def send_recovery(case: Case, *, actor=None, automatic: bool = False) -> Invitation:
    """Invite the customer to the recovery survey; raises RecoveryUnavailable. Repeating it
    while the invitation is on its way returns the same invitation."""
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("organisation").get(pk=case.pk)
        reason = unavailable_reason(case)
        if reason is not None:
            pending = case.recovery_invitation
            if (
                pending is not None
                and pending.status not in NOT_DELIVERED
                and case.recovered is None
            ):
                return pending  # a double click: the first one is on its way
            raise RecoveryUnavailable({"recovery": reason})
        contact = recovery_contact(case)
        if contact is None:
            raise RecoveryUnavailable(
                {"recovery": _("The customer left no email address or phone number.")}
            )
        organisation = case.organisation
        tries = case_invitations(case).count()
        preference = (
            ChannelPreference.SMS_FIRST
            if case.reply_channel == "sms"
            else ChannelPreference.EMAIL_FIRST
        )
        result = invite(
            recovery_survey(organisation, user=actor),
            [contact],
            batch_key=f"recovery:{case.pk}:{tries + 1}",
            source=Invitation.Source.TRIGGER if automatic else Invitation.Source.MANUAL,
            source_ref=f"{SOURCE_PREFIX}{case.pk}",
            user=actor,
            preference=preference,
        )
        invitation = result.created[0]
        if _is_member(organisation, case.owner_id):
            Invitation.objects.filter(pk=invitation.pk).update(sender_id=case.owner_id)
        now = timezone.now()
        sent = invitation.status != Invitation.Status.SKIPPED
        Case.objects.filter(pk=case.pk).update(
            recovery_invitation=invitation, recovery_sent_at=now if sent else None, updated_at=now
        )
        text = (
            contact.address(invitation.channel)
            if sent
            else _("Not sent: %(reason)s") % {"reason": invitation.get_skip_reason_display()}
        )
        workflow.record_event(
            case,
            CaseEvent.Kind.RECOVERY_SENT,
            actor=actor,
            text=text,
            data={
                "invitation_id": invitation.pk,
                "channel": invitation.channel,
                "skip_reason": invitation.skip_reason,
                "automatic": automatic,
            },
            at=now,
        )
    return invitation


def _is_member(organisation, user_id: int | None) -> bool:
    return (
        user_id is not None
        and Membership.objects.filter(organisation=organisation, user_id=user_id).exists()
    )


def send_automatically(case_id: int) -> Invitation | None:
    """The survey for a case just resolved, when the organisation wants it and the case
    qualifies; None otherwise. Never raises: resolving a case must not fail because of it."""
    case = Case.objects.select_related("organisation").filter(pk=case_id).first()
    if (
        case is None
        or case.close_reason not in AUTOMATIC_REASONS
        or case.recovery_invitation_id is not None
        or unavailable_reason(case) is not None
        or not settings_for(case.organisation).recovery_survey_enabled
    ):
        return None
    try:
        with transaction.atomic():
            return send_recovery(case, automatic=True)
    except Exception:
        logger.exception("recovery survey for case %s could not be sent", case_id)
        return None


# ------------------------------------------------------------------------ the answer


def on_response_recorded(sender, response: Response, answers, **kwargs) -> None:
    """Receiver of ``response_recorded``: an answer to the recovery survey is read after the
    commit, when the invitation it came through has been tied to it."""
    survey = response.survey
    if survey.key != RECOVERY_SURVEY_KEY:
        return
    response_id = response.pk
    transaction.on_commit(lambda: record_answer(response_id), robust=True)


def record_answer(response_id: int) -> Case | None:
    """Put the answer of recovery-survey response ``response_id`` on its case (once). The
    case is found through the invitation the customer answered, never through anything the
    respondent could type."""
    invitation = (
        Invitation.objects.select_related("survey", "response")
        .filter(response_id=response_id, survey__key=RECOVERY_SURVEY_KEY)
        .first()
    )
    if invitation is None or not invitation.source_ref.startswith(SOURCE_PREFIX):
        return None
    case_id = invitation.source_ref.removeprefix(SOURCE_PREFIX)
    response = invitation.response
    recovered = _answer(response)
    if not case_id.isdigit() or response is None or recovered is None:
        return None
    case = Case.objects.filter(pk=int(case_id), organisation_id=invitation.organisation_id).first()
    if case is None:
        return None
    with transaction.atomic():
        updated = Case.objects.filter(pk=case.pk, recovered__isnull=True).update(
            recovered=recovered,
            recovery_answered_at=response.submitted_at,
            updated_at=timezone.now(),
        )
        if not updated:
            return case
        case.refresh_from_db()
        workflow.record_event(
            case,
            CaseEvent.Kind.RECOVERY_ANSWERED,
            text=_("Yes, fixed") if recovered else _("No, not fixed"),
            data={"recovered": recovered, "response_id": response.pk},
            at=response.submitted_at,
        )
    return case


def _answer(response: Response | None) -> bool | None:
    """True for "yes", False for "no", None when the question was not answered. A choice
    answer keeps the option's key in ``text``."""
    if response is None:
        return None
    key = (
        Answer.objects.filter(response=response, question_key=QUESTION_KEY)
        .values_list("text", flat=True)
        .first()
    )
    return key == YES if key in (YES, NO) else None
