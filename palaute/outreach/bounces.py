"""What happened to a sent email after it left: delivered, bounced, or marked as spam.

Events come from delivery status notifications (``dsn.py``, ``palaute inbound_email``) or from
the provider webhook (``public_views.email_events``). Each names the message by our
Message-ID, or failing that by the recipient, and is applied to the message log, the
invitation and the contact:

- a permanent (hard) bounce stops the address (``Contact.email_bounced_at``) and marks an
  invitation that was not yet opened as bounced;
- a temporary (soft) bounce is only noted on the message;
- a complaint (spam button) opts the contact out of email;
- a delivery confirmation sets ``delivered_at``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from palaute.outreach.contacts import opt_out
from palaute.outreach.models import Invitation, OutboundMessage
from palaute.outreach.sending import stop_email

KINDS = ("delivered", "bounce", "complaint")
MATCH_BY_RECIPIENT_DAYS = 30
SIGNATURE_TOLERANCE_SECONDS = 300
Status = Invitation.Status


@dataclass(frozen=True)
class DeliveryEvent:
    kind: str  # delivered | bounce | complaint
    recipient: str = ""
    message_id: str = ""
    permanent: bool = True
    reason: str = ""


def find_message(event: DeliveryEvent) -> OutboundMessage | None:
    """The logged message the event is about: by Message-ID, else the latest email to the
    recipient within the last 30 days."""
    messages = OutboundMessage.objects.select_related("invitation__contact__organisation")
    if event.message_id:
        wanted = event.message_id.strip()
        wanted = wanted if wanted.startswith("<") else f"<{wanted}>"
        found = messages.filter(provider_message_id=wanted).first()
        if found is not None:
            return found
    if event.recipient:
        since = timezone.now() - timedelta(days=MATCH_BY_RECIPIENT_DAYS)
        return (
            messages.filter(channel="email", to__iexact=event.recipient, created_at__gte=since)
            .order_by("-created_at")
            .first()
        )
    return None


def apply_event(event: DeliveryEvent) -> bool:
    """Apply one event; False when no sent message matches it."""
    message = find_message(event)
    if message is None:
        return False
    invitation = message.invitation
    now = timezone.now()
    with transaction.atomic():
        if event.kind == "delivered":
            OutboundMessage.objects.filter(
                pk=message.pk, status=OutboundMessage.Status.SENT
            ).update(status=OutboundMessage.Status.DELIVERED)
            rows = Invitation.objects.filter(pk=invitation.pk)
            rows.filter(delivered_at__isnull=True).update(delivered_at=now)
            rows.filter(status=Status.SENT).update(status=Status.DELIVERED)
        elif event.kind == "bounce" and event.permanent:
            OutboundMessage.objects.filter(pk=message.pk).update(
                status=OutboundMessage.Status.BOUNCED, detail=event.reason[:500]
            )
            stop_email(invitation.contact, event.reason or "hard bounce")
            Invitation.objects.filter(
                pk=invitation.pk, status__in=(Status.SENT, Status.DELIVERED)
            ).update(status=Status.BOUNCED, finished_at=now, last_error=event.reason[:500])
            Invitation.objects.filter(contact=invitation.contact, channel="email").exclude(
                next_reminder_at=None
            ).update(next_reminder_at=None)
        elif event.kind == "bounce":
            OutboundMessage.objects.filter(pk=message.pk).update(
                detail=f"temporary: {event.reason}"[:500]
            )
        elif event.kind == "complaint":
            OutboundMessage.objects.filter(pk=message.pk).update(
                status=OutboundMessage.Status.COMPLAINED, detail=event.reason[:500]
            )
            opt_out(invitation.contact, "email", via="complaint")
    return True


# ----------------------------------------------------------------------- provider webhook


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``<timestamp>.<body>``, hex."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return mac.hexdigest()


def verify_signature(secret: str, header: str, body: bytes, now: float | None = None) -> str | None:
    """None when ``X-Palaute-Signature: t=<unix time>,v1=<hex>`` is valid and fresh, else
    what is wrong with it."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    timestamp, given = parts.get("t", "").strip(), parts.get("v1", "").strip()
    if not timestamp.isdigit() or not given:
        return "expected X-Palaute-Signature: t=<unix time>,v1=<hex HMAC-SHA256>"
    if abs((now or time.time()) - int(timestamp)) > SIGNATURE_TOLERANCE_SECONDS:
        return "the timestamp is more than 5 minutes off"
    if not hmac.compare_digest(signature(secret, timestamp, body), given.lower()):
        return "the signature does not match"
    return None


def parse_webhook(body: bytes) -> tuple[list[DeliveryEvent], dict[str, str]]:
    """Events from ``{"events": [...]}`` (or one event object); errors by JSON path."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return [], {"body": "not valid JSON"}
    items = data.get("events", [data]) if isinstance(data, dict) else None
    if not isinstance(items, list) or not items or len(items) > 1000:
        return [], {"events": "give 1–1000 event objects"}
    events: list[DeliveryEvent] = []
    errors: dict[str, str] = {}
    for index, item in enumerate(items):
        where = f"events[{index}]"
        if not isinstance(item, dict):
            errors[where] = "must be an object"
            continue
        kind = item.get("type")
        if kind not in KINDS:
            errors[f"{where}.type"] = f"must be one of {', '.join(KINDS)}"
            continue
        recipient, message_id = item.get("recipient", ""), item.get("message_id", "")
        if not isinstance(recipient, str) or not isinstance(message_id, str):
            errors[where] = "recipient and message_id must be strings"
            continue
        if not recipient and not message_id:
            errors[where] = "give message_id or recipient"
            continue
        bounce_type = item.get("bounce_type", "hard")
        if kind == "bounce" and bounce_type not in ("hard", "soft"):
            errors[f"{where}.bounce_type"] = "must be hard or soft"
            continue
        reason = item.get("reason", "")
        events.append(
            DeliveryEvent(
                kind=kind,
                recipient=recipient.strip().lower()[:254],
                message_id=message_id.strip()[:255],
                permanent=bounce_type == "hard",
                reason=str(reason)[:500],
            )
        )
    return (events if not errors else []), errors
