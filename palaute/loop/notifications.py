"""Emails to the people who handle cases: "a case is yours", "a case is near its target",
"a case missed its target". Plain text, in the recipient's language (their notification
preference, else the organisation's default), with a link to the case.

Callers decide *that* someone is told (with a guarded UPDATE where it must happen once) and
queue one job per email in the same transaction (``enqueue``), so a notification exists exactly
when the change that caused it was committed and a failed send is retried. ``palaute
escalate_cases --send-now`` sends in its own process instead, for installations that run it
from cron.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from palaute.loop import owners
from palaute.loop.models import Case, NotificationPreference
from palaute.loop.payloads import case_url
from palaute.loop.targets import clock
from palaute.outreach.jobs import enqueue, retrying

logger = logging.getLogger(__name__)

ASSIGNED = "assigned"
WARNING = "warning"
ESCALATED = "escalated"
KINDS = (ASSIGNED, WARNING, ESCALATED)


def preference(organisation_id: int, user_id: int) -> NotificationPreference:
    """The member's preferences; an unsaved row with the defaults when they set none."""
    found = NotificationPreference.objects.filter(
        organisation_id=organisation_id, user_id=user_id
    ).first()
    return found or NotificationPreference(organisation_id=organisation_id, user_id=user_id)


def language_for(organisation, pref: NotificationPreference) -> str:
    return pref.language or organisation.default_language or settings.LANGUAGE_CODE


def deliver(kind: str, case_id: int, user_id: int, *, send_now: bool = False) -> None:
    """Queue (or, with ``send_now``, send at once) one notification email."""
    if send_now:
        send_case_email(kind, case_id, user_id)
    else:
        enqueue(send_case_email_job, kind, case_id, user_id)


def case_assigned(case: Case, *, send_now: bool = False) -> bool:
    """Tell the owner the case is theirs, if they want instant emails. True when queued."""
    if case.owner_id is None:
        return False
    if not preference(case.organisation_id, case.owner_id).instant_email:
        return False
    deliver(ASSIGNED, case.pk, case.owner_id, send_now=send_now)
    return True


@retrying(max_attempts=5, base_delay=60)
def send_case_email_job(kind: str, case_id: int, user_id: int) -> str:
    return send_case_email(kind, case_id, user_id)


def send_case_email(kind: str, case_id: int, user_id: int) -> str:
    """Compose and send one notification; returns what happened (for the job's result)."""
    case = (
        Case.objects.select_related("organisation", "owner", "touchpoint")
        .filter(pk=case_id)
        .first()
    )
    user = get_user_model().objects.filter(pk=user_id).first()
    if case is None or user is None:
        return "gone"
    if kind == ASSIGNED and case.owner_id != user_id:
        return "no longer theirs"  # reassigned before the email went out
    if kind in (ASSIGNED, WARNING) and not case.is_open:
        return "closed meanwhile"
    if not user.email:
        return "no email address"
    pref = preference(case.organisation_id, user_id)
    with translation.override(language_for(case.organisation, pref)):
        subject, body = compose(kind, case, user)
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()
    return f"sent {kind} #{case.number} to user {user_id}"


def compose(kind: str, case: Case, user) -> tuple[str, str]:
    """(subject, plain-text body) in the active language."""
    subjects = {
        ASSIGNED: _("Case #%(number)s is yours: %(title)s"),
        WARNING: _("Case #%(number)s is near its response target: %(title)s"),
        ESCALATED: _("Case #%(number)s missed its response target: %(title)s"),
    }
    subject = subjects[kind] % {"number": case.number, "title": case.title}
    body = render_to_string(
        "loop/email/case.txt",
        {
            "kind": kind,
            "case": case,
            "recipient": owners.display_name(user),
            "owner": owners.display_name(case.owner) or _("nobody (unassigned)"),
            "severity": case.get_severity_display(),
            "clock": clock(case, timezone.now()).text,
            "touchpoint": case.touchpoint.name if case.touchpoint is not None else "",
            "organisation": case.organisation.name,
            "url": case_url(case),
        },
    )
    return f"[{case.organisation.name}] {subject}"[:200], body
