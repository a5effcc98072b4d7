"""Running queued jobs inside a test, through the real worker loop."""

from __future__ import annotations

from unittest import mock

from django_tasks_db.models import DBTaskResult

from palaute.outreach.worker import HeartbeatWorker


def run_due_jobs(worker_id: str = "test-worker") -> int:
    """Run every job that is due now (as ``palaute worker --batch`` does); returns how many
    ran."""
    before = DBTaskResult.objects.exclude(status="READY").count()
    # The worker loop drops "obsolete" connections between jobs; inside a test's transaction
    # that would close the test's own connection (on PostgreSQL), so it is skipped here.
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        make_worker(worker_id).run()
    return DBTaskResult.objects.exclude(status="READY").count() - before


def make_worker(worker_id: str) -> HeartbeatWorker:
    """The batch worker of `palaute worker --batch`, built in-process."""
    return HeartbeatWorker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
        heartbeat=3600,
        stale_after=7200,
    )


def make_due(**filters) -> None:
    """Pretend the future has come for queued jobs (reminders, retries)."""
    from django.utils import timezone

    DBTaskResult.objects.filter(status="READY", **filters).update(run_after=timezone.now())
