"""Emails over a real SMTP server on loopback: "a case is yours", the reminder near the
target, the escalation after it (each exactly once, also with passes racing), and the daily
digest at the member's local hour, once a day."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from palaute.accounts.models import Role
from palaute.loop import escalation, workflow
from palaute.loop.configuration import settings_for
from palaute.loop.digest import send_due_digests
from palaute.loop.models import Case, CaseEvent, NotificationPreference
from palaute.loop.tests.helpers import answer_and_run, make_feedback_survey, make_org, person
from palaute.outreach.tests.jobs_helpers import run_due_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def cafe():
    org = make_org("kahvila")
    # Emails go in the recipient's language, else the organisation's: English here.
    org.default_language = "en"
    org.save()
    owner = person(org, "tiina")
    manager = person(org, "maria", role=Role.MANAGER)
    survey = make_feedback_survey(org)
    survey.touchpoint.owner = owner
    survey.touchpoint.save()
    return {"org": org, "owner": owner, "manager": manager, "survey": survey}


def _mails(inbox, to: str) -> list:
    return [message for _f, rcpt, message in inbox.received if to in rcpt]


def test_the_owner_hears_at_once_that_a_case_is_theirs(cafe, smtp_inbox):
    _r, case = answer_and_run(cafe["survey"], {"nps": 2, "why": "Jono oli pitkä"})
    (message,) = _mails(smtp_inbox, "tiina@kahvila.example")
    assert message["Subject"].strip() == f"[Kahvila] Case #{case.number} is yours: {case.title}"
    body = message.get_content()
    assert "Hello Tiina Virtanen" in body and "Severity: Normal" in body
    assert f"http://testserver/cases/{case.number}/?org=kahvila" in body
    assert "due in 23 h 59 min" in body or "due in 24 h" in body


def test_the_email_follows_the_recipients_language(cafe, smtp_inbox):
    NotificationPreference.objects.create(
        organisation=cafe["org"], user=cafe["owner"], language="fi"
    )
    answer_and_run(cafe["survey"], {"nps": 2})
    (message,) = _mails(smtp_inbox, "tiina@kahvila.example")
    assert "is yours" not in message["Subject"]
    assert "Tapaus #1" in message["Subject"]


def test_no_instant_email_when_the_owner_turned_it_off(cafe, smtp_inbox):
    NotificationPreference.objects.create(
        organisation=cafe["org"], user=cafe["owner"], instant_email=False
    )
    answer_and_run(cafe["survey"], {"nps": 2})
    assert smtp_inbox.received == []


def test_reassigning_tells_the_new_owner_but_not_who_took_it_themselves(cafe, smtp_inbox):
    _r, case = answer_and_run(cafe["survey"], {"nps": 2})
    smtp_inbox.received.clear()
    colleague = person(cafe["org"], "aki")
    workflow.assign(case, colleague.pk, actor=cafe["manager"])
    run_due_jobs()
    assert len(_mails(smtp_inbox, "aki@kahvila.example")) == 1
    workflow.assign(case, cafe["manager"].pk, actor=cafe["manager"])
    run_due_jobs()
    assert _mails(smtp_inbox, "maria@kahvila.example") == []


def test_an_email_for_a_case_reassigned_before_it_went_is_dropped(cafe, smtp_inbox):
    _r, case = answer_and_run(cafe["survey"], {"nps": 2})
    smtp_inbox.received.clear()
    workflow.assign(case, person(cafe["org"], "aki").pk, actor=cafe["manager"])
    workflow.assign(case, cafe["owner"].pk, actor=cafe["manager"])
    run_due_jobs()
    assert _mails(smtp_inbox, "aki@kahvila.example") == []  # no longer his when it was sent
    assert len(_mails(smtp_inbox, "tiina@kahvila.example")) == 1


def test_near_the_target_the_owner_is_reminded_once(cafe, smtp_inbox):
    _r, case = answer_and_run(cafe["survey"], {"nps": 2})
    smtp_inbox.received.clear()
    early = case.opened_at + timedelta(hours=17)
    assert escalation.run_pass(early).warned == 0
    late = case.opened_at + timedelta(hours=19)
    assert escalation.run_pass(late).warned == 1
    assert escalation.run_pass(late + timedelta(minutes=1)).warned == 0
    run_due_jobs()
    (message,) = _mails(smtp_inbox, "tiina@kahvila.example")
    assert "near its response target" in message["Subject"]
    case.refresh_from_db()
    assert case.warned_at == late
    assert case.events.get(kind=CaseEvent.Kind.WARNED).data == {"to": [cafe["owner"].pk]}


def test_a_missed_target_escalates_to_the_manager_exactly_once(cafe, smtp_inbox):
    _r, case = answer_and_run(cafe["survey"], {"nps": 2})
    smtp_inbox.received.clear()
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        opened_at=now - timedelta(hours=24, minutes=5), due_at=now - timedelta(minutes=5)
    )
    assert escalation.run_pass(now).escalated == 1
    assert escalation.run_pass(now + timedelta(minutes=1)).escalated == 0
    run_due_jobs()
    (message,) = _mails(smtp_inbox, "maria@kahvila.example")
    assert "missed its response target" in message["Subject"]
    assert "Response target: overdue by 5 min" in message.get_content()
    # Past the target a reminder to the owner is no longer useful: only the escalation went.
    assert _mails(smtp_inbox, "tiina@kahvila.example") == []
    case.refresh_from_db()
    assert case.escalated_at == now and case.warned_at is None


def test_escalation_goes_to_the_named_manager_else_managers_and_owners(cafe, smtp_inbox):
    boss = person(cafe["org"], "omistaja", role=Role.OWNER)
    _r, first = answer_and_run(cafe["survey"], {"nps": 2})
    escalation.run_pass(first.due_at + timedelta(minutes=1))
    settings = settings_for(cafe["org"])
    settings.escalation_manager = boss
    settings.save()
    _r, second = answer_and_run(cafe["survey"], {"nps": 1, "contact": False})
    if second is None or second.pk == first.pk:  # the same anonymous customer? never linked
        pytest.fail("an anonymous response must open its own case")
    escalation.run_pass(second.due_at + timedelta(minutes=1))
    run_due_jobs()
    first_to = first.events.get(kind="escalated").data["to"]
    second_to = second.events.get(kind="escalated").data["to"]
    assert sorted(first_to) == sorted([cafe["manager"].pk, boss.pk]) and second_to == [boss.pk]


def test_answered_and_closed_cases_do_not_escalate(cafe, smtp_inbox):
    _r, answered = answer_and_run(cafe["survey"], {"nps": 2})
    _r, closed = answer_and_run(cafe["survey"], {"nps": 1})
    workflow.set_status(answered, Case.Status.CONTACTED, actor=cafe["owner"])
    workflow.set_status(closed, Case.Status.NO_ACTION, actor=cafe["owner"], reason="spam")
    result = escalation.run_pass(timezone.now() + timedelta(days=3))
    assert (result.warned, result.escalated) == (0, 0)


@pytest.mark.django_db(transaction=True)
def test_two_passes_racing_escalate_once(smtp_inbox):
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers; the guarded UPDATE is covered by the tests above")
    org = make_org("kilpa")
    person(org, "maria", role=Role.MANAGER)
    survey = make_feedback_survey(org)
    _r, case = answer_and_run(survey, {"nps": 2})
    past = case.due_at + timedelta(minutes=1)
    start = threading.Barrier(2)
    results = []

    def one_pass():
        try:
            start.wait()
            results.append(escalation.run_pass(past).escalated)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1]
    assert CaseEvent.objects.filter(case=case, kind="escalated").count() == 1
    run_due_jobs()
    assert len(_mails(smtp_inbox, "maria@kahvila.example")) == 1


def test_the_command_runs_one_pass_and_can_send_at_once(cafe, smtp_inbox, capsys):
    _r, case = answer_and_run(cafe["survey"], {"nps": 2})
    smtp_inbox.received.clear()
    Case.objects.filter(pk=case.pk).update(
        opened_at=timezone.now() - timedelta(days=2), due_at=timezone.now() - timedelta(days=1)
    )
    call_command("escalate_cases", "--send-now", "--no-digests")
    assert "1 escalated" in capsys.readouterr().out
    assert len(_mails(smtp_inbox, "maria@kahvila.example")) == 1


# --- the daily digest ------------------------------------------------------------------------


def _utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_digest_goes_once_a_day_at_the_local_hour(cafe, smtp_inbox):
    # Helsinki is UTC+2 in January: 08:00 local is 06:00 UTC.
    _r, overdue = answer_and_run(cafe["survey"], {"nps": 1})
    _r, today = answer_and_run(cafe["survey"], {"nps": 2})
    Case.objects.filter(pk=overdue.pk).update(due_at=_utc(2026, 1, 14, 9, 0))
    Case.objects.filter(pk=today.pk).update(due_at=_utc(2026, 1, 15, 14, 0))
    smtp_inbox.received.clear()

    assert send_due_digests(_utc(2026, 1, 15, 5, 59)) == 0  # 07:59 local
    assert send_due_digests(_utc(2026, 1, 15, 6, 5)) == 1  # 08:05 local
    assert send_due_digests(_utc(2026, 1, 15, 6, 6)) == 0  # another worker, same morning
    assert send_due_digests(_utc(2026, 1, 15, 9, 0)) == 0  # later that day
    run_due_jobs()
    (message,) = _mails(smtp_inbox, "tiina@kahvila.example")
    assert message["Subject"].strip() == "[Kahvila] Your open cases: 1 overdue, 1 due today"
    body = message.get_content()
    assert body.index("Overdue (1)") < body.index(f"#{overdue.number} ")
    assert body.index("Due today (1)") < body.index(f"#{today.number} ")
    assert "http://testserver/cases/?owner=me&org=kahvila" in body

    assert send_due_digests(_utc(2026, 1, 16, 6, 1)) == 1  # the next morning


def test_the_digest_respects_the_members_hour_and_choice(cafe, smtp_inbox):
    answer_and_run(cafe["survey"], {"nps": 1})
    pref = NotificationPreference.objects.create(
        organisation=cafe["org"], user=cafe["owner"], digest_hour=14
    )
    assert send_due_digests(_utc(2026, 1, 15, 6, 5)) == 0
    assert send_due_digests(_utc(2026, 1, 15, 12, 5)) == 1  # 14:05 local
    pref.refresh_from_db()
    pref.daily_digest = False
    pref.save()
    assert send_due_digests(_utc(2026, 1, 16, 12, 5)) == 0


def test_no_digest_without_open_cases(cafe, smtp_inbox):
    _r, case = answer_and_run(cafe["survey"], {"nps": 1})
    workflow.set_status(case, Case.Status.RESOLVED, actor=cafe["owner"], reason="fixed")
    assert send_due_digests(_utc(2026, 1, 15, 6, 5)) == 0
