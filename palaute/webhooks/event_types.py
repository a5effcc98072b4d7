"""The events an endpoint can subscribe to (docs/webhooks.md lists their payloads).

``ping`` is not subscribable: it is what "Send test event" sends, to any endpoint.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

RESPONSE_CREATED = "response.created"
CASE_OPENED = "case.opened"
CASE_RESOLVED = "case.resolved"
PING = "ping"

EVENT_TYPES = {
    RESPONSE_CREATED: _("A new response is recorded"),
    CASE_OPENED: _("A follow-up case is opened"),
    CASE_RESOLVED: _("A follow-up case is resolved"),
}


def choices() -> list[tuple[str, str]]:
    return [(name, f"{name} · {label}") for name, label in EVENT_TYPES.items()]
