"""GET /metrics returns the foundation's aggregates (palaute.insights.metrics)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from palaute.api.metrics import summary_out
from palaute.api.tests.conftest import fields
from palaute.insights import metrics
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import definition, make_survey, make_touchpoint, question

pytestmark = pytest.mark.django_db

TWO_SCORES = definition(
    question("nps", "nps", required=True),
    question("csat", "csat"),
    question("pair", "expectation_experience"),
    question("why", "text"),
)


@pytest.fixture
def data(org):
    survey = make_survey(TWO_SCORES, organisation=org, key="visit")
    web = make_touchpoint(org, "web", stage_key="pre-purchase")
    start = datetime(2025, 1, 10, 12, tzinfo=UTC)
    for i in range(60):
        answers = {"nps": (i * 7) % 11, "why": "ok"}
        if i % 2:
            answers["csat"] = 1 + i % 5
            answers["pair"] = {"expected": 1 + i % 5, "experience": 1 + (i * 3) % 5}
        record_response(
            survey,
            answers=answers,
            channel=("web", "kiosk", "email")[i % 3],
            language="fi",
            touchpoint=web if i % 4 == 0 else None,
            idempotency_key=f"m{i}",
            submitted_at=start + timedelta(days=i),
        )
    return survey


def scope(org, **kw):
    return metrics.Scope(organisation_id=org.pk, **kw)


def test_summary_matches_the_foundation(write_api, org, data):
    body = write_api.get("/metrics").json()
    assert body["kind"] == "nps"  # the most answered kind
    assert body["summary"] == summary_out(metrics.summary(scope(org), "nps"))
    assert body["breakdown"] is None and body["trend"] is None
    assert body["summary"]["n"] == 60
    assert len(body["summary"]["distribution"]) == 11

    csat = write_api.get("/metrics", {"survey": "visit", "question": "csat"}).json()
    assert csat["kind"] == "csat"
    expected = metrics.summary(scope(org, survey_id=data.pk, question_key="csat"), "csat")
    assert csat["summary"] == summary_out(expected)
    assert csat["summary"]["secondary"]["value"] == expected.mean.value

    expectation = write_api.get("/metrics", {"question": "pair.expected"}).json()
    assert expectation["kind"] == "expectation" and expectation["summary"]["n"] == 30


def test_filters_and_dates(write_api, org, data):
    params = {"kind": "nps", "channel": "kiosk", "since": "2025-02-01", "until": "2025-02-28"}
    body = write_api.get("/metrics", params).json()
    expected = metrics.summary(
        scope(org, channel="kiosk", start=date(2025, 2, 1), end=date(2025, 2, 28)), "nps"
    )
    assert body["summary"] == summary_out(expected)
    tp = write_api.get("/metrics", {"touchpoint": "web", "stage": "pre-purchase"}).json()
    assert tp["summary"]["n"] == 15


@pytest.mark.parametrize("by", ["stage", "touchpoint", "channel", "location", "survey"])
def test_breakdowns(write_api, org, data, by):
    body = write_api.get("/metrics", {"by": by}).json()
    expected = metrics.breakdown(scope(org), "nps", by)
    assert [row["summary"] for row in body["breakdown"]] == [summary_out(s) for _, s in expected]
    assert sum(row["summary"]["n"] for row in body["breakdown"]) == 60
    keys = {row["key"] for row in body["breakdown"]}
    assert {
        "stage": {"purchase", "pre-purchase"},
        "touchpoint": {"counter", "web"},
        "channel": {"web", "kiosk", "email"},
        "location": {"Main street"},
        "survey": {"visit"},
    }[by] == keys


def test_trend(write_api, org, data):
    body = write_api.get("/metrics", {"period": "month", "question": "nps"}).json()
    total, points = metrics.summary_and_trend(scope(org, question_key="nps"), "nps", "month")
    assert body["summary"] == summary_out(total)
    assert [p["start"] for p in body["trend"]] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    assert [p["summary"] for p in body["trend"]] == [summary_out(p.summary) for p in points]
    assert [p["change_is_real"] for p in body["trend"]] == [p.change_is_real for p in points]
    weekly = write_api.get("/metrics", {"period": "week"}).json()["trend"]
    assert all(date.fromisoformat(p["start"]).weekday() == 0 for p in weekly)


def test_metric_errors(write_api, org, data):
    get = write_api.get
    assert fields(get("/metrics", {"survey": "nope"})) == {"survey": "No survey with key 'nope'."}
    assert set(fields(get("/metrics", {"by": "stage", "period": "month"}))) == {"period"}
    assert set(fields(get("/metrics", {"since": "2025-02-01", "until": "2025-01-01"}))) == {"until"}
    assert set(fields(get("/metrics", {"question": "nps", "kind": "csat"}))) == {"kind"}
    assert set(fields(get("/metrics", {"kind": "median"}))) == {"kind"}
    assert set(fields(get("/metrics", {"by": "staff"}))) == {"by"}
    assert set(fields(get("/metrics", {"location": "Nowhere"}))) == {"location"}
    too_long = get("/metrics", {"period": "day", "since": "2000-01-01", "until": "2025-03-31"})
    assert set(fields(too_long)) == {"period"}
    huge = get("/metrics", {"period": "day", "since": "1970-01-01", "until": "2999-12-31"})
    assert set(fields(huge)) == {"period"}  # refused before 376,000 points are built
    assert get("/metrics", {"period": "month", "since": "1970-01-01"}).status_code == 200


def test_nothing_to_measure(write_api, org):
    body = write_api.get("/metrics").json()
    assert body == {
        "kind": None,
        "question": None,
        "summary": None,
        "breakdown": None,
        "trend": None,
    }
    empty = write_api.get("/metrics", {"kind": "csat", "by": "channel"}).json()
    assert empty["summary"]["n"] == 0 and empty["summary"]["value"] is None
    assert empty["breakdown"] == []


def test_trend_length_bound_matches_the_trend(write_api, org, data):
    from palaute.api.metrics import _trend_length_bound

    for period in ("day", "week", "month"):
        for since, until in [(None, None), (date(2024, 12, 30), None), (None, date(2025, 4, 2))]:
            s = metrics.with_period(scope(org), since, until)
            points = metrics.summary_and_trend(s, "nps", period)[1]
            assert _trend_length_bound(org.pk, "nps", since, until, period) == len(points)
