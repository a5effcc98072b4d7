"""Metrics come from database aggregates and agree with a direct count of the answers."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db.models import Count, Sum

from palaute.accounts.models import Organisation
from palaute.insights import metrics, rollup
from palaute.insights.models import ScoreCount
from palaute.journeys.models import Location, Stage, Touchpoint
from palaute.surveys.models import Answer, Response, Survey, SurveyVersion

DEFINITION = {
    "format": "palaute.survey/1",
    "languages": ["fi"],
    "default_language": "fi",
    "title": {"fi": "T"},
    "questions": [
        {"key": "nps", "type": "nps", "text": {"fi": "Suosittelisitko?"}},
        {"key": "ee", "type": "expectation_experience", "text": {"fi": "Odotus"}},
        {"key": "why", "type": "text", "text": {"fi": "Miksi?"}},
    ],
}


def make_world(name: str):
    org = Organisation.objects.create(name=name, slug=name.lower())
    stage = Stage.objects.create(organisation=org, key="purchase", name_fi="Osto", name_en="Buy")
    loc = Location.objects.create(organisation=org, name="Kahvila")
    tp = Touchpoint.objects.create(
        organisation=org, stage=stage, key="counter", name="Tiski", channel="kiosk", location=loc
    )
    survey = Survey.objects.create(organisation=org, key="s", name="S", touchpoint=tp)
    version = SurveyVersion.objects.create(survey=survey, number=1, definition=DEFINITION)
    survey.current_version = version
    survey.save()
    return org, stage, tp, survey, version


def add_response(org, tp, survey, version, when, nps, channel="web", comment="", ee=None):
    response = Response.objects.create(
        organisation=org,
        survey=survey,
        version=version,
        touchpoint=tp,
        stage=tp.stage,
        location=tp.location,
        channel=channel,
        language="fi",
        submitted_at=when,
        idempotency_key=f"k{Response.objects.count()}",
    )
    answers = [
        Answer(
            response=response,
            organisation=org,
            survey=survey,
            question_key="nps",
            kind="nps",
            score=nps,
        )
    ]
    if ee:
        answers.append(
            Answer(
                response=response,
                organisation=org,
                survey=survey,
                question_key="ee",
                kind="expectation_experience",
                expected=ee[0],
                score=ee[1],
            )
        )
    if comment:
        answers.append(
            Answer(
                response=response,
                organisation=org,
                survey=survey,
                question_key="why",
                kind="text",
                text=comment,
            )
        )
    Answer.objects.bulk_create(answers)
    rollup.count_response(response, answers)
    return response


@pytest.fixture
def world(db):
    org, stage, tp, survey, version = make_world("Kahvila")
    base = datetime(2026, 3, 10, 10, tzinfo=UTC)
    # March: 6 promoters, 2 passives, 2 detractors; April: 2 promoters, 8 detractors.
    for i, score in enumerate([10, 9, 9, 10, 9, 10, 7, 8, 3, 5]):
        add_response(
            org,
            tp,
            survey,
            version,
            base + timedelta(hours=i),
            score,
            comment="hyvä kahvi" if score >= 9 else "",
            ee=(4, 5),
        )
    for i, score in enumerate([10, 9, 0, 1, 2, 3, 4, 5, 6, 6]):
        add_response(
            org,
            tp,
            survey,
            version,
            base + timedelta(days=31, hours=i),
            score,
            channel="kiosk",
            comment="pitkä jono" if score <= 6 else "",
            ee=(4, 2),
        )
    return org, stage, tp, survey


def test_summary_matches_counts(world):
    org, _, _, survey = world
    s = metrics.summary(metrics.Scope(organisation_id=org.id, survey_id=survey.id), "nps")
    assert s.n == 20
    # 8 promoters, 2 passives, 10 detractors -> NPS -10
    assert s.headline.value == pytest.approx(-10)
    assert s.headline.low < -10 < s.headline.high
    assert [b.n for b in s.distribution] == [1, 1, 1, 2, 1, 2, 2, 1, 1, 4, 4]
    assert sum(b.percent for b in s.distribution) == pytest.approx(100)


def test_incremental_counts_equal_rebuild(world):
    org = world[0]
    before = sorted(ScoreCount.objects.values_list("question_key", "day", "score", "n"))
    written = rollup.rebuild(organisation_id=org.id, time_zone=org.time_zone)
    after = sorted(ScoreCount.objects.values_list("question_key", "day", "score", "n"))
    assert before == after
    assert written == len(after)
    scored = Answer.objects.filter(score__isnull=False).count()
    expected = Answer.objects.filter(expected__isnull=False).count()
    assert ScoreCount.objects.aggregate(t=Sum("n"))["t"] == scored + expected


def test_trend_flags_a_real_drop(world):
    org, _, _, survey = world
    points = metrics.trend(metrics.Scope(organisation_id=org.id, survey_id=survey.id), "nps")
    assert [p.start for p in points] == [date(2026, 3, 1), date(2026, 4, 1)]
    assert points[0].summary.headline.value == pytest.approx(40)
    assert points[1].summary.headline.value == pytest.approx(-60)
    assert points[1].change_is_real and not points[0].change_is_real


def test_trend_keeps_empty_periods(world):
    org, _, _, survey = world
    scope = metrics.Scope(
        organisation_id=org.id, survey_id=survey.id, start=date(2026, 1, 1), end=date(2026, 5, 31)
    )
    points = metrics.trend(scope, "nps")
    assert [p.summary.n for p in points] == [0, 0, 10, 10, 0]


def test_breakdown_by_channel_and_touchpoint(world):
    org, _, tp, _ = world
    scope = metrics.Scope(organisation_id=org.id)
    by_channel = dict(metrics.breakdown(scope, "nps", "channel"))
    assert by_channel["web"].n == 10 and by_channel["kiosk"].n == 10
    by_tp = metrics.breakdown(scope, "nps", "touchpoint")
    assert by_tp[0][0] == tp and by_tp[0][1].n == 20


def test_expectation_and_experience(world):
    org, _, _, survey = world
    scope = metrics.Scope(organisation_id=org.id, survey_id=survey.id)
    experience = metrics.summary(scope, "expectation_experience")
    expectation = metrics.summary(scope, "expectation")
    assert experience.mean.value == pytest.approx(3.5)
    assert expectation.mean.value == pytest.approx(4.0)


def test_period_filter(world):
    org, _, _, survey = world
    scope = metrics.Scope(organisation_id=org.id, start=date(2026, 4, 1))
    assert metrics.summary(scope, "nps").n == 10


def test_journey_map_and_primary_kind(world):
    org, stage, tp, _ = world
    columns = metrics.journey_map(org)
    assert columns[0].stage == stage
    cell = columns[0].cells[0]
    assert cell.touchpoint == tp and cell.summary.kind == "nps" and cell.summary.n == 20
    assert metrics.primary_kind(metrics.Scope(organisation_id=org.id)) == "nps"


def test_latest_comments_newest_first_with_score(world):
    org, _, _, survey = world
    comments = metrics.latest_comments(metrics.Scope(organisation_id=org.id), limit=3)
    assert [c.text for c in comments] == ["pitkä jono"] * 3
    assert comments[0].score == 6 and comments[0].kind == "nps"


def test_other_organisation_sees_nothing(world):
    other, *_ = make_world("Toinen")
    scope = metrics.Scope(organisation_id=other.id)
    assert metrics.summary(scope, "nps").n == 0
    assert metrics.latest_comments(scope) == []
    assert all(not col.cells[0].summary for col in metrics.journey_map(other))
    # and the other way round: the first org's survey id does not help
    leak = metrics.Scope(organisation_id=other.id, survey_id=world[3].id)
    assert metrics.summary(leak, "nps").n == 0


def test_aggregation_does_not_load_rows(world, django_assert_max_num_queries):
    org, _, _, survey = world
    with django_assert_max_num_queries(3):
        metrics.summary(metrics.Scope(organisation_id=org.id, survey_id=survey.id), "nps")
        metrics.trend(metrics.Scope(organisation_id=org.id), "nps")
    assert Answer.objects.values("kind").annotate(c=Count("id")).count() == 3


def test_summary_and_trend_agree_with_separate_calls(world):
    org, _, _, survey = world
    scope = metrics.Scope(organisation_id=org.id, survey_id=survey.id)
    total, points = metrics.summary_and_trend(scope, "nps", "week")
    assert total == metrics.summary(scope, "nps")
    assert sum(p.summary.n for p in points) == total.n
    assert points == metrics.trend(scope, "nps", "week")
