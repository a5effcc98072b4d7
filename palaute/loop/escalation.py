"""Watching response-time targets: remind the owner when a case nears its target, escalate to
the manager when it misses it. Run by the worker's periodic "loop" duty (every minute by
default, see ``palaute.outreach.periodic``) and by ``palaute escalate_cases``.

A case still without a first response is reminded once, when ``warn_at`` (the
``warn_at_percent`` share of its target) has passed, and escalated once, when ``due_at`` has
passed. "Once" is a guarded UPDATE (``… SET warned_at = now WHERE warned_at IS NULL``): among
any number of passes running at the same moment exactly one claims each case, and it queues the
emails and writes the history entry in the same transaction as its claim.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from palaute.loop import digest, notifications, owners
from palaute.loop.configuration import settings_for
from palaute.loop.models import OPEN_STATUSES, Case, CaseEvent
from palaute.loop.workflow import record_event

BATCH = 500


@dataclass(frozen=True)
class PassResult:
    warned: int
    escalated: int
    digests: int = 0

    def __str__(self) -> str:
        return f"{self.warned} reminded, {self.escalated} escalated, {self.digests} digests"


def waiting():
    """Open cases nobody has answered yet."""
    return Case.objects.filter(status__in=OPEN_STATUSES, first_response_at__isnull=True)


def run_pass(now: datetime | None = None, *, send_now: bool = False) -> PassResult:
    """One round of reminders and escalations (at most ``BATCH`` of each)."""
    now = now or timezone.now()
    to_warn = list(
        waiting()
        .filter(warned_at__isnull=True, warn_at__lte=now, due_at__gt=now)
        .order_by("warn_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    to_escalate = list(
        waiting()
        .filter(escalated_at__isnull=True, due_at__lte=now)
        .order_by("due_at")
        .values_list("pk", flat=True)[:BATCH]
    )
    warned = sum(warn(pk, now, send_now=send_now) for pk in to_warn)
    escalated = sum(escalate(pk, now, send_now=send_now) for pk in to_escalate)
    return PassResult(warned, escalated)


def run_duty(now: datetime | None = None, *, send_now: bool = False) -> PassResult:
    """The periodic duty: reminders, escalations and the daily digests that are due."""
    now = now or timezone.now()
    result = run_pass(now, send_now=send_now)
    sent = digest.send_due_digests(now, send_now=send_now)
    return PassResult(result.warned, result.escalated, sent)


def warn(case_id: int, now: datetime, *, send_now: bool = False) -> int:
    """Remind the owner of one case; 1 if this call did it, 0 if it was done or not due."""
    with transaction.atomic():
        claimed = (
            waiting()
            .filter(pk=case_id, warned_at__isnull=True, warn_at__lte=now)
            .update(warned_at=now)
        )
        if not claimed:
            return 0
        case = Case.objects.select_related("organisation").get(pk=case_id)
        told = []
        if case.owner_id is not None:
            notifications.deliver(notifications.WARNING, case.pk, case.owner_id, send_now=send_now)
            told.append(case.owner_id)
        record_event(case, CaseEvent.Kind.WARNED, data={"to": told}, at=now)
    return 1


def escalate(case_id: int, now: datetime, *, send_now: bool = False) -> int:
    """Tell the escalation manager (else the managers and owners) that a case missed its
    target; 1 if this call did it, 0 if it was done or not due."""
    with transaction.atomic():
        claimed = (
            waiting()
            .filter(pk=case_id, escalated_at__isnull=True, due_at__lte=now)
            .update(escalated_at=now)
        )
        if not claimed:
            return 0
        case = Case.objects.select_related("organisation").get(pk=case_id)
        recipients = owners.escalation_recipients(
            case.organisation, settings_for(case.organisation)
        )
        for user in recipients:
            notifications.deliver(notifications.ESCALATED, case.pk, user.pk, send_now=send_now)
        record_event(
            case, CaseEvent.Kind.ESCALATED, data={"to": [u.pk for u in recipients]}, at=now
        )
    return 1
