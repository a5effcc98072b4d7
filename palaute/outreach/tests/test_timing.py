"""Send-time maths: delays, quiet hours and time zones, daylight saving changes included.

Europe/Helsinki is UTC+2 in winter and UTC+3 in summer. In 2025 the clocks went forward on
30 March (03:00 → 04:00) and back on 26 October (04:00 → 03:00)."""

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from palaute.outreach.timing import add_delay, after_quiet_hours, local_to_utc, send_time

HELSINKI = ZoneInfo("Europe/Helsinki")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(*args, zone=HELSINKI) -> datetime:
    return local_to_utc(datetime(*args), zone)


def test_hours_are_elapsed_time_across_the_spring_change():
    # 01:30 local (23:30 UTC) + 2 h = 01:30 UTC, which is 04:30 summer time: the clock jumped.
    start = local(2025, 3, 30, 1, 30)
    assert start == utc(2025, 3, 29, 23, 30)
    later = add_delay(start, 2, "hours", HELSINKI)
    assert later == utc(2025, 3, 30, 1, 30)
    assert later.astimezone(HELSINKI).hour == 4


def test_days_keep_the_wall_clock_time_across_changes():
    spring = add_delay(local(2025, 3, 29, 10, 0), 1, "days", HELSINKI)
    assert spring.astimezone(HELSINKI).replace(tzinfo=None) == datetime(2025, 3, 30, 10, 0)
    assert spring - local(2025, 3, 29, 10, 0) == (utc(2025, 1, 1, 23) - utc(2025, 1, 1))
    autumn = add_delay(local(2025, 10, 25, 10, 0), 1, "days", HELSINKI)
    assert autumn.astimezone(HELSINKI).replace(tzinfo=None) == datetime(2025, 10, 26, 10, 0)
    assert (autumn - local(2025, 10, 25, 10, 0)).total_seconds() == 25 * 3600


def test_a_skipped_local_time_moves_forward_and_a_repeated_one_is_the_first():
    # 03:30 does not exist on 30 March 2025 in Helsinki: it becomes 04:30 summer time.
    skipped = local(2025, 3, 30, 3, 30)
    assert skipped == utc(2025, 3, 30, 1, 30)
    # 03:30 happens twice on 26 October: the first (summer time, UTC+3) is chosen.
    repeated = local(2025, 10, 26, 3, 30)
    assert repeated == utc(2025, 10, 26, 0, 30)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (local(2025, 6, 10, 12, 0), local(2025, 6, 10, 12, 0)),  # daytime: unchanged
        (local(2025, 6, 10, 20, 59), local(2025, 6, 10, 20, 59)),
        (local(2025, 6, 10, 21, 0), local(2025, 6, 11, 8, 0)),  # evening → next morning
        (local(2025, 6, 10, 23, 45), local(2025, 6, 11, 8, 0)),
        (local(2025, 6, 11, 0, 30), local(2025, 6, 11, 8, 0)),  # after midnight → same day
        (local(2025, 6, 11, 7, 59), local(2025, 6, 11, 8, 0)),
        (local(2025, 6, 11, 8, 0), local(2025, 6, 11, 8, 0)),  # the end is not quiet
        (local(2025, 12, 31, 22, 0), local(2026, 1, 1, 8, 0)),  # over the year's end
    ],
)
def test_quiet_hours_over_midnight(moment, expected):
    assert after_quiet_hours(moment, time(21, 0), time(8, 0), HELSINKI) == expected


def test_quiet_hours_within_one_day_and_none():
    assert after_quiet_hours(local(2025, 6, 10, 3, 0), time(0, 0), time(7, 0), HELSINKI) == local(
        2025, 6, 10, 7, 0
    )
    assert after_quiet_hours(local(2025, 6, 10, 23, 0), time(0, 0), time(7, 0), HELSINKI) == local(
        2025, 6, 10, 23, 0
    )
    moment = local(2025, 6, 10, 23, 0)
    assert after_quiet_hours(moment, None, None, HELSINKI) == moment
    assert after_quiet_hours(moment, time(8, 0), time(8, 0), HELSINKI) == moment


def test_quiet_hours_on_the_nights_the_clocks_change():
    # Spring: 22:00 on 29 March waits until 08:00 on 30 March, summer time (05:00 UTC), which
    # is only 9 hours later.
    spring = after_quiet_hours(local(2025, 3, 29, 22, 0), time(21, 0), time(8, 0), HELSINKI)
    assert spring == utc(2025, 3, 30, 5, 0)
    # Autumn: 22:00 on 25 October waits until 08:00 on 26 October, winter time (06:00 UTC).
    autumn = after_quiet_hours(local(2025, 10, 25, 22, 0), time(21, 0), time(8, 0), HELSINKI)
    assert autumn == utc(2025, 10, 26, 6, 0)
    # Quiet hours ending inside the skipped hour: 03:30 becomes 04:30 summer time.
    gap = after_quiet_hours(local(2025, 3, 30, 1, 0), time(0, 0), time(3, 30), HELSINKI)
    assert gap == utc(2025, 3, 30, 1, 30)


def test_the_rules_time_zone_decides_what_is_quiet():
    # 19:00 UTC is 22:00 in Helsinki (quiet) but 15:00 in New York (not quiet).
    moment = utc(2025, 6, 10, 19, 0)
    assert after_quiet_hours(moment, time(21, 0), time(8, 0), HELSINKI) == utc(2025, 6, 11, 5, 0)
    assert after_quiet_hours(moment, time(21, 0), time(8, 0), NEW_YORK) == moment


def test_send_time_is_the_delay_then_quiet_hours_and_never_in_the_past():
    ends = local(2025, 6, 10, 19, 30)  # a private event ends at 19:30
    at = send_time(
        base=ends,
        amount=2,
        unit="hours",
        quiet_start=time(21, 0),
        quiet_end=time(8, 0),
        zone=HELSINKI,
        now=ends,
    )
    assert at == local(2025, 6, 11, 8, 0)  # 21:30 is quiet: the next morning
    late = send_time(
        base=ends,
        amount=2,
        unit="hours",
        quiet_start=None,
        quiet_end=None,
        zone=HELSINKI,
        now=local(2025, 6, 12, 9, 0),
    )
    assert late == local(2025, 6, 12, 9, 0)  # reported late: as soon as possible


def test_unknown_unit_is_an_error():
    with pytest.raises(ValueError):
        add_delay(utc(2025, 1, 1), 1, "weeks", HELSINKI)
