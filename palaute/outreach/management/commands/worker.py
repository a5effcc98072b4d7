"""``palaute worker``: run background jobs (invitations, reminders, …).

With the default database backend this is django-tasks-db's worker with a heartbeat and the
recovery of jobs whose worker died (``palaute/outreach/worker.py``). Run as many as you like, on
as many machines as you like, against one PostgreSQL database; on SQLite run one. With
``TASKS_BACKEND=django_tasks_rq.RQBackend`` it starts RQ's worker instead (needs
django-tasks-rq and django-rq installed and configured).
"""

from __future__ import annotations

import logging
from argparse import ArgumentParser

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, DEFAULT_TASK_QUEUE_NAME, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands.db_worker import (
    valid_interval,
    valid_max_tasks,
    validate_worker_id,
)

from palaute.outreach.worker import HeartbeatWorker

RQ_BACKEND = "django_tasks_rq.RQBackend"


class Command(BaseCommand):
    help = "Run background jobs (invitations, reminders, schedules); see docs/automation.md."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            default=DEFAULT_TASK_QUEUE_NAME,
            help="Queues to process, comma-separated; '*' for all (default: %(default)s).",
        )
        parser.add_argument(
            "--interval",
            type=valid_interval,
            default=1.0,
            help="Seconds to wait when the queue is empty (default: %(default)s).",
        )
        parser.add_argument(
            "--batch", action="store_true", help="Run the jobs that are due, then exit."
        )
        parser.add_argument(
            "--max-tasks", type=valid_max_tasks, default=None, help="Exit after this many jobs."
        )
        parser.add_argument(
            "--worker-id",
            type=validate_worker_id,
            default=None,
            help="Unique id of this worker (default: random).",
        )
        parser.add_argument(
            "--heartbeat",
            type=valid_interval,
            default=5.0,
            help="Seconds between heartbeats (default: %(default)s).",
        )
        parser.add_argument(
            "--stale-after",
            type=valid_interval,
            default=60.0,
            help="Requeue a running job whose worker has not been seen for this many seconds "
            "(default: %(default)s).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_false",
            dest="periodic",
            help="Do not start periodic duties (schedule rounds) from this worker.",
        )
        parser.add_argument(
            "--no-startup-delay",
            action="store_false",
            dest="startup_delay",
            help="Start at once instead of after a random delay of up to a second.",
        )

    def handle(self, *args, **options) -> None:
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        queues = options["queue_name"].split(",")
        if f"{type(backend).__module__}.{type(backend).__name__}".startswith("django_tasks_rq"):
            call_command("rqworker", *queues, job_class="django_tasks_rq.Job")
            return
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                f"TASKS_BACKEND {type(backend).__name__} has no worker here; use "
                f"django_tasks_db.DatabaseBackend (default) or {RQ_BACKEND}."
            )
        if options["stale_after"] <= options["heartbeat"] * 2:
            raise CommandError("--stale-after must be more than twice --heartbeat.")
        self._configure_logging(options["verbosity"])
        worker = HeartbeatWorker(
            queue_names=queues,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"] or get_random_string(32),
            excluded_queue_names=[],
            heartbeat=options["heartbeat"],
            stale_after=options["stale_after"],
            run_periodic=options["periodic"],
        )
        worker.configure_signals()
        worker.run()

    def _configure_logging(self, verbosity: int) -> None:
        level = {0: logging.CRITICAL, 1: logging.INFO}.get(verbosity, logging.DEBUG)
        for name in ("django_tasks", "django_tasks_db", "palaute.outreach"):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler(self.stdout))
