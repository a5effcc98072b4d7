"""Replies to the customer from a case (BRIEF §4: "the owner replies to the customer from the
case"), by email or SMS, kept as the case's thread (``CaseMessage`` rows, oldest first).

``send_reply`` validates, stores the message as *queued* and queues its sending job, all in one
transaction; the page never waits for SMTP or the SMS provider. The form's idempotency key makes
a double click one message. The first reply stops the response-time clock: ``first_response_at``
is the moment the reply was written and queued (what the owner controls; the worker's seconds
are not theirs), and a NEW case moves to CONTACTED through ``workflow.set_status``. A REPLY
event goes into the case's history.

The job hands the message over (``deliver``); a passing failure (the SMTP server down, a
provider 5xx) is retried with backoff for about ``GIVE_UP_AFTER``, after which — or at once for a
permanent refusal — the message is *failed* with the error shown in the thread, and the owner can
send it again (``resend``, a new message). A reply that never reached the customer did not
answer them: when the failed message was the one that stopped the clock, the clock runs again
(``first_response_at`` goes back to the next reply still on its way, or empty, and a case the
reply had moved to CONTACTED goes back to NEW, so reminders and escalation apply again).

What goes out:

- **email**: From "<author> | <organisation>" at the server's sender address (the envelope is
  the bounce address, as for invitations), Reply-To the author's own address, so the customer's
  answer reaches a person; the body is the author's text and their signature (name, title,
  phone, photo). The customer's own comment is *not* quoted: outgoing mail carries only what the
  author wrote (they may quote the customer themselves). Later emails on the same case refer to
  the first one (In-Reply-To), so mail programs thread them.
- **SMS**: the author's text and "- <name>, <organisation>" (with the author's phone when the
  sender ID cannot be replied to), at most ``MAX_SMS_SEGMENTS`` segments.

Opt-outs: a reply to someone whose feedback opened a case (often one who asked to be contacted)
is a one-to-one service message, not marketing, so an unsubscribe from survey emails does not
block it (the thread shows a note). Two stops do: an email address that hard-bounced, and a
number whose owner texted STOP (the SMS provider refuses those anyway).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from email.headerregistry import Address

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from palaute.loop import workflow
from palaute.loop.models import Case, CaseEvent, CaseMessage
from palaute.outreach import conf
from palaute.outreach.contacts import opt_out
from palaute.outreach.delivery import PermanentFailure, Sent, send_email
from palaute.outreach.emails import signature_html, signature_text
from palaute.outreach.jobs import enqueue, retrying
from palaute.outreach.models import Contact
from palaute.outreach.phones import InvalidPhone, can_receive_sms, normalise_phone
from palaute.outreach.senders import sender_for
from palaute.outreach.sms_channel import sms_sender
from palaute.outreach.sms_providers import RecipientOptedOut, SmsMessage, provider
from palaute.outreach.sms_templates import replies_possible
from palaute.outreach.sms_text import analyse

logger = logging.getLogger(__name__)

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)
LANGUAGES = ("fi", "en")
MAX_BODY = 5000
MAX_SUBJECT = 200
MAX_KEY = 64
MAX_SMS_SEGMENTS = 10
# Retries: 60 s, 2, 4, 8 and 16 min (±20 %). The sixth try can come no earlier than ~25 min
# after the message was queued and the fifth no later than ~18 min, so giving up at 20 min
# always happens on a try (a message is never left queued) and after four retries when the
# worker keeps up (test_replies checks the arithmetic).
MAX_ATTEMPTS = 6
BASE_DELAY = 60.0
MAX_DELAY = 1800.0
GIVE_UP_AFTER = timedelta(minutes=20)

Status = CaseMessage.Status


class ReplyInvalid(Exception):
    """The reply cannot be sent; ``errors`` maps the form field to the reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))


# ------------------------------------------------------------------------ addresses


def reply_language(case: Case) -> str:
    for language in (case.language, case.organisation.default_language):
        if language in LANGUAGES:
            return language
    return "fi"


def email_address(case: Case) -> str:
    """The address the customer gave on the case ("contact me"), else their contact's."""
    if case.customer_email:
        return case.customer_email.strip().lower()
    return case.contact.email if case.contact is not None else ""


def phone_number(case: Case) -> str:
    """The customer's number in E.164 form, "" when there is none; raises InvalidPhone."""
    raw = case.customer_phone or (case.contact.phone if case.contact is not None else "")
    return normalise_phone(raw)


def address(case: Case, channel: str) -> str:
    if channel == EMAIL:
        return email_address(case)
    try:
        return phone_number(case)
    except InvalidPhone:
        return ""


def default_channel(case: Case) -> str:
    """The case's reply channel when the customer can be reached there, else whichever can."""
    preferred = case.reply_channel if case.reply_channel in CHANNELS else EMAIL
    other = SMS if preferred == EMAIL else EMAIL
    for channel in (preferred, other):
        if address(case, channel):
            return channel
    return preferred


# The customer's words, in the customer's language (not the UI's), like emails.WORDS.
SUBJECTS = {
    "fi": "Vastaus palautteeseesi – {organisation}",
    "en": "About your feedback – {organisation}",
}


def default_subject(case: Case) -> str:
    return SUBJECTS[reply_language(case)].format(organisation=case.organisation.name)


def _contacts_at(case: Case, channel: str, to: str):
    field = "email" if channel == EMAIL else "phone"
    return Contact.objects.filter(organisation_id=case.organisation_id, **{field: to})


@dataclass(frozen=True)
class Notice:
    """Something the author should know before replying on a channel (not an error)."""

    channel: str
    text: str


def notices(case: Case) -> list[Notice]:
    """Survey opt-outs that do not stop a reply but are worth knowing."""
    found = []
    to = email_address(case)
    if to and _contacts_at(case, EMAIL, to).filter(email_opt_out_at__isnull=False).exists():
        found.append(
            Notice(
                EMAIL,
                _(
                    "This customer has unsubscribed from survey emails. A personal reply about "
                    "their feedback is still allowed; do not ask them to answer surveys."
                ),
            )
        )
    return found


# ------------------------------------------------------------------------ SMS wording


def sms_text(case: Case, author, body: str) -> str:
    """The SMS exactly as the customer receives it: the text and a short signature."""
    organisation = case.organisation
    sender = sender_for(organisation, author)
    signature = ", ".join(part for part in (sender.name, organisation.name) if part)
    if sender.phone and not replies_possible(sms_sender(organisation)):
        signature += f" {sender.phone}"
    # A hyphen, not a dash: "–" is outside the GSM alphabet and would halve every segment.
    return f"{body.strip()}\n- {signature}"


# ------------------------------------------------------------------------ validation


def check_reply(case: Case, *, author, body: str, channel: str, subject: str = "") -> dict:
    """Errors by form field (``channel``, ``subject``, ``body``); empty when it can go."""
    errors: dict[str, str] = {}
    text = (body or "").strip()
    if not text:
        errors["body"] = _("Write the reply.")
    elif len(text) > MAX_BODY:
        errors["body"] = _("Keep the reply under %(max)s characters.") % {"max": f"{MAX_BODY:,}"}
    if len(subject or "") > MAX_SUBJECT:
        errors["subject"] = _("Keep the subject under %(max)s characters.") % {"max": MAX_SUBJECT}
    if channel == EMAIL:
        problem = _email_problem(case)
    elif channel == SMS:
        problem = _sms_problem(case)
        if problem is None and "body" not in errors:
            segments = analyse(sms_text(case, author, text)).segments
            if segments > MAX_SMS_SEGMENTS:
                errors["body"] = _(
                    "As an SMS this takes %(segments)s messages; the most is %(max)s. "
                    "Shorten it or reply by email."
                ) % {"segments": segments, "max": MAX_SMS_SEGMENTS}
    else:
        problem = _("Choose email or SMS.")
    if problem:
        errors["channel"] = problem
    return errors


def _email_problem(case: Case) -> str | None:
    to = email_address(case)
    if not to:
        return _("The customer left no email address. Reply by SMS if they gave a number.")
    if _contacts_at(case, EMAIL, to).filter(email_bounced_at__isnull=False).exists():
        return _("Email to %(address)s has bounced; the address does not work.") % {"address": to}
    return None


def _sms_problem(case: Case) -> str | None:
    try:
        to = phone_number(case)
    except InvalidPhone:
        return _("The customer's phone number is not valid.")
    if not to:
        return _("The customer left no phone number. Reply by email if they gave an address.")
    if not can_receive_sms(to):
        return _("%(number)s cannot receive SMS (a landline or a service number).") % {"number": to}
    if _contacts_at(case, SMS, to).filter(sms_opt_out_at__isnull=False).exists():
        return _("This customer has asked not to receive SMS from us. Reply by email.")
    return None


# ------------------------------------------------------------------------ sending a reply


def send_reply(
    case: Case,
    *,
    author,
    body: str,
    channel: str,
    idempotency_key: str,
    subject: str = "",
) -> CaseMessage:
    """Queue a reply to the customer; raises ReplyInvalid. A repeated ``idempotency_key``
    returns the message stored the first time."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise ReplyInvalid({"idempotency_key": _("The form is out of date; reload the page.")})
    existing = CaseMessage.objects.filter(case=case, idempotency_key=key).first()
    if existing is not None:
        return existing
    errors = check_reply(case, author=author, body=body, channel=channel, subject=subject)
    if errors:
        raise ReplyInvalid(errors)
    subject = " ".join((subject or "").split()) or default_subject(case)  # one line
    with transaction.atomic():
        # One reply at a time per case: a double click waits here, then finds the first.
        Case.objects.select_for_update().filter(pk=case.pk).first()
        existing = CaseMessage.objects.filter(case=case, idempotency_key=key).first()
        if existing is not None:
            return existing
        now = timezone.now()
        message = CaseMessage.objects.create(
            organisation_id=case.organisation_id,
            case=case,
            direction=CaseMessage.Direction.OUT,
            channel=channel,
            to=address(case, channel),
            subject=subject[:MAX_SUBJECT] if channel == EMAIL else "",
            body=body.strip(),
            author=author,
            status=Status.QUEUED,
            idempotency_key=key,
            created_at=now,
        )
        _stop_clock(case, now)
        workflow.record_event(
            case,
            CaseEvent.Kind.REPLY,
            actor=author,
            text=message.to,
            data={"message_id": message.pk, "channel": channel},
            at=now,
        )
        if case.status == Case.Status.NEW:
            workflow.set_status(case, Case.Status.CONTACTED, actor=author)
        enqueue(send_case_message_job, message.pk)
    return message


def _stop_clock(case: Case, at) -> None:
    """The first reply stops the response-time clock (an earlier one keeps it)."""
    Case.objects.filter(pk=case.pk, first_response_at__isnull=True).update(
        first_response_at=at, updated_at=at
    )
    case.refresh_from_db()


def resend(message: CaseMessage, *, author) -> CaseMessage:
    """Send a failed message again, as a new message (the failed one stays in the thread).
    Raises ReplyInvalid; repeating it returns the same new message."""
    if message.status != Status.FAILED:
        raise ReplyInvalid({"message": _("Only a message that failed can be sent again.")})
    return send_reply(
        message.case,
        author=author,
        body=message.body,
        channel=message.channel,
        subject=message.subject,
        idempotency_key=f"resend-{message.pk}",
    )


# ------------------------------------------------------------------------ the job


@retrying(max_attempts=MAX_ATTEMPTS, base_delay=BASE_DELAY, max_delay=MAX_DELAY)
def send_case_message_job(message_id: int) -> str:
    return deliver(message_id)


def deliver(message_id: int) -> str:
    """Hand one queued message to SMTP or the SMS provider. Returns what happened; raises on
    a passing failure so the job is retried."""
    message = (
        CaseMessage.objects.select_related("case__organisation", "case__contact", "author")
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return "gone"
    if message.status != Status.QUEUED:
        return f"already {message.status}"
    try:
        sent = _send_sms(message) if message.channel == SMS else _send_email(message)
    except PermanentFailure as failure:
        fail(message, failure.reason)
        return f"failed: {failure.reason}"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if timezone.now() - message.created_at >= GIVE_UP_AFTER:
            fail(message, error)
            return "failed: gave up"
        CaseMessage.objects.filter(pk=message.pk, status=Status.QUEUED).update(error=error)
        raise
    CaseMessage.objects.filter(pk=message.pk, status=Status.QUEUED).update(
        status=Status.SENT, sent_at=timezone.now(), provider_id=sent.message_id[:200], error=""
    )
    return "sent"


def fail(message: CaseMessage, error: str) -> None:
    """Mark the message failed; when it was the reply that stopped the clock, restart it."""
    with transaction.atomic():
        failed = CaseMessage.objects.filter(pk=message.pk, status=Status.QUEUED).update(
            status=Status.FAILED, error=error[:1000]
        )
        if failed:
            _restart_clock(message, error)


def _restart_clock(message: CaseMessage, error: str) -> None:
    case = Case.objects.select_for_update().get(pk=message.case_id)
    if case.first_response_at != message.created_at:
        return  # an earlier reply, or a call marked "contacted", stopped the clock
    still_going = (
        CaseMessage.objects.filter(
            case=case, direction=CaseMessage.Direction.OUT, status__in=(Status.QUEUED, Status.SENT)
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    Case.objects.filter(pk=case.pk).update(first_response_at=still_going)
    case.refresh_from_db()
    if still_going is None and case.status == Case.Status.CONTACTED:
        note = _("The reply could not be delivered: %(error)s") % {"error": error[:300]}
        workflow.set_status(case, Case.Status.NEW, actor=None, note=note)


# ------------------------------------------------------------------------ email


def message_id_header(message: CaseMessage) -> str:
    domain = conf.from_address().rpartition("@")[2] or "localhost"
    slug = message.case.organisation.slug
    return f"<case-{message.case_id}-reply-{message.pk}.{slug}@{domain}>"


def _mailbox(name: str, addr: str) -> str:
    return str(Address(display_name=name, addr_spec=addr))


def compose_email(message: CaseMessage) -> EmailMultiAlternatives:
    case = message.case
    organisation = case.organisation
    sender = sender_for(organisation, message.author)
    text = f"{message.body}\n\n{signature_text(sender)}\n"
    paragraphs = [
        mark_safe("<p>" + escape(block).replace("\n", "<br>\n") + "</p>")  # noqa: S308 - escaped
        for block in re.split(r"\n\s*\n", message.body)
        if block.strip()
    ]
    html = format_html(
        '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;'
        'font-size:15px;line-height:1.5;color:#111827;max-width:560px">{}{}</body></html>',
        mark_safe("\n".join(paragraphs)),  # noqa: S308 - built from escaped parts
        signature_html(sender),
    )
    display = (
        sender.name if sender.name == organisation.name else f"{sender.name} | {organisation.name}"
    )
    headers = {
        "From": _mailbox(display, conf.from_address()),
        "Message-ID": message_id_header(message),
    }
    first = (
        CaseMessage.objects.filter(case=case, channel=EMAIL, status=Status.SENT)
        .exclude(pk=message.pk)
        .filter(Q(created_at__lt=message.created_at))
        .order_by("created_at", "id")
        .first()
    )
    if first is not None:
        headers["In-Reply-To"] = headers["References"] = message_id_header(first)
    email = EmailMultiAlternatives(
        subject=message.subject or default_subject(case),
        body=text,
        from_email=conf.bounce_address(),  # the envelope sender: bounces come back here
        to=[_mailbox(case.customer_name or "", message.to)],
        reply_to=[sender.email] if sender.email else None,
        headers=headers,
    )
    email.attach_alternative(str(html), "text/html")
    return email


def _send_email(message: CaseMessage) -> Sent:
    email = compose_email(message)
    try:
        send_email(email)
    except PermanentFailure as failure:
        if failure.bounced:
            _stop_bounced(message, failure.reason.removeprefix("recipient refused: "))
        raise
    return Sent(to=message.to, provider="email", message_id=email.extra_headers["Message-ID"])


def _stop_bounced(message: CaseMessage, reason: str) -> None:
    """A hard bounce stops the address for invitations too (as sending.stop_email does)."""
    from palaute.outreach.sending import stop_email

    for contact in _contacts_at(message.case, EMAIL, message.to):
        stop_email(contact, reason)


# ------------------------------------------------------------------------ SMS


def _send_sms(message: CaseMessage) -> Sent:
    organisation = message.case.organisation
    backend = provider()
    sms = SmsMessage(
        to=message.to,
        sender=sms_sender(organisation),
        body=sms_text(message.case, message.author, message.body),
    )
    try:
        accepted = backend.send(sms)
    except RecipientOptedOut:
        # They texted STOP to our number: the provider refuses every SMS to them from now on.
        for contact in _contacts_at(message.case, SMS, message.to):
            opt_out(contact, SMS, via="provider opt-out list")
        raise
    return Sent(to=message.to, provider=f"sms:{backend.name}", message_id=accepted.message_id)
