"""Builders for the webhook tests."""

from __future__ import annotations

from palaute.webhooks import event_types
from palaute.webhooks.models import Endpoint

ALL_EVENTS = list(event_types.EVENT_TYPES)


def make_endpoint(organisation, url: str, *, name="Helpdesk", kind="generic", events=None):
    return Endpoint.objects.create(
        organisation=organisation,
        name=name,
        url=url,
        kind=kind,
        events=ALL_EVENTS if events is None else events,
    )
