"""Scheduled relationship surveys and panel rounds: due dates, one round per period whoever
runs it, and the periodic duty inside `palaute worker`."""

from datetime import UTC, date, datetime, time, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from palaute.outreach import periodic, schedules
from palaute.outreach.models import (
    Account,
    Invitation,
    PeriodicRun,
    Schedule,
    ScheduleRound,
    Segment,
)
from palaute.outreach.tests.helpers import make_contact
from palaute.outreach.tests.jobs_helpers import make_worker
from palaute.surveys.tests.helpers import make_org, make_survey

pytestmark = pytest.mark.django_db


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def org():
    return make_org("kahvila")


def quarterly(org, **fields) -> Schedule:
    defaults = {
        "organisation": org,
        "name": "Quarterly NPS",
        "survey": make_survey(organisation=org, key=f"rel{Schedule.objects.count()}"),
        "frequency": "months",
        "interval": 3,
        "start_date": date(2025, 1, 31),
        "send_time": time(9, 0),
    }
    return Schedule.objects.create(**{**defaults, **fields})


def test_month_arithmetic_keeps_the_day_or_takes_the_months_last():
    assert schedules.add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert schedules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert schedules.add_months(date(2025, 1, 31), 3) == date(2025, 4, 30)
    assert schedules.add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


def test_occurrences_in_local_time_across_daylight_saving(org):
    schedule = quarterly(org)
    # 09:00 Helsinki: winter UTC+2, summer UTC+3; the 31st never drifts to the 28th.
    assert schedules.occurrence(schedule, 0) == at(2025, 1, 31, 7, 0)
    assert schedules.occurrence(schedule, 1) == at(2025, 4, 30, 6, 0)
    assert schedules.occurrence(schedule, 3) == at(2025, 10, 31, 7, 0)
    assert schedules.occurrence(schedule, 4) == at(2026, 1, 31, 7, 0)
    weekly = quarterly(org, frequency="weeks", interval=2, start_date=date(2025, 3, 24))
    assert schedules.occurrence(weekly, 1) == at(2025, 4, 7, 6, 0)
    assert schedules.next_after(schedule, at(2025, 2, 1)) == at(2025, 4, 30, 6, 0)
    assert schedules.latest_due(schedule, at(2025, 11, 1)) == at(2025, 10, 31, 7, 0)
    manual = quarterly(org, frequency="manual")
    assert schedules.next_after(manual, at(2025, 2, 1)) is None


def test_rounds_go_to_active_accounts_once_per_period(org):
    active = Account.objects.create(organisation=org, name="Active Oy")
    former = Account.objects.create(organisation=org, name="Former Oy", is_active=False)
    make_contact(org, "a@example.com", account=active)
    make_contact(org, "b@example.com", account=active)
    make_contact(org, "c@example.com", account=former)
    make_contact(org, "private@example.com")
    schedule = quarterly(org)
    schedules.plan(schedule, at(2025, 2, 1))
    schedule.save()
    assert schedule.next_run_at == at(2025, 4, 30, 6, 0)

    assert schedules.run_due(at(2025, 4, 29)) == 0  # not yet
    assert schedules.run_due(at(2025, 4, 30, 6, 1)) == 1
    round_ = ScheduleRound.objects.get()
    assert (round_.number, round_.period, round_.invited) == (1, "2025-04-30", 2)
    invited = set(Invitation.objects.values_list("contact__email", flat=True))
    assert invited == {"a@example.com", "b@example.com"}
    assert set(Invitation.objects.values_list("schedule_round", flat=True)) == {round_.pk}
    schedule.refresh_from_db()
    assert schedule.next_run_at == at(2025, 7, 31, 6, 0)

    # Another worker (or a retried job) for the same period: nothing new.
    again = schedules.start_round(schedule, period="2025-04-30", due_at=round_.due_at)
    assert not again.created and ScheduleRound.objects.count() == 1
    assert schedules.run_due(at(2025, 4, 30, 6, 2)) == 0
    assert Invitation.objects.count() == 2


def test_after_a_long_outage_only_the_latest_round_is_sent(org):
    make_contact(org, "a@example.com", account=Account.objects.create(organisation=org, name="A"))
    schedule = quarterly(org, next_run_at=at(2025, 1, 31, 7, 0))
    assert schedules.run_due(at(2025, 11, 5)) == 1
    assert ScheduleRound.objects.get().period == "2025-10-31"
    schedule.refresh_from_db()
    assert schedule.next_run_at == at(2026, 1, 31, 7, 0)


def test_panel_round_by_hand_goes_to_the_segment_and_a_double_submit_is_one_round(org):
    panel = Segment.objects.create(
        organisation=org, name="Panel", conditions=[{"key": "panel", "op": "=", "value": "yes"}]
    )
    make_contact(org, "in@example.com", attributes={"panel": "yes"})
    make_contact(org, "out@example.com")
    schedule = quarterly(org, kind="panel", audience="segment", segment=panel, frequency="manual")
    first = schedules.start_round(schedule, period="manual:abc", due_at=timezone.now())
    repeat = schedules.start_round(schedule, period="manual:abc", due_at=timezone.now())
    assert first.created and not repeat.created and first.round.invited == 1
    second = schedules.start_round(schedule, period="manual:def", due_at=timezone.now())
    assert second.round.number == 2 and second.round.invited == 0
    assert second.round.skipped == 1  # the first round's invitation is still open
    assert set(Invitation.objects.values_list("contact__email", flat=True)) == {"in@example.com"}


def test_periodic_duties_are_claimed_once_among_workers():
    now = timezone.now()
    # Schedules and the closed loop every minute, review sources every five minutes, the
    # webhook log's pruning daily.
    assert periodic.enqueue_due(now) == ["schedules", "loop", "reviews", "webhooks_prune"]
    assert periodic.enqueue_due(now) == []  # another worker, same moment
    assert periodic.enqueue_due(now + timedelta(seconds=30)) == []
    assert periodic.enqueue_due(now + timedelta(seconds=61)) == ["schedules", "loop"]
    assert PeriodicRun.objects.get(name="schedules").last_run_at == now + timedelta(seconds=61)
    assert periodic.enqueue_due(now + timedelta(seconds=301)) == ["schedules", "loop", "reviews"]
    assert DBTaskResult.objects.filter(task_path__endswith="periodic_job").count() == 9


def test_the_worker_starts_due_rounds(org):
    make_contact(org, "a@example.com", account=Account.objects.create(organisation=org, name="A"))
    quarterly(org, next_run_at=timezone.now() - timedelta(minutes=1))
    worker = make_worker("periodic-test")
    worker.run_periodic = True
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        worker.run()
    round_ = ScheduleRound.objects.get()
    assert round_.invited == 1
    # The batch went on to send the round's invitation too (email to the locmem outbox).
    assert len(mail.outbox) == 1 and Invitation.objects.get().status == "sent"
