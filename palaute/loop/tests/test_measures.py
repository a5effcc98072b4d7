import zoneinfo
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import translation

from palaute.accounts.tests.helpers import make_member, make_org, make_stage, make_touchpoint
from palaute.loop.measures import case_measures, check_group_by, period_bounds, utc_offsets
from palaute.loop.models import Case
from palaute.loop.tests.acting_helpers import make_case

pytestmark = pytest.mark.django_db

HOUR = 3600.0
# 00:30 on 11 March in Helsinki (UTC+2): the day, week and month keys are local.
T = datetime(2025, 3, 10, 22, 30, tzinfo=UTC)
NOW = datetime(2025, 3, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def world():
    org = make_org("kahvila")
    aino = make_member(org, "aino", first_name="Aino", last_name="Virtanen")
    pekka = make_member(org, "pekka", first_name="Pekka", last_name="Puupää")
    counter = make_touchpoint(make_stage(org, "purchase", 0), "counter")
    terrace = make_touchpoint(make_stage(org, "after", 1), "terrace")
    h = timedelta(hours=1)
    resolved = Case.Status.RESOLVED
    # Aino at the counter: replies after 1 h, 3 h (both in time) and 5 h (4 h target: missed).
    make_case(
        org, opened_at=T, owner=aino, touchpoint=counter, first_response_at=T + h,
        status=resolved, closed_at=T + 10 * h, recovery_sent_at=T + 10 * h, recovered=True,
        recovery_answered_at=T + 12 * h,
    )  # fmt: skip
    make_case(
        org, opened_at=T, owner=aino, touchpoint=counter, first_response_at=T + 3 * h,
        status=resolved, closed_at=T + 30 * h, recovery_sent_at=T + 30 * h, recovered=False,
        recovery_answered_at=T + 31 * h,
    )  # fmt: skip
    make_case(
        org, opened_at=T, hours=4, owner=aino, touchpoint=counter, first_response_at=T + 5 * h,
        status=Case.Status.CONTACTED,
    )  # fmt: skip
    # Pekka on the terrace: one overdue without a reply (missed), one not yet due (not
    # judged), two closed without a reply (left out), one of them resolved after 1 h.
    make_case(org, opened_at=T, hours=4, owner=pekka, touchpoint=terrace)
    make_case(org, opened_at=NOW - h, owner=pekka, touchpoint=terrace)
    make_case(
        org, opened_at=T, hours=4, owner=pekka, touchpoint=terrace,
        status=Case.Status.NO_ACTION, closed_at=T + 8 * h,
    )  # fmt: skip
    make_case(
        org, opened_at=T, hours=4, owner=pekka, touchpoint=terrace, status=resolved,
        closed_at=T + h,
    )  # fmt: skip
    # Nobody's, no touchpoint: a reply after 2 h, resolved after 6 h.
    make_case(org, opened_at=T, first_response_at=T + 2 * h, status=resolved, closed_at=T + 6 * h)
    # Another organisation's case must change nothing.
    other = make_org("muu")
    make_case(other, opened_at=T, first_response_at=T + 100 * h, status=resolved, closed_at=T)
    return {"org": org, "aino": aino, "pekka": pekka, "counter": counter, "terrace": terrace}


def measures(world, group_by=None, **kwargs):
    kwargs.setdefault("since", None)
    kwargs.setdefault("until", None)
    with translation.override("en"):
        return case_measures(world["org"], group_by=group_by, now=NOW, **kwargs)


def test_totals(world):
    [row] = measures(world)
    assert row == {
        "key": "all",
        "label": "All cases",
        "cases": 8,
        "responded": 4,
        "median_first_response_s": 2.5 * HOUR,  # 1, 2, 3, 5 h
        "median_resolution_s": 8 * HOUR,  # 1, 6, 10, 30 h
        "within_target_pct": 60.0,  # 3 in time of 5 judged
        "recovery_asked": 2,
        "recovery_answered": 2,
        "recovered": 1,
        "recovery_rate_pct": 50.0,
    }


def test_by_owner(world):
    rows = {row["label"]: row for row in measures(world, "owner")}
    assert list(rows) == ["Aino Virtanen", "Pekka Puupää", "No owner"]
    aino, pekka, nobody = rows.values()
    assert aino["key"] == world["aino"].pk
    assert aino["median_first_response_s"] == 3 * HOUR  # 1, 3, 5 h: the middle one
    assert aino["median_resolution_s"] == 20 * HOUR  # 10, 30 h: the mean of the two
    assert aino["within_target_pct"] == pytest.approx(66.7)
    assert aino["recovery_rate_pct"] == 50.0
    assert pekka["cases"] == 4 and pekka["responded"] == 0
    assert pekka["median_first_response_s"] is None
    assert pekka["median_resolution_s"] == HOUR
    assert pekka["within_target_pct"] == 0.0  # the overdue one; the others are not judged
    assert pekka["recovery_rate_pct"] is None
    assert nobody["key"] is None
    assert nobody["median_first_response_s"] == 2 * HOUR
    assert nobody["within_target_pct"] == 100.0


def test_by_touchpoint_and_stage(world):
    by_touchpoint = {row["label"]: row["cases"] for row in measures(world, "touchpoint")}
    assert by_touchpoint == {"Counter": 3, "Terrace": 4, "No touchpoint": 1}
    by_stage = {row["label"]: row["cases"] for row in measures(world, "stage")}
    assert by_stage == {"after en": 4, "purchase en": 3, "No stage": 1}


def test_by_period_uses_local_days(world):
    days = measures(world, "period:day")
    assert [(row["key"], row["cases"]) for row in days] == [("2025-03-11", 7), ("2025-03-20", 1)]
    weeks = measures(world, "period:week")
    assert [row["key"] for row in weeks] == ["2025-03-10", "2025-03-17"]
    assert weeks[0]["label"] == "Week 11/2025"
    assert weeks[0]["median_first_response_s"] == 2.5 * HOUR
    [month] = measures(world, "period:month")
    assert (month["key"], month["cases"], month["label"]) == ("2025-03-01", 8, "March 2025")


def test_period_filter(world):
    [row] = measures(world, since=T - timedelta(days=1), until=T + timedelta(days=1))
    assert row["cases"] == 7
    [empty] = measures(world, since=NOW + timedelta(days=1), until=None)
    assert empty["cases"] == 0 and empty["median_first_response_s"] is None
    assert measures(world, "owner", since=NOW + timedelta(days=1)) == []


def test_another_organisation_sees_only_its_own(world):
    other = make_org("kolmas")
    [row] = case_measures(other, since=None, until=None, group_by=None, now=NOW)
    assert row["cases"] == 0
    # The first organisation's numbers above exclude the other organisation's case (100 h).
    assert measures(world)[0]["median_first_response_s"] == 2.5 * HOUR


def test_group_by_is_checked():
    with pytest.raises(ValueError, match="group_by"):
        check_group_by("weekday")


def test_period_bounds_are_local_days():
    org = make_org("aikavyohyke")
    since, until = period_bounds(org, 7, today=date(2025, 3, 20))
    assert since.isoformat() == "2025-03-14T00:00:00+02:00"
    assert until.isoformat() == "2025-03-21T00:00:00+02:00"
    assert period_bounds(org, None) == (None, None)


def test_periods_follow_daylight_saving_time():
    org = make_org("kesaaika")
    # Helsinki is UTC+2 in winter and UTC+3 from 30 March 2025 (01:00 UTC) to 26 October.
    winter = datetime(2025, 3, 29, 22, 30, tzinfo=UTC)  # Sunday 30 March 00:30 local
    summer = datetime(2025, 7, 1, 21, 30, tzinfo=UTC)  # Wednesday 2 July 00:30 local
    late_summer = datetime(2025, 10, 25, 21, 30, tzinfo=UTC)  # Sunday 26 October 00:30
    for opened in (winter, summer, late_summer):
        make_case(org, opened_at=opened)
    days = case_measures(org, since=None, until=None, group_by="period:day", now=NOW)
    assert [row["key"] for row in days] == ["2025-03-30", "2025-07-02", "2025-10-26"]
    weeks = case_measures(org, since=None, until=None, group_by="period:week", now=NOW)
    assert [row["key"] for row in weeks] == ["2025-03-24", "2025-06-30", "2025-10-20"]
    months = case_measures(org, since=None, until=None, group_by="period:month", now=NOW)
    assert [row["key"] for row in months] == ["2025-03-01", "2025-07-01", "2025-10-01"]


def test_utc_offsets_find_the_changes_to_the_second():
    zone = zoneinfo.ZoneInfo("Europe/Helsinki")
    offsets = utc_offsets(zone, datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    assert [(at.astimezone(UTC).isoformat(), offset.total_seconds()) for at, offset in offsets] == [
        ("2025-01-01T00:00:00+00:00", 7200.0),
        ("2025-03-30T01:00:00+00:00", 10800.0),
        ("2025-10-26T01:00:00+00:00", 7200.0),
    ]
