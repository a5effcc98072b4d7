"""Running a background batch (a send to a segment, a CSV of events) in chunks.

The request records the batch and enqueues its job in one transaction (jobs.enqueue), so the
job exists exactly when the batch does. The job then repeats, until nothing is left or its
time budget is spent:

1. one transaction: lock the batch row, do the next chunk (``step``), which moves the
   batch's cursor and counts; save the batch. The page sees the progress at each commit;
2. when the budget is spent, the last chunk's transaction also enqueues the job again (a
   continuation), so one run never holds a worker for long (RQ kills long jobs; other jobs,
   the sends themselves, get their turn) and a batch is never left without a job.

A re-run after a crash (the worker requeues a job whose worker died, worker.py) finds the
cursor of the last committed chunk and continues from there; a chunk that was under way was
rolled back whole. Two runs at once (a continuation and a recovered copy) take the row lock in
turn and the second finds the cursor moved. The chunks themselves are idempotent too
(invitations and events are unique per key), as a last line of defence.

A run that fails is retried with backoff (jobs.retrying); after ``MAX_FAILURES`` failed runs
the batch is marked failed with the error, so the page never shows "running" for ever.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from palaute.outreach import conf
from palaute.outreach.jobs import enqueue
from palaute.outreach.models import BackgroundBatch, BatchStatus

logger = logging.getLogger(__name__)

MAX_FAILURES = 5
# Above the sends (priority 0): a batch creates its invitations before the worker turns to
# sending them, so its progress bar moves steadily.
PRIORITY = 10

B = TypeVar("B", bound=BackgroundBatch)


def run_in_chunks(
    model: type[B],
    batch_id: int,
    step: Callable[[B], bool],
    *,
    continuation: Any,
    budget: float | None = None,
    begin: Callable[[B], None] | None = None,
    finish: Callable[[B], None] | None = None,
) -> str:
    """Run ``step`` chunk by chunk on the batch (see the module doc). ``step(batch)`` does one
    chunk, updates the batch's cursor and counts in memory (saved here, in the same
    transaction) and returns whether more remains. ``begin`` runs in the first chunk's
    transaction (count what is planned), ``finish`` in the last one's (clean up)."""
    deadline = time.monotonic() + (conf.batch_run_seconds() if budget is None else budget)
    while True:
        with transaction.atomic():
            batch = model._default_manager.select_for_update().filter(pk=batch_id).first()
            if batch is None:
                return "gone"
            if batch.is_finished:
                return f"already {batch.status}"
            if batch.status == BatchStatus.QUEUED:
                batch.status = BatchStatus.RUNNING
                batch.started_at = timezone.now()
                if begin is not None:
                    begin(batch)
            more = step(batch)
            if batch.status == BatchStatus.FAILED:  # step gave up (fail() below)
                batch.save()
                return f"failed: {batch.last_error}"
            if not more:
                batch.status = BatchStatus.DONE
                batch.finished_at = timezone.now()
                if finish is not None:
                    finish(batch)
            batch.save()
            if not more:
                return "done"
            if time.monotonic() >= deadline:
                enqueue(continuation, batch_id)
                return f"continues after {batch.processed}"


def give_up_after_failures(model: type[BackgroundBatch], batch_id: int, exc: Exception) -> bool:
    """Count a failed run of the batch's job (the run's own transaction was rolled back);
    True when the batch has now failed for good and the job should not be retried."""
    error = f"{type(exc).__name__}: {exc}"[:500]
    with transaction.atomic():
        batch = model._default_manager.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.is_finished:
            return True
        batch.failures += 1
        batch.last_error = error
        gave_up = batch.failures >= MAX_FAILURES
        if gave_up:
            batch.status = BatchStatus.FAILED
            batch.finished_at = timezone.now()
            logger.error("%s %s failed for good: %s", model.__name__, batch_id, error)
        batch.save(update_fields=["failures", "last_error", "status", "finished_at"])
    return gave_up


def fail(batch: BackgroundBatch, reason: str) -> None:
    """End the batch as failed for a reason a retry cannot cure (call inside ``step``'s
    transaction; what was done so far stays)."""
    batch.status = BatchStatus.FAILED
    batch.last_error = reason[:500]
    batch.finished_at = timezone.now()
