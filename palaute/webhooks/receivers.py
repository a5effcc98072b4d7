"""What this app hears from the others: new responses become ``response.created`` events."""

from __future__ import annotations

from collections.abc import Iterable

from palaute.surveys.models import Answer, Response
from palaute.webhooks import event_types, events
from palaute.webhooks.payloads import response_payload


def on_response_recorded(
    sender, *, response: Response, answers: Iterable[Answer], **kwargs
) -> None:
    """Receiver of ``palaute.surveys.signals.response_recorded`` (inside the storing
    transaction). Without a subscribed endpoint this is a dictionary lookup; the payload is
    built only when someone wants it."""
    endpoint_ids = events.subscribers(response.organisation_id, event_types.RESPONSE_CREATED)
    if endpoint_ids:
        events.queue_deliveries(
            response.organisation_id,
            event_types.RESPONSE_CREATED,
            response_payload(response, answers),
            endpoint_ids,
        )
