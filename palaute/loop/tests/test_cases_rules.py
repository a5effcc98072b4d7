"""Rules: the defaults apply before anyone opens the settings, thresholds and scopes are
honoured, and one response opens at most one case, with the most severe rule's severity."""

from datetime import timedelta

import pytest
from django.utils import translation
from django.utils.translation import gettext
from django_tasks_db.models import DBTaskResult

from palaute.loop import rules
from palaute.loop.configuration import settings_for
from palaute.loop.models import Case, CaseEvent, LoopSettings, Rule
from palaute.loop.rules import DEFAULT_RULES
from palaute.loop.tests.helpers import (
    KIOSK,
    answer,
    answer_and_run,
    contact_me,
    make_feedback_survey,
    make_org,
    person,
    run_due_jobs,
)
from palaute.loop.triggers import open_cases_job

pytestmark = pytest.mark.django_db


def _queued() -> int:
    return DBTaskResult.objects.filter(task_path__endswith="open_cases_job").count()


def test_a_detractor_opens_a_case_with_the_default_rules():
    org = make_org("kahvila")
    survey = make_feedback_survey(org)
    assert not LoopSettings.objects.exists()  # nobody opened the settings

    response, case = answer_and_run(survey, {"nps": 3, "why": "Jono oli pitkä"})

    assert case is not None
    assert (case.number, case.trigger, case.severity, case.status) == (
        1,
        Rule.Kind.NPS_DETRACTOR,
        "normal",
        "new",
    )
    assert case.title == "NPS 3 · Counter: “Jono oli pitkä”"
    assert case.touchpoint == survey.touchpoint and case.stage_id == response.stage_id
    assert case.due_at - case.opened_at == timedelta(hours=24)
    assert case.warn_at - case.opened_at == timedelta(hours=18)  # 75 % of the target
    # The defaults were stored on first use.
    stored = list(
        Rule.objects.filter(organisation=org).values_list("kind", "threshold", "severity")
    )
    assert stored == [tuple(rule) for rule in DEFAULT_RULES]
    opened = case.events.get(kind=CaseEvent.Kind.OPENED)
    assert opened.data["score"] == 3 and opened.data["response_id"] == response.pk


def test_a_passive_answer_queues_nothing():
    survey = make_feedback_survey(make_org("kahvila"))
    answer(survey, {"nps": 7, "csat": 3, "ces": 4, "why": "ok"})
    assert _queued() == 0
    assert run_due_jobs() >= 0 and not Case.objects.exists()


@pytest.mark.parametrize(
    ("answers", "opens"),
    [
        ({"csat": 2}, True),
        ({"csat": 3}, False),
        ({"ces": 5}, True),
        ({"ces": 4}, False),
        ({"nps": 6}, True),
        ({"nps": 7}, False),
        ({"contact": contact_me()}, True),
        ({"contact": False}, False),
    ],
)
def test_default_thresholds(answers, opens):
    survey = make_feedback_survey(make_org("kahvila"))
    _response, case = answer_and_run(survey, answers)
    assert (case is not None) is opens


def test_a_sad_kiosk_face_opens_a_case_only_with_a_comment():
    org = make_org("kahvila")
    kiosk = make_feedback_survey(org, key="kiosk", data=KIOSK)
    _r, silent = answer_and_run(kiosk, {"face": 1}, channel="kiosk")
    _r, happy = answer_and_run(kiosk, {"face": 4, "why": "Ihana kahvila"}, channel="kiosk")
    _r, sad = answer_and_run(kiosk, {"face": 2, "why": "Kylmää kahvia"}, channel="kiosk")
    assert silent is None and happy is None
    assert sad.trigger == Rule.Kind.SAD_FACE_COMMENT and sad.severity == "low"
    with translation.override("fi"):  # titles are in the organisation's language
        assert sad.title.startswith(gettext("Sad face"))


def test_changed_thresholds_severity_and_inactive_rules_are_honoured():
    org = make_org("kahvila")
    survey = make_feedback_survey(org)
    settings_for(org)  # stores the defaults, as the first case or the settings page would
    Rule.objects.filter(organisation=org, kind=Rule.Kind.NPS_DETRACTOR).update(
        threshold=8, severity="high"
    )
    Rule.objects.filter(organisation=org, kind=Rule.Kind.LOW_CSAT).update(is_active=False)
    rules.forget(org.pk)  # what the settings page does after an edit

    _r, seven = answer_and_run(survey, {"nps": 7})
    _r, csat = answer_and_run(survey, {"csat": 1})
    assert seven.severity == "high" and seven.due_at - seven.opened_at == timedelta(hours=4)
    assert csat is None


def test_a_rule_scoped_to_one_survey_ignores_the_others():
    org = make_org("kahvila")
    first = make_feedback_survey(org, key="first")
    second = make_feedback_survey(org, key="second")
    settings_for(org)
    Rule.objects.filter(organisation=org).delete()
    Rule.objects.create(organisation=org, kind=Rule.Kind.LOW_CSAT, threshold=2, survey=second)
    rules.forget(org.pk)
    _r, none = answer_and_run(first, {"csat": 1})
    _r, case = answer_and_run(second, {"csat": 1})
    assert none is None and case is not None and case.trigger == Rule.Kind.LOW_CSAT


def test_several_rules_firing_open_one_case_with_the_most_severe():
    org = make_org("kahvila")
    survey = make_feedback_survey(org)
    response, case = answer_and_run(
        survey, {"nps": 2, "csat": 1, "contact": contact_me(), "why": "Soittakaa"}
    )
    assert Case.objects.count() == 1
    assert case.trigger == Rule.Kind.CONTACT_ME and case.severity == "high"
    assert case.customer_name == "Maija Meikäläinen"
    assert case.customer_email == "maija@example.com" and case.reply_channel == "email"
    matched = case.events.get(kind=CaseEvent.Kind.OPENED).data["matched"]
    assert matched == ["contact_me", "nps_detractor", "low_csat"]


def test_the_opening_job_is_idempotent():
    survey = make_feedback_survey(make_org("kahvila"))
    response = answer(survey, {"nps": 0})
    open_cases_job.call(response.pk)
    open_cases_job.call(response.pk)
    run_due_jobs()
    assert Case.objects.count() == 1
    assert Case.objects.get().links.count() == 1


def test_case_numbers_count_per_organisation():
    first = make_feedback_survey(make_org("kahvila"))
    second = make_feedback_survey(make_org("toimisto"))
    numbers = []
    for survey in (first, first, second):
        _r, case = answer_and_run(survey, {"nps": 1})
        numbers.append(case.number)
    assert numbers == [1, 2, 1]


def test_viewers_and_outsiders_never_own_cases():
    org = make_org("kahvila")
    viewer = person(org, "ville", role="viewer")
    survey = make_feedback_survey(org)
    survey.touchpoint.owner = viewer
    survey.touchpoint.save()
    _r, case = answer_and_run(survey, {"nps": 1})
    assert case.owner is None and case.owner_source == Case.OwnerSource.NONE
