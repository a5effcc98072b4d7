"""Journey messages (BRIEF §2): plain messages that keep a customer informed — "the installer
arrives tomorrow 8–10", a kickoff reminder, a delay notice sent before the customer has to
ask — sent by a trigger rule's "send a message" action, by email or SMS, from the named sender.

The wording is the rule's, in the contact's language, with placeholders:

- ``{{ first_name }}``, ``{{ name }}``, ``{{ organisation }}``, ``{{ sender_name }}``,
  ``{{ sender_phone }}``, ``{{ sender_email }}``;
- ``{{ event_date }}`` and ``{{ event_time }}``: the event's ``ends_at`` (the visit, the
  delivery slot), else when it happened, in the rule's time zone, as d.m.yyyy and hh:mm;
- ``{{ event.<attribute> }}``: any attribute of the event (``{{ event.arrival_window }}``);
  a missing one is left empty.

A message is filled in when it is scheduled and sent once, with the same claim as an
invitation (sending.py): a guarded UPDATE moves it to "sending" before the provider is called.
Opt-outs and bounces are respected; the frequency cap is not (a message asks nothing). Like
an invitation, a message email has an unsubscribe link at its foot and in ``List-Unsubscribe``
(one-click, RFC 8058), and an SMS from a name the short opt-out link (unsubscribe.py): either
opts the contact out of that channel for the organisation.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import timedelta
from email.headerregistry import Address

from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from palaute.outreach import conf, unsubscribe
from palaute.outreach.delivery import (
    PermanentFailure,
    Sent,
    choose_channel,
    reachable,
)
from palaute.outreach.emails import Sender, signature_html, signature_text
from palaute.outreach.invitations import SenderChooser
from palaute.outreach.jobs import RetryLater, enqueue, retrying
from palaute.outreach.models import ChannelKind, Invitation, JourneyMessage, TriggerRule
from palaute.outreach.phones import can_receive_sms
from palaute.outreach.senders import sender_for
from palaute.outreach.tokens import MESSAGE_UNSUBSCRIBE

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
Status = JourneyMessage.Status
PLACEHOLDER_RE = re.compile(r"{{\s*(event\.[a-z][a-z0-9_]*|[a-z_]+)\s*}}")
PLACEHOLDERS = {
    "first_name": "first name of the contact",
    "name": "full name of the contact",
    "organisation": "your organisation's name",
    "sender_name": "the named sender",
    "sender_phone": "the sender's direct phone",
    "sender_email": "the sender's email address",
    "event_date": "the event's date",
    "event_time": "the event's time",
    "event.…": "an attribute of the event, e.g. {{ event.arrival_window }}",
}
# The foot of a message email (customer-facing, in the message's language).
UNSUBSCRIBE_WORDS = {
    "fi": {"text": "Etkö halua enää sähköposteja meiltä?", "link": "Peru tilaus"},
    "en": {"text": "Don't want these emails any more?", "link": "Unsubscribe"},
}


def check_message(subject: str, body: str) -> str | None:
    """What is wrong with a message's wording, or None."""
    if not body.strip():
        return _("Write the message.")
    names = PLACEHOLDER_RE.findall(subject + "\n" + body)
    unknown = sorted({n for n in names if not n.startswith("event.") and n not in PLACEHOLDERS})
    if unknown:
        return _("Unknown placeholder: %(names)s.") % {
            "names": ", ".join("{{ " + name + " }}" for name in unknown)
        }
    return None


def fill(text: str, values: dict[str, str]) -> str:
    """Substitute placeholders; an empty value also takes the space before it."""
    text = re.sub(
        r" ?{{\s*(event\.[a-z][a-z0-9_]*|[a-z_]+)\s*}}",
        lambda m: (" " + values[m.group(1)]) if values.get(m.group(1)) else "",
        text,
    )
    return text


def message_values(event, contact, sender: Sender, zone, moment) -> dict[str, str]:
    local = moment.astimezone(zone)
    values = {
        "first_name": contact.name.split()[0] if contact.name.strip() else "",
        "name": contact.name,
        "organisation": event.organisation.name,
        "sender_name": sender.name,
        "sender_phone": sender.phone,
        "sender_email": sender.email,
        "event_date": f"{local.day}.{local.month}.{local.year}",
        "event_time": local.strftime("%H:%M"),
    }
    for key, value in (event.attributes or {}).items():
        values[f"event.{key}"] = str(value)
    return values


def wording(rule: TriggerRule, language: str) -> tuple[str, str]:
    """(subject, body) in ``language``, else the other language's."""
    fi = (rule.message_subject_fi, rule.message_body_fi)
    en = (rule.message_subject_en, rule.message_body_en)
    first, second = (en, fi) if language == "en" else (fi, en)
    return first if first[1].strip() else second


def schedule_message(rule: TriggerRule, event, when, *, dedup_key: str) -> JourneyMessage | None:
    """Create (and queue) the message ``rule`` sends for ``event``; None when it exists."""
    from palaute.outreach.triggers import zone_of

    organisation, contact = event.organisation, event.contact
    key = f"{dedup_key}:{contact.pk}"[:200]
    if JourneyMessage.objects.filter(organisation=organisation, dedup_key=key).exists():
        return None
    channel, fallback = choose_channel(contact, rule.channel_preference)
    language = contact.language if contact.language in ("fi", "en") else "fi"
    subject, body = wording(rule, language)
    user = SenderChooser(organisation, touchpoint=event.touchpoint).for_contact(contact)
    sender = sender_for(organisation, user)
    values = message_values(
        event, contact, sender, zone_of(rule), event.ends_at or event.occurred_at
    )
    message = JourneyMessage(
        organisation=organisation,
        rule=rule,
        event=event,
        contact=contact,
        channel=channel,
        fallback_channel=fallback,
        dedup_key=key,
        sender=user,
        language=language,
        subject=" ".join(fill(subject, values).split())[:200],
        body=fill(body, values).strip(),
        scheduled_for=when,
    )
    if not reachable(contact, channel):
        message.status = Status.SKIPPED
        message.skip_reason = _unreachable_reason(contact, channel)
        message.finished_at = timezone.now()
    message.save()
    if message.status == Status.SCHEDULED:
        enqueue(send_message_job, message.pk, run_after=when)
    return message


def _unreachable_reason(contact, channel: str) -> str:
    if not contact.address(channel):
        return Invitation.SkipReason.NO_ADDRESS
    if channel == ChannelKind.SMS and not can_receive_sms(contact.phone):
        return Invitation.SkipReason.NOT_MOBILE
    if contact.opted_out(channel):
        return Invitation.SkipReason.OPTED_OUT
    return Invitation.SkipReason.BOUNCED


@retrying(max_attempts=MAX_ATTEMPTS + 1, base_delay=60, max_delay=3600)
def send_message_job(message_id: int) -> str:
    return send_message(message_id)


def send_message(message_id: int) -> str:
    now = timezone.now()
    lease_cut = now - timedelta(seconds=conf.send_lease_seconds())
    claimed = (
        JourneyMessage.objects.filter(pk=message_id)
        .filter(
            Q(status=Status.SCHEDULED, scheduled_for__lte=now)
            | Q(status=Status.SENDING, claimed_at__lt=lease_cut)
        )
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return _not_claimed(message_id)
    message = JourneyMessage.objects.select_related("organisation", "contact", "sender").get(
        pk=message_id
    )
    contact = message.contact
    fallback = message.fallback_channel
    if not reachable(contact, message.channel) and fallback and reachable(contact, fallback):
        message.channel, message.fallback_channel = message.fallback_channel, ""
        JourneyMessage.objects.filter(pk=message.pk).update(
            channel=message.channel, fallback_channel=""
        )
    if not reachable(contact, message.channel):
        reason = _unreachable_reason(contact, message.channel)
        _finish(message, Status.SKIPPED, skip_reason=reason)
        return f"skipped: {reason}"
    try:
        sent = _send(message)
    except PermanentFailure as failure:
        _finish(message, Status.FAILED, error=failure.reason)
        return f"failed: {failure.reason}"
    except Exception as exc:
        if message.attempts >= MAX_ATTEMPTS:
            _finish(message, Status.FAILED, error=f"{type(exc).__name__}: {exc}")
            return "failed: out of attempts"
        JourneyMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=Status.SCHEDULED,
            claimed_at=None,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        raise
    JourneyMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT,
        sent_at=timezone.now(),
        claimed_at=None,
        last_error="",
        to=sent.to,
        provider=sent.provider,
        provider_message_id=sent.message_id[:255],
    )
    return "sent"


def _not_claimed(message_id: int) -> str:
    message = JourneyMessage.objects.filter(pk=message_id).first()
    if message is None:
        return "gone"
    if message.status == Status.SCHEDULED:
        raise RetryLater(message.scheduled_for, "not due yet")
    if message.status == Status.SENDING and message.claimed_at is not None:
        until = message.claimed_at + timedelta(seconds=conf.send_lease_seconds())
        raise RetryLater(until, "another worker holds the claim")
    return f"already {message.status}"


def _finish(message: JourneyMessage, status: str, *, skip_reason: str = "", error: str = ""):
    JourneyMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=status,
        skip_reason=skip_reason,
        last_error=error[:500],
        claimed_at=None,
        finished_at=timezone.now(),
    )


def _send(message: JourneyMessage) -> Sent:
    if message.channel == ChannelKind.SMS:
        from palaute.outreach.sms_channel import send_text, sms_sender
        from palaute.outreach.sms_templates import opt_out_line

        # "Reply STOP" from a number; from a name (no replies), the short opt-out link.
        line = opt_out_line(
            message.language,
            sms_sender(message.organisation),
            unsubscribe.short_url(message.key, MESSAGE_UNSUBSCRIBE),
        )
        return send_text(message.contact, f"{message.body}\n{line}", message.organisation)
    return _send_email(message)


def message_id_header(message: JourneyMessage) -> str:
    domain = conf.from_address().rpartition("@")[2] or "localhost"
    return f"<message-{message.pk}.{message.organisation.slug}@{domain}>"


def compose_email(message: JourneyMessage) -> EmailMultiAlternatives:
    """The message as plain text and HTML, from the named sender, with the unsubscribe link at
    its foot and in List-Unsubscribe (one click opts the contact out of email)."""
    organisation, contact = message.organisation, message.contact
    sender = sender_for(organisation, message.sender)
    words = UNSUBSCRIBE_WORDS["fi" if message.language == "fi" else "en"]
    unsubscribe_link = unsubscribe.url(message.key, MESSAGE_UNSUBSCRIBE)
    text = (
        f"{message.body}\n\n{signature_text(sender)}\n\n"
        f"{words['text']} {words['link']}: {unsubscribe_link}\n"
    )
    paragraphs = [
        mark_safe("<p>" + escape(block).replace("\n", "<br>\n") + "</p>")
        for block in re.split(r"\n\s*\n", message.body)
        if block.strip()
    ]
    footer = format_html(
        '<p style="color:#6b7280;font-size:12px;margin-top:32px">{} <a href="{}">{}</a></p>',
        words["text"],
        unsubscribe_link,
        words["link"],
    )
    html = format_html(
        '<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;'
        'font-size:15px;line-height:1.5;color:#111827;max-width:560px">{}{}{}</body></html>',
        mark_safe("\n".join(paragraphs)),
        signature_html(sender),
        footer,
    )
    display = (
        sender.name if sender.name == organisation.name else f"{sender.name} | {organisation.name}"
    )
    email = EmailMultiAlternatives(
        subject=message.subject or organisation.name,
        body=text,
        from_email=conf.bounce_address(),
        to=[str(Address(display_name=contact.name, addr_spec=contact.email))],
        reply_to=[sender.email] if sender.email else None,
        headers={
            "From": str(Address(display_name=display, addr_spec=conf.from_address())),
            "Message-ID": message_id_header(message),
            **unsubscribe.headers(message.key, MESSAGE_UNSUBSCRIBE),
        },
    )
    email.attach_alternative(str(html), "text/html")
    return email


def _send_email(message: JourneyMessage) -> Sent:
    email = compose_email(message)
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentFailure(f"recipient refused: {codes}", bounced=True) from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise PermanentFailure(f"message refused: {exc.smtp_code}", bounced=False) from exc
        raise
    return Sent(
        to=message.contact.email, provider="email", message_id=email.extra_headers["Message-ID"]
    )
