"""What the SMS provider tells us: delivery receipts and messages customers send back.

Both arrive as Twilio-style form POSTs signed with ``X-Twilio-Signature``
(https://www.twilio.com/docs/usage/webhooks/webhooks-security): the base64 HMAC-SHA1, keyed
with the auth token, of the full URL followed by every POST parameter's name and value, sorted
by name, with no separators.

- **Status callback** (``MessageSid``, ``MessageStatus``, ``ErrorCode``): ``delivered`` marks
  the message and its invitation delivered; ``undelivered`` or ``failed`` marks the message
  failed, and an invitation whose SMS never arrived failed too (reminders stop).
- **Inbound message** (``From``, ``Body``): an opt-out keyword (STOP, LOPETA, SEIS, STOPP …)
  stops SMS to every contact with that number; an opt-in keyword (START, ALOITA …) undoes it.
  The sending number is shared by the whole server, and the provider itself blocks a number
  that sent STOP, so the keyword applies in every organisation that has the number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from palaute.outreach.contacts import opt_in, opt_out
from palaute.outreach.models import Contact, Invitation, JourneyMessage, OutboundMessage
from palaute.outreach.phones import InvalidPhone, normalise_phone

Status = Invitation.Status

# Keywords compare case-insensitively against the whole message, trailing punctuation ignored.
OPT_OUT_KEYWORDS = frozenset(
    {
        # English (the carriers' and Twilio's standard list)
        "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE",
        # Finnish
        "LOPETA", "SEIS", "POIS", "PERU", "LOPPU",
        # Swedish
        "STOPPA", "STOPP", "AVSLUTA", "SLUTA", "AVBRYT",
    }
)  # fmt: skip
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP", "ALOITA", "JATKA", "STARTA", "BÖRJA"})

DELIVERED = "delivered"
NOT_DELIVERED = frozenset({"undelivered", "failed"})
# A message still on its way; nothing to record.
IN_FLIGHT = frozenset({"accepted", "scheduled", "queued", "sending", "sent"})

CONFIRM = {
    "fi": {
        "out": "Et saa enää tekstiviestejä meiltä. Jos haluat ne takaisin, vastaa ALOITA.",
        "in": "Saat taas tekstiviestejä meiltä. Lopeta: vastaa LOPETA.",
    },
    "en": {
        "out": "You will get no more text messages from us. Reply START to get them again.",
        "in": "You will get text messages from us again. Reply STOP to opt out.",
    },
}


def signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    payload = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_valid(
    auth_token: str, urls: list[str], params: list[tuple[str, str]], given: str
) -> bool:
    """True when ``given`` signs ``params`` for one of ``urls`` (the public URL as configured
    in SITE_URL and as this server saw it; a proxy may change scheme or port)."""
    if not auth_token or not given:
        return False
    return any(hmac.compare_digest(signature(auth_token, url, params), given) for url in set(urls))


# ----------------------------------------------------------------------- delivery receipts


@dataclass(frozen=True)
class StatusReport:
    message_id: str
    status: str
    error_code: str = ""


def apply_status(report: StatusReport) -> bool:
    """Record one delivery receipt; False when no message of ours has that id."""
    if report.status in IN_FLIGHT:
        return _known(report.message_id)
    message = (
        OutboundMessage.objects.select_related("invitation")
        .filter(channel="sms", provider_message_id=report.message_id)
        .first()
    )
    if message is None:
        return _apply_to_journey_message(report)
    now = timezone.now()
    invitation = message.invitation
    with transaction.atomic():
        if report.status == DELIVERED:
            OutboundMessage.objects.filter(
                pk=message.pk, status=OutboundMessage.Status.SENT
            ).update(status=OutboundMessage.Status.DELIVERED)
            rows = Invitation.objects.filter(pk=invitation.pk)
            rows.filter(delivered_at__isnull=True).update(delivered_at=now)
            rows.filter(status=Status.SENT).update(status=Status.DELIVERED)
        elif report.status in NOT_DELIVERED:
            detail = f"{report.status}" + (
                f" (error {report.error_code})" if report.error_code else ""
            )
            OutboundMessage.objects.filter(pk=message.pk).update(
                status=OutboundMessage.Status.FAILED, detail=detail[:500]
            )
            if message.sequence == 0:
                Invitation.objects.filter(
                    pk=invitation.pk, status__in=(Status.SENT, Status.DELIVERED)
                ).update(
                    status=Status.FAILED,
                    finished_at=now,
                    next_reminder_at=None,
                    last_error=f"SMS {detail}"[:500],
                )
    return True


def _known(message_id: str) -> bool:
    return (
        OutboundMessage.objects.filter(channel="sms", provider_message_id=message_id).exists()
        or JourneyMessage.objects.filter(channel="sms", provider_message_id=message_id).exists()
    )


def _apply_to_journey_message(report: StatusReport) -> bool:
    rows = JourneyMessage.objects.filter(channel="sms", provider_message_id=report.message_id)
    if not rows.exists():
        return False
    if report.status == DELIVERED:
        rows.filter(delivered_at__isnull=True).update(delivered_at=timezone.now())
        rows.filter(status=JourneyMessage.Status.SENT).update(
            status=JourneyMessage.Status.DELIVERED
        )
    elif report.status in NOT_DELIVERED:
        rows.exclude(status=JourneyMessage.Status.FAILED).update(
            status=JourneyMessage.Status.FAILED,
            last_error=f"SMS {report.status} {report.error_code}".strip()[:500],
            finished_at=timezone.now(),
        )
    return True


# ---------------------------------------------------------------------- inbound messages


@dataclass(frozen=True)
class InboundResult:
    action: str  # "opt_out", "opt_in" or "none"
    contacts: int  # how many contacts it changed
    language: str  # for the confirmation


def keyword(body: str) -> str:
    return re.sub(r"[\s.!]+$", "", (body or "").strip()).upper()


def apply_inbound(sender: str, body: str) -> InboundResult:
    word = keyword(body)
    action = "opt_out" if word in OPT_OUT_KEYWORDS else "opt_in" if word in OPT_IN_KEYWORDS else ""
    try:
        phone = normalise_phone(sender)
    except InvalidPhone:
        phone = ""
    contacts = (
        list(Contact.objects.select_related("organisation").filter(phone=phone)) if phone else []
    )
    language = contacts[0].language if contacts else "fi"
    if not action or not contacts:
        return InboundResult(action or "none", 0, language)
    changed = 0
    for contact in contacts:
        if action == "opt_out":
            changed += opt_out(contact, "sms", via=f"SMS keyword {word}")
        else:
            changed += opt_in(contact, "sms", actor=None, via=f"SMS keyword {word}")
    return InboundResult(action, changed, language)


def confirmation(result: InboundResult) -> str:
    if result.action not in ("opt_out", "opt_in"):
        return ""
    words = CONFIRM["fi" if result.language == "fi" else "en"]
    return words["out" if result.action == "opt_out" else "in"]
