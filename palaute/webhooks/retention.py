"""How long the delivery log is kept: finished deliveries (delivered or given up) older than
``WEBHOOKS_KEEP_DAYS`` (default 30) are deleted with their attempts. Deliveries still waiting
for an attempt are kept whatever their age.

``palaute prune_webhook_deliveries`` runs it; ``prune`` is meant for a daily periodic duty.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from palaute.webhooks.models import Delivery

BATCH = 2000


def keep_days() -> int:
    return int(getattr(settings, "WEBHOOKS_KEEP_DAYS", 30))


def prune(now: datetime | None = None) -> int:
    """Delete old finished deliveries in batches; returns how many."""
    cutoff = (now or timezone.now()) - timedelta(days=keep_days())
    old = Delivery.objects.filter(
        created_at__lt=cutoff, status__in=(Delivery.Status.SUCCEEDED, Delivery.Status.GIVEN_UP)
    )
    removed = 0
    while True:
        ids = list(old.order_by().values_list("id", flat=True)[:BATCH])
        if not ids:
            return removed
        # Attempts go in one DELETE with them (the cascade); only ids are loaded.
        Delivery.objects.filter(id__in=ids).only("id").delete()
        removed += len(ids)
