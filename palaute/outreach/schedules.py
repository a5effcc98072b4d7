"""Relationship surveys on a schedule (quarterly NPS to every active account) and panel rounds.

A schedule repeats every ``interval`` weeks or months from ``start_date`` at ``send_time`` in
its time zone: round k is due on start_date + k·interval (months keep the day of the month,
the 31st becoming the last day of a shorter month). ``next_run_at`` holds the next due time;
the periodic job (periodic.py) creates the rounds that are due.

A round is recorded as a ``ScheduleRound`` whose ``period`` (the due date, or
``manual:<id>`` for one started by hand) is unique per schedule, and its invitations use the
round as their batch key: a round runs once however many workers look, and a repeated click
on "start a round" does nothing. When the worker was down through several due dates, only the
latest round is sent: two quarterly surveys at once would be worse than one missed.
"""

from __future__ import annotations

import calendar
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from palaute.outreach.invitations import invite
from palaute.outreach.models import Contact, Invitation, Schedule, ScheduleRound
from palaute.outreach.segments import members
from palaute.outreach.timing import local_to_utc

DEFAULT_ZONE = "Europe/Helsinki"
MAX_ROUNDS_AHEAD = 10_000  # a bound on the search for the next date (200 years of weeks)


def _zone(schedule: Schedule) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(schedule.time_zone or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def occurrence_date(schedule: Schedule, k: int) -> date:
    if schedule.frequency == Schedule.Frequency.WEEKS:
        return schedule.start_date + timedelta(weeks=k * schedule.interval)
    return add_months(schedule.start_date, k * schedule.interval)


def occurrence(schedule: Schedule, k: int) -> datetime:
    """The instant round k (0 = the first) is due."""
    day = occurrence_date(schedule, k)
    return local_to_utc(datetime.combine(day, schedule.send_time), _zone(schedule))


def next_after(schedule: Schedule, moment: datetime) -> datetime | None:
    """The first due time strictly after ``moment``; None for manual schedules."""
    if schedule.frequency == Schedule.Frequency.MANUAL or schedule.interval < 1:
        return None
    for k in range(MAX_ROUNDS_AHEAD):
        due = occurrence(schedule, k)
        if due > moment:
            return due
    return None


def latest_due(schedule: Schedule, now: datetime) -> datetime | None:
    """The latest due time that is not after ``now``, or None."""
    if schedule.frequency == Schedule.Frequency.MANUAL or schedule.interval < 1:
        return None
    latest = None
    for k in range(MAX_ROUNDS_AHEAD):
        due = occurrence(schedule, k)
        if due > now:
            break
        latest = due
    return latest


def plan(schedule: Schedule, now: datetime) -> None:
    """Set ``next_run_at`` after the schedule was created or edited: the next due time that
    has no round yet (a due time already passed is not sent retroactively)."""
    schedule.next_run_at = next_after(schedule, now) if schedule.is_active else None


def audience(schedule: Schedule) -> QuerySet[Contact]:
    contacts = Contact.objects.filter(organisation_id=schedule.organisation_id)
    if schedule.audience == Schedule.Audience.SEGMENT and schedule.segment is not None:
        contacts = members(schedule.segment)
    elif schedule.audience == Schedule.Audience.ACTIVE_ACCOUNTS:
        contacts = contacts.filter(account__is_active=True)
    return contacts.select_related("account__owner")


@dataclass
class RoundResult:
    round: ScheduleRound
    created: bool


def start_round(
    schedule: Schedule, *, period: str, due_at: datetime, user=None, now: datetime | None = None
) -> RoundResult:
    """Create round ``period`` of ``schedule`` and its invitations, once."""
    now = now or timezone.now()
    existing = ScheduleRound.objects.filter(schedule=schedule, period=period).first()
    if existing is not None:
        return RoundResult(existing, created=False)
    try:
        with transaction.atomic():
            # Serialise round numbers per schedule (PostgreSQL locks the row; SQLite writers
            # are serialised anyway).
            Schedule.objects.select_for_update().filter(pk=schedule.pk).first()
            number = (schedule.rounds.aggregate(n=Max("number"))["n"] or 0) + 1
            round_ = ScheduleRound.objects.create(
                organisation_id=schedule.organisation_id,
                schedule=schedule,
                number=number,
                period=period[:60],
                due_at=due_at,
                created_by=user,
            )
            result = invite(
                schedule.survey,
                audience(schedule),
                preference=schedule.channel_preference,
                batch_key=f"round:{round_.pk}",
                send_at=max(due_at, now),
                source=Invitation.Source.SCHEDULE,
                source_ref=f"{schedule.name} · {number}",
                user=user,
                schedule_round=round_,
            )
            round_.invited, round_.skipped = result.scheduled, result.skipped
            round_.save(update_fields=["invited", "skipped"])
    except IntegrityError:
        existing = ScheduleRound.objects.filter(schedule=schedule, period=period).first()
        if existing is None:
            raise
        return RoundResult(existing, created=False)
    return RoundResult(round_, created=True)


def run_due(now: datetime | None = None) -> int:
    """Create every round that is due; returns how many were created."""
    now = now or timezone.now()
    created = 0
    due = Schedule.objects.filter(is_active=True, next_run_at__lte=now).select_related(
        "survey__organisation", "segment"
    )
    for schedule in due:
        when = latest_due(schedule, now) or schedule.next_run_at or now
        local_day = when.astimezone(_zone(schedule)).date()
        result = start_round(schedule, period=local_day.isoformat(), due_at=when, now=now)
        created += result.created
        Schedule.objects.filter(pk=schedule.pk).update(next_run_at=next_after(schedule, when))
    return created
