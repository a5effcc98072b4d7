"""A negative comment on a watched theme opens a case once the worker has analysed it."""

import pytest

from palaute.loop.configuration import settings_for
from palaute.loop.models import Case, Rule
from palaute.loop.tests.helpers import answer, make_feedback_survey, make_org
from palaute.loop.triggers import response_analysed
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.text.models import ThemeMention

pytestmark = pytest.mark.django_db

LATE = "Asentaja myöhästyi kaksi tuntia eikä kukaan ilmoittanut viivästyksestä."


@pytest.fixture
def watched():
    org = make_org("asennus")
    org.default_language = "en"  # case titles are in the organisation's language
    org.save()
    settings_for(org)
    Rule.objects.create(
        organisation=org, kind=Rule.Kind.NEGATIVE_THEME, theme_key="schedule", severity="high"
    )
    return org


def test_a_negative_comment_on_the_theme_opens_a_case(watched):
    survey = make_feedback_survey(watched)
    response = answer(survey, {"nps": 9, "why": LATE})
    run_due_jobs()  # text analysis, then the loop hook
    mention = ThemeMention.objects.get(response=response, theme_key="schedule")
    assert mention.sentiment == "negative"
    case = Case.objects.get()
    assert case.trigger == Rule.Kind.NEGATIVE_THEME and case.severity == "high"
    assert case.title.startswith("Negative about ") and "Asentaja myöhästyi" in case.title
    # Analysing again (a retrained model re-analyses everything) opens nothing new.
    assert response_analysed(response.pk).startswith("case #")
    assert Case.objects.count() == 1 and case.links.count() == 1


def test_praise_or_an_unwatched_theme_opens_nothing(watched):
    survey = make_feedback_survey(watched)
    answer(survey, {"nps": 10, "why": "Asentaja tuli täsmälleen ajallaan, kiitos!"})
    answer(survey, {"nps": 9, "why": "Henkilökunta oli tylyä."})
    run_due_jobs()
    assert not Case.objects.exists()


def test_a_theme_rule_of_one_survey_ignores_the_others(watched):
    first = make_feedback_survey(watched, key="first")
    second = make_feedback_survey(watched, key="second")
    Rule.objects.filter(organisation=watched, kind=Rule.Kind.NEGATIVE_THEME).update(survey=second)
    answer(first, {"nps": 9, "why": LATE})
    run_due_jobs()
    assert not Case.objects.exists()
    answer(second, {"nps": 9, "why": LATE})
    run_due_jobs()
    assert Case.objects.get().responses.get().survey == second
