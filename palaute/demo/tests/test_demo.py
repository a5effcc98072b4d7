import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Avg, Count, Q, Sum

from palaute.accounts.models import Membership, Organisation, Role
from palaute.demo import builder, comments
from palaute.demo.definitions import CAFE, INSTALLER
from palaute.insights.models import ScoreCount
from palaute.journeys.models import Stage, Touchpoint
from palaute.surveys.models import Answer, Response, Survey

# A fixed "now" so the planted problems fall in known months.
NOW = dt.datetime(2026, 11, 24, 16, 0, tzinfo=builder.TZ)


@pytest.fixture
def demo(db):
    result = builder.build(responses=2000, seed=1, now=NOW)
    return result


def _monthly_avg(survey_key: str, question_key: str, year: int, month: int) -> float:
    start = dt.datetime(year, month, 1, tzinfo=builder.TZ)
    end = builder._add_months(start.date(), 1)
    end = dt.datetime(end.year, end.month, 1, tzinfo=builder.TZ)
    return Answer.objects.filter(
        survey__key=survey_key,
        question_key=question_key,
        response__submitted_at__gte=start,
        response__submitted_at__lt=end,
    ).aggregate(a=Avg("score"))["a"]


@pytest.mark.django_db
def test_command_creates_demo_and_is_not_duplicated():
    out = StringIO()
    call_command("demo", "--responses", "2000", "--seed", "1", stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text and "palaute-demo" in text
    orgs = Organisation.objects.filter(slug__in=builder.DEMO_SLUGS)
    assert orgs.count() == 2
    assert Response.objects.count() == 2000

    demo = get_user_model().objects.get(username="demo")
    assert demo.check_password("palaute-demo")
    for org in orgs:
        assert Membership.objects.get(organisation=org, user=demo).role == Role.OWNER
        assert Membership.objects.filter(organisation=org).exclude(user=demo).count() >= 3
        assert Stage.objects.filter(organisation=org).count() == 5

    # Second run without --reset: nothing duplicated.
    out = StringIO()
    call_command("demo", "--responses", "2000", stdout=out)
    assert "already exist" in out.getvalue()
    assert Organisation.objects.filter(slug__in=builder.DEMO_SLUGS).count() == 2
    assert Response.objects.count() == 2000

    # --reset recreates.
    call_command("demo", "--responses", "500", "--reset", stdout=StringIO())
    assert Organisation.objects.filter(slug__in=builder.DEMO_SLUGS).count() == 2
    assert Response.objects.count() == 500
    assert ScoreCount.objects.aggregate(n=Sum("n"))["n"] > 0


def test_structure(demo):
    orgs = {o.slug: o for o in demo.organisations}
    assert set(orgs) == set(builder.DEMO_SLUGS)
    for org in orgs.values():
        stages = list(Stage.objects.filter(organisation=org).values_list("key", flat=True))
        assert stages == [
            "expectations",
            "pre_purchase",
            "purchase",
            "post_purchase",
            "customer_phase",
        ]
        touchpoints = Touchpoint.objects.filter(organisation=org)
        assert touchpoints.count() >= 7
        assert not touchpoints.filter(owner__isnull=True).exists()
        assert touchpoints.filter(kind=Touchpoint.Kind.INDIRECT).exists()
        for tp in touchpoints:
            assert tp.owner.first_name and tp.owner.last_name and tp.owner.email
            assert Membership.objects.filter(organisation=org, user=tp.owner).exists()
        # Every stage has at least one touchpoint.
        assert set(touchpoints.values_list("stage__key", flat=True)) == set(stages)
        for survey in Survey.objects.filter(organisation=org):
            assert survey.current_version is not None
            assert survey.current_version.number == 1
            assert survey.responses.count() > 0, survey.key

    cafe = orgs[builder.CAFE_SLUG]
    assert Touchpoint.objects.get(organisation=cafe, key="counter").channel == "kiosk"
    counter = Response.objects.filter(survey__key="counter-kiosk")
    assert set(counter.values_list("channel", flat=True)) == {"kiosk"}
    assert not counter.filter(location__isnull=True).exists()


def test_responses_languages_comments_and_times(demo):
    assert Response.objects.count() == 2000
    langs = dict(Response.objects.values_list("language").annotate(n=Count("id")))
    assert set(langs) == {"fi", "en"}
    assert 0.08 < langs["en"] / 2000 < 0.25
    texts = Answer.objects.filter(kind="text")
    share = texts.values("response").distinct().count() / 2000
    assert 0.25 < share < 0.5
    assert texts.filter(response__language="en").exists()
    assert texts.values("text").distinct().count() > 300
    first = Response.objects.order_by("submitted_at").first().submitted_at
    last = Response.objects.order_by("submitted_at").last().submitted_at
    assert last <= NOW
    assert (NOW - first).days <= 366
    # Café counter responses only within opening hours (Helsinki time).
    hours = {
        r.astimezone(builder.TZ).hour
        for r in Response.objects.filter(survey__key="counter-kiosk").values_list(
            "submitted_at", flat=True
        )
    }
    assert min(hours) >= 9 and max(hours) <= 19
    # Seasonal volume: the café is busier in July than in February.
    counter = Response.objects.filter(survey__key="counter-kiosk")
    july = counter.filter(submitted_at__month=7).count()
    february = counter.filter(submitted_at__month=2).count()
    assert july > 2 * february


def test_answers_follow_definitions(demo):
    # Conditional questions only appear where their condition holds.
    for key, low in (("improve", True), ("best", False)):
        ids = Answer.objects.filter(question_key=key).values("response_id")
        nps = Answer.objects.filter(question_key="nps", response_id__in=ids)
        assert nps.exists()
        if low:
            assert not nps.filter(score__gt=6).exists()
        else:
            assert not nps.filter(score__lt=7).exists()
    ranges = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "smiley": (1, 4)}
    for kind, (lo, hi) in ranges.items():
        bad = Answer.objects.filter(kind=kind).filter(Q(score__lt=lo) | Q(score__gt=hi))
        assert not bad.exists(), kind
    pairs = Answer.objects.filter(kind="expectation_experience")
    assert pairs.exists() and not pairs.filter(expected__isnull=True).exists()
    contacted = Answer.objects.filter(kind="contact_me", score=1).values("response_id")
    assert Response.objects.filter(pk__in=contacted).exclude(contact_email="").exists()
    assert not Response.objects.exclude(pk__in=contacted).exclude(contact_email="").exists()


def test_definitions_are_valid():
    try:
        from palaute.surveys.definition import validate_definition
    except ImportError:
        pytest.skip("palaute.surveys.definition not available")
    for key, definition in [*CAFE.items(), *INSTALLER.items()]:
        parsed, errors = validate_definition(definition)
        assert errors == [], (key, errors)
        assert parsed is not None


def test_planted_problems(demo):
    # Summer queues at the café counter.
    assert _monthly_avg("counter-kiosk", "smiley", 2026, 7) < (
        _monthly_avg("counter-kiosk", "smiley", 2026, 2) - 0.5
    )
    queue = Answer.objects.filter(survey__key="counter-kiosk", kind="text").filter(
        Q(text__icontains="jono") | Q(text__icontains="queue")
    )
    assert queue.filter(response__submitted_at__month=7).count() > 3 * max(
        1, queue.filter(response__submitted_at__month=2).count()
    )
    # Online booking effort falls after the calendar fix (1 Aug 2026 here).
    assert builder.Timeline(NOW.date(), NOW).booking_fix == dt.date(2026, 8, 1)
    assert _monthly_avg("online-booking", "effort", 2026, 4) > (
        _monthly_avg("online-booking", "effort", 2026, 10) + 1.5
    )
    # Installation visits dip after the staff change (mid-April to mid-July 2026 here).
    assert _monthly_avg("installation", "satisfaction", 2026, 5) < (
        _monthly_avg("installation", "satisfaction", 2026, 2) - 0.7
    )
    assert _monthly_avg("installation", "satisfaction", 2026, 9) > 3.9
    # Invoicing effort is poor, the kickoff meeting strong.
    invoicing = Answer.objects.filter(survey__key="invoicing", question_key="effort")
    assert invoicing.aggregate(a=Avg("score"))["a"] > 3.5
    kickoff = Answer.objects.filter(survey__key="kickoff", question_key="satisfaction")
    assert kickoff.aggregate(a=Avg("score"))["a"] > 4.3


def test_score_counts_match_answers(demo):
    scored = Answer.objects.filter(score__isnull=False).count()
    expected = Answer.objects.filter(expected__isnull=False).count()
    counts = ScoreCount.objects.exclude(kind="expectation").aggregate(n=Sum("n"))["n"]
    assert counts == scored
    assert ScoreCount.objects.filter(kind="expectation").aggregate(n=Sum("n"))["n"] == expected
    for org in demo.organisations:
        assert ScoreCount.objects.filter(organisation_id=org.id).exists()


@pytest.mark.django_db
def test_same_seed_same_data():
    def snapshot():
        return list(
            Answer.objects.order_by("response__idempotency_key", "question_key").values_list(
                "response__idempotency_key",
                "response__submitted_at",
                "question_key",
                "score",
                "text",
            )
        )

    builder.build(responses=300, seed=7, now=NOW)
    first = snapshot()
    builder.delete_demo_organisations()
    assert not Response.objects.exists()
    builder.build(responses=300, seed=7, now=NOW)
    assert snapshot() == first


def test_compose_varies():
    import random

    rng = random.Random(1)
    made = {
        comments.compose(rng, "fi", s, {"queue": 1, "coffee": 1}, {"queue": 1, "price": 1})
        for s in ("pos", "neg", "mixed")
        for _ in range(200)
    }
    assert len(made) > 100
    assert all(c.endswith((".", "!")) for c in made)


# --- text analytics on the demo ---------------------------------------------------------------


def _theme_drivers(org_slug: str, survey_key: str):
    from palaute.insights import drivers

    survey = Survey.objects.get(organisation__slug=org_slug, key=survey_key)
    outcome = drivers.default_outcome(drivers.scored_questions(survey))
    return drivers.analyse(drivers.load(survey, outcome), kinds=("theme",))


def _fix_first(org_slug: str, survey_key: str) -> list[str]:
    return [d.name for d in _theme_drivers(org_slug, survey_key).fix_first]


@pytest.mark.django_db
def test_demo_text_analytics_points_at_the_planted_problems():
    """On the full-size demo (what `palaute demo` builds; driver analysis needs the volume)."""
    from palaute.text import trends
    from palaute.text.models import CommentAnalysis

    result = builder.build(responses=20000, seed=1, now=NOW)
    assert result.analysed == result.comments > 0
    assert CommentAnalysis.objects.count() == result.comments

    cafe, installer = builder.CAFE_SLUG, builder.INSTALLER_SLUG
    # Summer queues and mess at the café counter.
    fix = _fix_first(cafe, "counter-kiosk")
    assert fix[0] == "schedule" and "environment_respect" in fix
    # Booking effort until the calendar was fixed: the booking system.
    assert "tools_systems" in _fix_first(cafe, "online-booking")
    # The praised coffee: product quality is mentioned mostly positively and is no problem.
    coffee = {d.name: d for d in _theme_drivers(cafe, "table-qr").drivers}["product_quality"]
    assert coffee.performance > 80 and coffee.quadrant in ("keep_up", "strength")
    # Installation after the staff change: dust and delays.
    assert {"environment_respect", "schedule"} <= set(_fix_first(installer, "installation"))
    # Recurring invoice errors.
    assert "price_value" in _fix_first(installer, "invoicing")

    # Theme trends: the counter's queue complaints peak in summer; the heat map agrees.
    org = Organisation.objects.get(slug=cafe)
    counter = Touchpoint.objects.get(organisation=org, key="counter")
    qs = trends.mentions(org.id, None, None, touchpoint_id=counter.id)
    (schedule,) = [t for t in trends.theme_trends(qs, {}) if t.key == "schedule"]
    by_month = {m.month: tally for m, tally in schedule.months}
    assert by_month[7].negative > 3 * max(1, by_month[2].negative)
    heat = trends.heat_map(trends.mentions(org.id, None, None), org.id, {})
    assert heat.cell("schedule", counter).net < -30
    assert heat.cell("product_quality", counter).net > 20
