"""``palaute worker``: django-tasks-db's worker loop plus a heartbeat, so that a job whose
worker died runs again.

How django-tasks-db claims a job: in one transaction it selects the next READY row
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, an EXCLUSIVE transaction on SQLite) and sets
it RUNNING with the worker's id appended to ``worker_ids``. Two workers never get the same row.
But if the worker is then killed (SIGKILL, OOM, a lost machine) the row stays RUNNING forever:
django-tasks-db has no lease.

So each ``palaute worker`` keeps a ``WorkerHeartbeat`` row fresh from a background thread
(every ``--heartbeat`` seconds). The same thread, in every worker, looks for RUNNING jobs whose
last worker has not been seen for ``--stale-after`` seconds and puts them back to READY with a
guarded UPDATE; the next free worker runs them again. Jobs must therefore tolerate a second run
(ours do: sending claims the invitation row first, see ``sending.py``). A job that has already
been started ``MAX_RUNS`` times is marked FAILED instead, so a job that kills its worker every
time cannot loop forever.

The heartbeat thread also starts the periodic duties (periodic.py: schedule rounds), at most
once per period among all workers.

Run only ``palaute worker`` (not the plain ``db_worker``) against one database: a plain
worker's jobs have no heartbeat and would be requeued once they run longer than
``--stale-after``.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import timedelta

from django.db import close_old_connections, connection
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from palaute.outreach import periodic
from palaute.outreach.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

MAX_RUNS = 5
FORGET_WORKERS_AFTER = timedelta(days=1)


def recover_stale_jobs(backend_name: str, stale_after: float) -> int:
    """Put RUNNING jobs of dead workers back in the queue; returns how many."""
    now = timezone.now()
    cutoff = now - timedelta(seconds=stale_after)
    alive = set(
        WorkerHeartbeat.objects.filter(last_seen_at__gte=cutoff).values_list("worker_id", flat=True)
    )
    recovered = 0
    running = DBTaskResult.objects.running().filter(
        backend_name=backend_name, started_at__lt=cutoff
    )
    for job in running.only("id", "worker_ids", "started_at"):
        if job.worker_ids and job.worker_ids[-1] in alive:
            continue
        same_run = DBTaskResult.objects.filter(
            id=job.id, status=TaskResultStatus.RUNNING, started_at=job.started_at
        )
        if len(job.worker_ids) >= MAX_RUNS:
            changed = same_run.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path="palaute.outreach.worker.WorkerLost",
                traceback=f"The job's worker died {len(job.worker_ids)} times; not retried.",
            )
        else:
            changed = same_run.update(status=TaskResultStatus.READY, started_at=None)
        if changed:
            recovered += 1
            logger.warning("job %s: worker %s died; requeued", job.id, job.worker_ids[-1:])
    WorkerHeartbeat.objects.filter(last_seen_at__lt=now - FORGET_WORKERS_AFTER).delete()
    return recovered


class HeartbeatWorker(Worker):
    def __init__(
        self, *, heartbeat: float, stale_after: float, run_periodic: bool = False, **options
    ):
        super().__init__(**options)
        self.heartbeat = heartbeat
        self.stale_after = stale_after
        # Also start the periodic duties (schedule rounds, periodic.py) when they are due.
        self.run_periodic = run_periodic
        self._stopping = threading.Event()

    def run(self) -> None:
        # Keep the worker's own connection between jobs. With CONN_MAX_AGE = 0 (the SQLite
        # default here) the worker loop would reconnect for every job, and closing a SQLite
        # connection in WAL mode costs more than running a small job.
        settings_dict = connection.settings_dict
        max_age = settings_dict.get("CONN_MAX_AGE")
        if not connection.in_atomic_block:  # (a test's transaction: leave it alone)
            connection.close()
        settings_dict["CONN_MAX_AGE"] = max_age or None
        try:
            self._run_with_heartbeat()
        finally:
            if not connection.in_atomic_block:
                connection.close()
            settings_dict["CONN_MAX_AGE"] = max_age

    def _run_with_heartbeat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "last_seen_at": timezone.now(),
            },
        )
        recover_stale_jobs(self.backend_name, self.stale_after)
        self._periodic_duties()
        beat = threading.Thread(target=self._beat, name="palaute-heartbeat", daemon=True)
        beat.start()
        try:
            super().run()
        finally:
            self._stopping.set()
            beat.join(timeout=self.heartbeat + 5)
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()

    def _periodic_duties(self) -> None:
        if self.run_periodic:
            periodic.enqueue_due()

    def _beat(self) -> None:
        try:
            while not self._stopping.wait(self.heartbeat):
                try:
                    close_old_connections()
                    WorkerHeartbeat.objects.filter(worker_id=self.worker_id).update(
                        last_seen_at=timezone.now()
                    )
                    recover_stale_jobs(self.backend_name, self.stale_after)
                    self._periodic_duties()
                except Exception:  # keep beating through a passing database error
                    logger.exception("worker heartbeat failed")
        finally:
            connection.close()
