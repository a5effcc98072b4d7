"""Periodic duties of ``palaute worker``: schedule rounds that are due, and a repair sweep.

Every worker's heartbeat thread calls ``enqueue_due()`` (and ``palaute worker --batch`` calls it
once at start). Each duty has a ``PeriodicRun`` row; the worker that moves its
``next_run_at`` forward with a guarded UPDATE enqueues the duty as an ordinary job, so among
any number of workers each run starts once, and the heavy part runs in the job loop (not in the
heartbeat thread, whose beats must not be delayed).

Invitations and messages themselves need no periodic duty: each has its own job with
``run_after`` set to its time, committed with it. The sweep only repairs what could fall
between the cracks when the queue is not in the database (RQ: a job enqueued after the commit
can be lost if the process dies in between): a scheduled invitation or message overdue by more
than ``SWEEP_AFTER`` gets a new send job. Sending claims the row first, so a duplicate job is
harmless. With the database queue (the default) a job is committed with its row and cannot be
lost, so the sweep does not run.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db import DatabaseBackend

from palaute.outreach import conf
from palaute.outreach.jobs import enqueue, retrying
from palaute.outreach.models import Invitation, JourneyMessage, PeriodicRun

logger = logging.getLogger(__name__)

SWEEP_AFTER = timedelta(hours=1)
SWEEP_BATCH = 500


def _duties() -> dict[str, timedelta]:
    duties = {"schedules": timedelta(seconds=conf.periodic_seconds())}
    # Closed loop: response-time reminders, escalations and daily digests (palaute.loop).
    duties["loop"] = timedelta(seconds=conf.periodic_seconds())
    duties["reviews"] = timedelta(minutes=5)  # queues the review sources due for a sync
    duties["webhooks_prune"] = timedelta(days=1)  # the delivery log's retention
    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        duties["sweep"] = timedelta(minutes=15)
    return duties


def claim(name: str, every: timedelta, now: datetime) -> bool:
    """True for exactly one caller per period of ``every``."""
    # get_or_create copes with another worker creating the row at the same moment.
    PeriodicRun.objects.get_or_create(name=name, defaults={"next_run_at": now})
    moved = PeriodicRun.objects.filter(name=name, next_run_at__lte=now).update(
        next_run_at=now + every, last_run_at=now
    )
    return moved == 1


def enqueue_due(now: datetime | None = None) -> list[str]:
    """Enqueue the duties whose time has come; returns their names."""
    now = now or timezone.now()
    started = []
    for name, every in _duties().items():
        if claim(name, every, now):
            enqueue(periodic_job, name)
            started.append(name)
    return started


@retrying(max_attempts=1)
def periodic_job(name: str) -> str:
    if name == "schedules":
        from palaute.outreach.schedules import run_due

        return f"{run_due()} rounds"
    if name == "sweep":
        return f"{sweep()} requeued"
    if name == "loop":
        from palaute.loop.escalation import run_duty

        return str(run_duty())
    if name == "reviews":
        from palaute.reviews.sync import sync_due

        return f"{sync_due()} review sources queued"
    if name == "webhooks_prune":
        from palaute.webhooks.retention import prune

        return f"{prune()} webhook deliveries pruned"
    return f"unknown duty {name}"


def sweep(now: datetime | None = None) -> int:
    """Give long-overdue scheduled invitations and messages a new send job."""
    from palaute.outreach.messages import send_message_job
    from palaute.outreach.sending import send_invitation_job

    cutoff = (now or timezone.now()) - SWEEP_AFTER
    count = 0
    overdue = Invitation.objects.filter(
        status=Invitation.Status.SCHEDULED, scheduled_for__lt=cutoff
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    for pk in overdue:
        enqueue(send_invitation_job, pk)
        count += 1
    messages = JourneyMessage.objects.filter(
        status=JourneyMessage.Status.SCHEDULED, scheduled_for__lt=cutoff
    ).values_list("pk", flat=True)[:SWEEP_BATCH]
    for pk in messages:
        enqueue(send_message_job, pk)
        count += 1
    if count:
        logger.warning("requeued %d overdue invitations and messages", count)
    return count
