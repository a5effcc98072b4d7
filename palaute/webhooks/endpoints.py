"""Managing an organisation's endpoints: every change is written to the audit log.

The views call these after validating a form (forms.py); each runs in one transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction

from palaute.accounts.models import record_audit
from palaute.webhooks import conf, event_types
from palaute.webhooks.events import queue_deliveries
from palaute.webhooks.models import Delivery, Endpoint
from palaute.webhooks.payloads import ping_payload

EDITABLE = ("name", "url", "kind", "events")


@transaction.atomic
def create_endpoint(organisation, actor, values: dict[str, Any]) -> Endpoint:
    endpoint = Endpoint.objects.create(
        organisation=organisation,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        **{field: values[field] for field in EDITABLE},
    )
    record_audit(
        organisation,
        actor,
        "webhook.create",
        endpoint.name,
        {"endpoint": endpoint.pk, "kind": endpoint.kind, "events": endpoint.events},
    )
    return endpoint


@transaction.atomic
def update_endpoint(endpoint: Endpoint, actor, values: dict[str, Any]) -> list[str]:
    """Apply the edited fields; returns the names of those that changed. The URL is not written
    to the audit log (a Slack-style URL is itself a secret), only that it changed."""
    changed = [field for field in EDITABLE if getattr(endpoint, field) != values[field]]
    if not changed:
        return []
    detail: dict[str, Any] = {"endpoint": endpoint.pk}
    for field in changed:
        detail[field] = "changed" if field == "url" else [getattr(endpoint, field), values[field]]
        setattr(endpoint, field, values[field])
    endpoint.save()
    record_audit(endpoint.organisation, actor, "webhook.update", endpoint.name, detail)
    return changed


@transaction.atomic
def delete_endpoint(endpoint: Endpoint, actor) -> None:
    record_audit(
        endpoint.organisation,
        actor,
        "webhook.delete",
        endpoint.name,
        {"endpoint": endpoint.pk, "deliveries": endpoint.deliveries.count()},
    )
    endpoint.delete()


@transaction.atomic
def rotate_secret(endpoint: Endpoint, actor, *, immediately: bool) -> None:
    """A new signing secret. Unless ``immediately`` (a leaked secret), the old one keeps
    signing beside it for ``conf.secret_grace()`` so receivers can switch without a gap."""
    endpoint.rotate_secret(grace=timedelta(0) if immediately else conf.secret_grace())
    endpoint.save()
    record_audit(
        endpoint.organisation,
        actor,
        "webhook.rotate_secret",
        endpoint.name,
        {"endpoint": endpoint.pk, "old_secret_valid_until": _iso(endpoint)},
    )


@transaction.atomic
def set_active(endpoint: Endpoint, actor, active: bool) -> None:
    if endpoint.is_active == active:
        return
    if active:
        endpoint.enable()
    else:
        endpoint.disable(Endpoint.DisabledReason.BY_USER)
    endpoint.save()
    action = "webhook.enable" if active else "webhook.disable"
    record_audit(endpoint.organisation, actor, action, endpoint.name, {"endpoint": endpoint.pk})


@transaction.atomic
def send_test(endpoint: Endpoint) -> Delivery:
    """Queue a ``ping`` to the endpoint (also to a turned-off one, to check it before turning
    it back on). It is tried once."""
    [delivery] = queue_deliveries(
        endpoint.organisation_id, event_types.PING, ping_payload(endpoint), [endpoint.pk]
    )
    return delivery


def _iso(endpoint: Endpoint) -> str | None:
    expires = endpoint.previous_secret_expires_at
    return expires.isoformat() if expires else None
