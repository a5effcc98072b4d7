"""How fast and how well the organisation closes the loop (BRIEF §4: "response times are
measured and reported"), aggregated in the database.

Over the cases *opened* in a period, per group (owner, touchpoint, stage, or day/week/month):

- ``cases``: how many were opened;
- ``responded`` and ``median_first_response_s``: how many got a first reply to the customer,
  and the median time from opening to that reply (``first_response_at − opened_at``);
- ``within_target_pct``: of the cases whose outcome is known, the share answered by their due
  time (``first_response_at ≤ due_at``). An open case past its due time without a response
  counts as missed; a case closed without any response (spam, a duplicate, "no action needed")
  and one not yet due are not counted either way (as ``targets.is_breached`` reads a case);
- ``median_resolution_s``: the median time from opening to resolution, over the cases
  resolved (status ``resolved``; "no action needed" is not a resolution);
- ``recovery_asked``, ``recovery_answered``, ``recovered`` and ``recovery_rate_pct``: recovery
  surveys sent, answered, answered "yes", and yes / answered.

The database does the arithmetic; case rows never reach Python. PostgreSQL answers in one
query: a ``GROUP BY`` with the counts and ``percentile_cont(0.5)`` for the medians. SQLite has
no median aggregate, so there one more query per median ranks the durations within each group
with window functions (``ROW_NUMBER``, ``COUNT OVER``) and averages the one or two middle ones
(``2·rank`` between ``n`` and ``n + 2``). Periods are the organisation's local days, weeks (from
Monday) and months; on SQLite they are computed with SQLite's own date functions and the zone's
UTC offsets over the range (``LocalPeriodStart``), as Django's ``Trunc`` calls Python for every
row there.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import NotSupportedError, connections
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DateField,
    Expression,
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Cast, Trunc
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from palaute.journeys.models import Stage, Touchpoint
from palaute.loop.models import Case

GROUPINGS = ("owner", "touchpoint", "stage", "period:day", "period:week", "period:month")
TOTAL_KEY = "all"
Status = Case.Status


def check_group_by(group_by: str | None) -> str | None:
    """``group_by`` if it is one of ours (or None); raises ValueError naming it."""
    if group_by is not None and group_by not in GROUPINGS:
        raise ValueError(f"group_by: one of {', '.join(GROUPINGS)} or None")
    return group_by


def case_measures(
    organisation,
    *,
    since: datetime | None,
    until: datetime | None,
    group_by: str | None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """One row per group (a single row for ``group_by=None``) over the cases opened in
    ``[since, until)``; see the module doc for the columns. Durations are seconds (float) or
    None, percentages 0–100 (one decimal) or None when nothing could be measured."""
    group_by = check_group_by(group_by)
    now = now or timezone.now()
    cases = _cases(organisation, since, until)
    key = _group_key(group_by, organisation, cases)
    in_one_query = connections[cases.db].vendor == "postgresql"
    counts = list(_counts(cases, key, now, medians=in_one_query))
    if in_one_query:
        first_responses = {row["g"]: row["median_first_response"] for row in counts}
        resolutions = {row["g"]: row["median_resolution"] for row in counts}
    else:
        answered = Q(first_response_at__isnull=False)
        resolved = Q(status=Status.RESOLVED, closed_at__isnull=False)
        first_responses = _window_median(cases, key, FIRST_RESPONSE, answered)
        resolutions = _window_median(cases, key, RESOLUTION, resolved)
    rows = [
        {
            "key": count["g"],
            "label": "",
            "cases": count["cases"],
            "responded": count["responded"],
            "median_first_response_s": _round(first_responses.get(count["g"])),
            "median_resolution_s": _round(resolutions.get(count["g"])),
            "within_target_pct": _percent(count["on_time"], count["judged"]),
            "recovery_asked": count["recovery_asked"],
            "recovery_answered": count["recovery_answered"],
            "recovered": count["recovered"],
            "recovery_rate_pct": _percent(count["recovered"], count["recovery_answered"]),
        }
        for count in counts
    ]
    if group_by is None and not rows:
        rows.append(_empty_row())
    _label(rows, group_by)
    return _sorted(rows, group_by)


def _cases(organisation, since: datetime | None, until: datetime | None) -> QuerySet[Case]:
    cases = Case.objects.filter(organisation=organisation)
    if since is not None:
        cases = cases.filter(opened_at__gte=since)
    if until is not None:
        cases = cases.filter(opened_at__lt=until)
    return cases.order_by()


# --------------------------------------------------------------------------- SQL pieces


class ElapsedSeconds(Func):
    """Seconds from the second expression to the first (``end − start``), as a float."""

    arity = 2
    output_field = FloatField()

    def _parts(self, compiler, connection) -> tuple[str, str, list]:
        end_sql, end_params = compiler.compile(self.source_expressions[0])
        start_sql, start_params = compiler.compile(self.source_expressions[1])
        return end_sql, start_sql, [*end_params, *start_params]

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        raise NotSupportedError("ElapsedSeconds supports SQLite and PostgreSQL")

    def as_sqlite(self, compiler, connection, **extra):
        end, start, params = self._parts(compiler, connection)
        return f"((julianday({end}) - julianday({start})) * 86400.0)", params

    def as_postgresql(self, compiler, connection, **extra):
        end, start, params = self._parts(compiler, connection)
        return f"EXTRACT(EPOCH FROM ({end} - {start}))::float8", params


class Median(Aggregate):
    """PostgreSQL's median of a group (NULLs left out)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


FIRST_RESPONSE = ElapsedSeconds(F("first_response_at"), F("opened_at"))
RESOLUTION = SqlCase(
    When(
        status=Status.RESOLVED,
        closed_at__isnull=False,
        then=ElapsedSeconds(F("closed_at"), F("opened_at")),
    ),
    output_field=FloatField(),
)


class LocalPeriodStart(Func):
    """SQLite: the first day ("YYYY-MM-DD") of the local day, week (from Monday) or month a
    UTC timestamp falls in. ``offsets`` are the zone's UTC offsets over the data's range as
    (from when, offset); each becomes one ``CASE`` branch (a couple a year)."""

    output_field = CharField()
    STEPS = {"day": [], "week": ["-6 days", "weekday 1"], "month": ["start of month"]}

    def __init__(self, expression, *, kind: str, offsets: list[tuple[datetime, timedelta]]):
        super().__init__(expression)
        self.kind = kind
        self.offsets = offsets

    def as_sql(self, compiler, connection, function=None, template=None, arg_joiner=None, **extra):
        raise NotSupportedError("LocalPeriodStart is for SQLite; use Trunc elsewhere")

    def as_sqlite(self, compiler, connection, **extra):
        column, column_params = compiler.compile(self.source_expressions[0])
        branches, params = [], []
        for (_start, offset), (changes_at, _next) in zip(
            self.offsets, self.offsets[1:], strict=False
        ):
            branches.append(f"WHEN {column} < %s THEN %s")
            params += [*column_params, _stored_utc(changes_at), _modifier(offset)]
        shift = f"CASE {' '.join(branches)} ELSE %s END" if branches else "%s"
        params.append(_modifier(self.offsets[-1][1]))
        steps = self.STEPS[self.kind]
        sql = f"date({column}, {shift}{''.join(', %s' for _ in steps)})"
        return sql, [*column_params, *params, *steps]


def _stored_utc(moment: datetime) -> str:
    """A moment as SQLite holds datetimes (UTC text); offsets change on whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _modifier(offset: timedelta) -> str:
    return f"{int(offset.total_seconds()):+d} seconds"


def utc_offsets(zone, start: datetime, end: datetime) -> list[tuple[datetime, timedelta]]:
    """[(from when, UTC offset)] of ``zone`` from ``start`` to ``end``: checked a day at a
    time, and found to the second where it changed."""
    offsets = [(start, start.astimezone(zone).utcoffset() or timedelta(0))]
    day = start
    while day < end:
        following = min(day + timedelta(days=1), end)
        if following.astimezone(zone).utcoffset() != offsets[-1][1]:
            before, after = day, following
            while after - before > timedelta(seconds=1):
                middle = before + (after - before) / 2
                if middle.astimezone(zone).utcoffset() == offsets[-1][1]:
                    before = middle
                else:
                    after = middle
            after = after.replace(microsecond=0)
            offsets.append((after, after.astimezone(zone).utcoffset() or timedelta(0)))
        day = following
    return offsets


def _group_key(group_by: str | None, organisation, cases: QuerySet[Case]) -> Expression | F:
    if group_by is None:
        return Value(TOTAL_KEY, output_field=CharField())
    if not group_by.startswith("period:"):
        return F(f"{group_by}_id")
    # The key is the period's first local day as text ("2025-03-10"): the same from every
    # query on both databases.
    kind = group_by.partition(":")[2]
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    if connections[cases.db].vendor == "sqlite":
        span = cases.aggregate(first=Min("opened_at"), last=Max("opened_at"))
        first, last = span["first"] or timezone.now(), span["last"] or timezone.now()
        return LocalPeriodStart("opened_at", kind=kind, offsets=utc_offsets(zone, first, last))
    day = Trunc("opened_at", kind, output_field=DateField(), tzinfo=zone)
    return Cast(day, output_field=CharField(max_length=10))


# --------------------------------------------------------------------------- queries


def _counts(cases: QuerySet[Case], key: Expression | F, now: datetime, *, medians: bool):
    """Counts per group; with ``medians`` (PostgreSQL) the two medians too."""
    answered = Q(first_response_at__isnull=False)
    missed_unanswered = Q(
        first_response_at__isnull=True,
        due_at__lt=now,
        status__in=(Status.NEW, Status.CONTACTED),
    )
    aggregates: dict[str, Any] = {
        "cases": Count("id"),
        "responded": Count("id", filter=answered),
        "on_time": Count("id", filter=Q(first_response_at__lte=F("due_at"))),
        "judged": Count("id", filter=answered | missed_unanswered),
        "recovery_asked": Count("id", filter=Q(recovery_sent_at__isnull=False)),
        "recovery_answered": Count("id", filter=Q(recovered__isnull=False)),
        "recovered": Count("id", filter=Q(recovered=True)),
    }
    if medians:
        aggregates["median_first_response"] = Median(FIRST_RESPONSE)
        aggregates["median_resolution"] = Median(RESOLUTION)
    return cases.annotate(g=key).values("g").annotate(**aggregates).order_by()


WINDOW_MEDIAN_SQL = """
SELECT g, AVG(d) FROM (
    SELECT g, d,
           ROW_NUMBER() OVER (PARTITION BY g ORDER BY d) AS position,
           COUNT(*) OVER (PARTITION BY g) AS n
    FROM ({base}) AS measured
) AS ranked
WHERE 2 * position BETWEEN n AND n + 2
GROUP BY g
"""


def _window_median(cases: QuerySet[Case], key: Expression | F, duration, only: Q) -> dict:
    """{group: median of ``duration`` over the cases matching ``only``}, by window functions
    (for a database without a median aggregate)."""
    base = cases.filter(only).annotate(g=key, d=duration).values_list("g", "d")
    sql, params = base.query.sql_with_params()
    with connections[cases.db].cursor() as cursor:
        cursor.execute(WINDOW_MEDIAN_SQL.format(base=sql), params)
        return dict(cursor.fetchall())


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds), 1)


def _percent(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _empty_row() -> dict[str, Any]:
    return {
        "key": TOTAL_KEY,
        "label": "",
        "cases": 0,
        "responded": 0,
        "median_first_response_s": None,
        "median_resolution_s": None,
        "within_target_pct": None,
        "recovery_asked": 0,
        "recovery_answered": 0,
        "recovered": 0,
        "recovery_rate_pct": None,
    }


# --------------------------------------------------------------------------- labels


def _label(rows: list[dict[str, Any]], group_by: str | None) -> None:
    """Fill in each row's label: a name for ids (one small query), a date for periods."""
    keys = [row["key"] for row in rows if row["key"] is not None]
    names: dict[Any, str]
    if group_by is None:
        names = {TOTAL_KEY: _("All cases")}
        missing = ""
    elif group_by == "owner":
        names = {
            user.pk: user.get_full_name() or user.get_username()
            for user in get_user_model().objects.filter(pk__in=keys)
        }
        missing = _("No owner")
    elif group_by == "touchpoint":
        names = dict(Touchpoint.objects.filter(pk__in=keys).values_list("pk", "name"))
        missing = _("No touchpoint")
    elif group_by == "stage":
        names = {stage.pk: stage.name for stage in Stage.objects.filter(pk__in=keys)}
        missing = _("No stage")
    else:
        kind = group_by.partition(":")[2]
        names = {key: period_label(date.fromisoformat(str(key)[:10]), kind) for key in keys}
        missing = ""
    for row in rows:
        row["label"] = names.get(row["key"], missing) if row["key"] is not None else missing


def period_label(first_day: date, kind: str) -> str:
    if kind == "month":
        return formats.date_format(first_day, "YEAR_MONTH_FORMAT")
    if kind == "week":
        week = first_day.isocalendar()
        return _("Week %(week)s/%(year)s") % {"week": week.week, "year": week.year}
    return formats.date_format(first_day, "SHORT_DATE_FORMAT")


def _sorted(rows: list[dict[str, Any]], group_by: str | None) -> list[dict[str, Any]]:
    if group_by is not None and group_by.startswith("period:"):
        return sorted(rows, key=lambda row: str(row["key"]))
    # Named groups alphabetically; the "nobody / none" group last.
    return sorted(rows, key=lambda row: (row["key"] is None, row["label"].casefold()))


# --------------------------------------------------------------------------- periods


def local_day_start(organisation, day: date) -> datetime:
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    return datetime.combine(day, datetime.min.time(), tzinfo=zone)


def period_bounds(organisation, days: int | None, today: date | None = None):
    """(since, until) covering the last ``days`` local days up to and including today;
    (None, None) for all time."""
    if days is None:
        return None, None
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    today = today or timezone.now().astimezone(zone).date()
    since = local_day_start(organisation, today - timedelta(days=days - 1))
    return since, local_day_start(organisation, today + timedelta(days=1))


def dashboard_totals(organisation, start: date | None, end: date | None) -> dict[str, Any]:
    """The dashboard panel's row: all cases opened from local day ``start`` to ``end`` (both
    included, as the journey map's period reads; None: open-ended)."""
    since = local_day_start(organisation, start) if start is not None else None
    until = local_day_start(organisation, end + timedelta(days=1)) if end is not None else None
    [total] = case_measures(organisation, since=since, until=until, group_by=None)
    return total
