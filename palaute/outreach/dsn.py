"""Delivery status notifications (RFC 3464) and mailed unsubscribe requests, read with the
standard library's email package.

A DSN is a ``multipart/report; report-type=delivery-status`` message: a human part, a
``message/delivery-status`` part (one block about the reporting server, then one block per
recipient with ``Final-Recipient``, ``Action`` and ``Status``), and the original message or
its headers, where our ``Message-ID`` tells which invitation step bounced.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from email.message import EmailMessage

from palaute.outreach.bounces import DeliveryEvent

# The token is URL-safe base64, so it may end with "-", after which \b would not match: the
# end is "no further token character" instead.
UNSUBSCRIBE_RE = re.compile(r"\bunsubscribe\s+([A-Za-z0-9_\-]{44})(?![A-Za-z0-9_\-])")


def read_messages(data: bytes) -> Iterator[EmailMessage]:
    """One message, or every message of an mbox file (which starts with a "From " line)."""
    if not data.startswith(b"From "):
        yield email.message_from_bytes(data, policy=email.policy.default)  # type: ignore[misc]
        return
    for chunk in re.split(rb"(?m)^From .*\r?\n", data)[1:]:
        yield email.message_from_bytes(chunk, policy=email.policy.default)  # type: ignore[misc]


def delivery_events(message: EmailMessage) -> list[DeliveryEvent]:
    """The per-recipient outcomes a DSN reports; empty for any other message."""
    if message.get_content_type() != "multipart/report":
        return []
    if str(message.get_param("report-type") or "").lower() != "delivery-status":
        return []
    status_part, original_id = None, ""
    for part in message.iter_parts():
        kind = part.get_content_type()
        if kind == "message/delivery-status":
            status_part = part
        elif kind in ("text/rfc822-headers", "message/rfc822"):
            original_id = _original_message_id(part)
    if status_part is None:
        return []
    blocks = status_part.get_payload()
    events = []
    for block in blocks[1:] if isinstance(blocks, list) else []:
        event = _event(block, original_id)
        if event is not None:
            events.append(event)
    return events


def unsubscribe_token(message: EmailMessage) -> str | None:
    """The token of a mailed unsubscribe (List-Unsubscribe mailto: subject "unsubscribe …")."""
    match = UNSUBSCRIBE_RE.search(str(message.get("Subject", "")))
    return match.group(1) if match else None


def _original_message_id(part) -> str:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) else inner
        return str(inner.get("Message-ID", "")).strip()
    headers = email.message_from_string(part.get_content(), policy=email.policy.default)
    return str(headers.get("Message-ID", "")).strip()


def _event(block, original_id: str) -> DeliveryEvent | None:
    action = str(block.get("Action", "")).strip().lower()
    status = str(block.get("Status", "")).strip()
    recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
    recipient = recipient.partition(";")[2].strip() if ";" in recipient else recipient.strip()
    diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
    reason = f"{status} {diagnostic}".strip()
    if action == "failed":
        return DeliveryEvent(
            kind="bounce",
            recipient=recipient.lower(),
            message_id=original_id,
            permanent=status.startswith("5") or not status,
            reason=reason,
        )
    if action == "delayed":
        return DeliveryEvent(
            kind="bounce",
            recipient=recipient.lower(),
            message_id=original_id,
            permanent=False,
            reason=reason,
        )
    if action in ("delivered", "relayed"):
        return DeliveryEvent(
            kind="delivered", recipient=recipient.lower(), message_id=original_id, reason=reason
        )
    return None
