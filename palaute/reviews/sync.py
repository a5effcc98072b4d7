"""Polling the connected sources: incremental sync, errors recorded on the source.

``sync_source`` claims the source (a guarded UPDATE, so two workers never sync one source at
once), reads the pages its connector gives (Google: newest change first, down to the last
update time seen; Facebook: ``since`` a look-back before the newest rating seen, all of them
every few days) and stores each review in its own transaction. A failure halfway keeps what
was stored and leaves the sync mark where it was, so the next run reads the missed part again;
the error is shown on the source until a sync succeeds.

``sync_due`` is the worker's periodic duty (outreach/periodic.py): it queues a sync job for
each active, connected source not attempted within ``REVIEWS_SYNC_MINUTES``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from palaute.outreach.jobs import enqueue, retrying
from palaute.reviews import analysis, conf
from palaute.reviews.connectors import ConnectorError, connector_for
from palaute.reviews.crypto import SecretUnreadable
from palaute.reviews.models import ReviewSource, SourceKind
from palaute.reviews.store import Placement, record_review

logger = logging.getLogger(__name__)

# A sync still holding its claim after this long is taken to have died with its worker.
CLAIM_LEASE = timedelta(minutes=30)


@dataclass
class SyncResult:
    fetched: int = 0
    created: int = 0
    changed: int = 0
    error: str = ""
    skipped: bool = False

    def __str__(self) -> str:
        if self.skipped:
            return "another sync is running"
        text = f"{self.fetched} read, {self.created} new, {self.changed} changed"
        return f"{text}; error: {self.error}" if self.error else text


def sync_source(source_id: int, *, full: bool = False, now: datetime | None = None) -> SyncResult:
    now = now or timezone.now()
    if not _claim(source_id, now):
        return SyncResult(skipped=True)
    result = SyncResult()
    source = ReviewSource.objects.select_related("organisation", "touchpoint").get(pk=source_id)
    full = full or _full_read_due(source, now)
    newest = source.sync_mark
    try:
        connector = connector_for(source)
        placement = Placement.of(source)
        for page in connector.pages(None if full else _since(source)):
            touched: list[int] = []
            for incoming in page:
                outcome = record_review(source, incoming, placement=placement, now=now)
                result.fetched += 1
                result.created += outcome.created
                result.changed += outcome.changed and not outcome.created
                if outcome.changed:
                    touched.append(outcome.review.pk)
                stamp = incoming.updated_at or incoming.reviewed_at
                newest = stamp if newest is None else max(newest, stamp)
            analysis.schedule(touched)
    except (ConnectorError, SecretUnreadable) as error:
        result.error = str(error)[:2000]
        logger.warning("review source %s: sync failed: %s", source_id, result.error)
        _failed(source_id, result.error, now)
        return result
    except Exception as error:  # a bug or a shape we did not expect: shown, then raised
        _failed(source_id, f"unexpected error: {type(error).__name__}: {error}"[:2000], now)
        raise
    fields = {
        "sync_mark": newest,
        "last_synced_at": now,
        "last_error": "",
        "last_error_at": None,
        "sync_started_at": None,
    }
    if full:
        fields["last_full_sync_at"] = now
    ReviewSource.objects.filter(pk=source_id).update(**fields)
    return result


def _failed(source_id: int, message: str, now: datetime) -> None:
    ReviewSource.objects.filter(pk=source_id).update(
        last_error=message, last_error_at=now, sync_started_at=None
    )


def _claim(source_id: int, now: datetime) -> bool:
    free = Q(sync_started_at__isnull=True) | Q(sync_started_at__lt=now - CLAIM_LEASE)
    return (
        ReviewSource.objects.filter(free, pk=source_id).update(
            sync_started_at=now, last_attempt_at=now
        )
        == 1
    )


def _full_read_due(source: ReviewSource, now: datetime) -> bool:
    if source.sync_mark is None:
        return True
    if source.kind != SourceKind.FACEBOOK:
        return False
    last = source.last_full_sync_at
    return last is None or now - last >= conf.full_sync_every()


def _since(source: ReviewSource) -> datetime | None:
    if source.sync_mark is None:
        return None
    if source.kind == SourceKind.FACEBOOK:
        return source.sync_mark - conf.facebook_lookback()
    return source.sync_mark


@retrying(max_attempts=1)
def sync_source_job(source_id: int, full: bool = False) -> str:
    # Errors are recorded on the source and retried by the next due run, not by the queue.
    return str(sync_source(source_id, full=full))


def due_sources(now: datetime) -> list[int]:
    cutoff = now - conf.sync_every()
    return list(
        ReviewSource.objects.filter(
            kind__in=[SourceKind.GOOGLE, SourceKind.FACEBOOK], is_active=True
        )
        .exclude(access_token_encrypted="", refresh_token_encrypted="")
        .filter(Q(last_attempt_at__isnull=True) | Q(last_attempt_at__lt=cutoff))
        .values_list("pk", flat=True)
    )


def sync_due(now: datetime | None = None) -> int:
    """Queue a sync for every source that is due; returns how many."""
    now = now or timezone.now()
    ids = due_sources(now)
    # Marked as attempted now, so the next duty run does not queue them again meanwhile.
    ReviewSource.objects.filter(pk__in=ids).update(last_attempt_at=now)
    for pk in ids:
        enqueue(sync_source_job, pk)
    return len(ids)
