"""When a triggered invitation goes out: the delay after the event, then quiet hours, in the
rule's time zone. Pure functions of their arguments (``now`` is passed in), so the maths is
tested directly, daylight saving changes included.

- A delay in **minutes or hours** is elapsed time: "2 hours after" is 2 hours later even across
  a daylight saving change.
- A delay in **days** keeps the wall-clock time: "1 day after" an event at 10:00 is 10:00 the
  next day, also on the day the clocks change (23 or 25 hours later).
- **Quiet hours** such as 21:00–08:00 (over midnight) or 00:00–07:00: a moment inside them
  moves to their end, on the right day. A local time that does not exist (the hour skipped
  in spring) moves forward by the gap; one that happens twice (autumn) is the first.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

UNITS = {"minutes": 60, "hours": 3600}


def local_to_utc(naive: datetime, zone: ZoneInfo) -> datetime:
    """The instant a wall-clock time in ``zone`` names. fold=0 gives the earlier of two
    repeated times, and for a skipped time the offset before the change, i.e. the instant the
    gap's length later — both what we want."""
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def add_delay(base: datetime, amount: int, unit: str, zone: ZoneInfo) -> datetime:
    if unit == "days":
        local = base.astimezone(zone).replace(tzinfo=None)
        return local_to_utc(local + timedelta(days=amount), zone)
    if unit not in UNITS:
        raise ValueError(f"unknown delay unit {unit!r}")
    return base + timedelta(seconds=amount * UNITS[unit])


def in_quiet_hours(moment: datetime, start: time, end: time, zone: ZoneInfo) -> bool:
    clock = moment.astimezone(zone).time()
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end  # over midnight


def after_quiet_hours(moment: datetime, start: time | None, end: time | None, zone: ZoneInfo):
    """``moment``, or the end of the quiet hours it falls in."""
    if start is None or end is None or start == end or not in_quiet_hours(moment, start, end, zone):
        return moment
    local = moment.astimezone(zone)
    day = local.date()
    if start > end and local.time() >= start:  # evening part of an over-midnight window
        day += timedelta(days=1)
    return local_to_utc(datetime.combine(day, end), zone)


def send_time(
    *,
    base: datetime,
    amount: int,
    unit: str,
    quiet_start: time | None,
    quiet_end: time | None,
    zone: ZoneInfo,
    now: datetime,
) -> datetime:
    """When to send: ``base`` plus the delay, not before ``now``, outside quiet hours."""
    due = max(add_delay(base, amount, unit, zone), now)
    return after_quiet_hours(due, quiet_start, quiet_end, zone)
