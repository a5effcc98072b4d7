"""Theme trends and the theme × touchpoint heat map, aggregated in the database.

Both are one GROUP BY over ``ThemeMention`` (which carries the local day and the touchpoint of
its response), returning at most themes × days × sentiments rows; months are folded in Python
from those counts, as the dashboards do with score counts. No mention row is loaded.

Net sentiment = (positive − negative) / mentions × 100; a mixed mention counts as neither.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Count, QuerySet

from palaute.journeys.models import Touchpoint
from palaute.text.models import ThemeMention


@dataclass
class Tally:
    positive: int = 0
    negative: int = 0
    mixed: int = 0
    neutral: int = 0

    def add(self, sentiment: str, n: int) -> None:
        setattr(self, sentiment, getattr(self, sentiment, 0) + n)

    @property
    def n(self) -> int:
        return self.positive + self.negative + self.mixed + self.neutral

    @property
    def net(self) -> float | None:
        return 100 * (self.positive - self.negative) / self.n if self.n else None

    @property
    def share_negative(self) -> float | None:
        """Share of mentions that are negative or mixed, %."""
        return 100 * (self.negative + self.mixed) / self.n if self.n else None


@dataclass
class ThemeTrend:
    key: str
    name: str
    total: Tally
    months: list[tuple[dt.date, Tally]] = field(default_factory=list)


def mentions(
    organisation_id: int,
    start: dt.date | None,
    end: dt.date | None,
    survey_id: int | None = None,
    touchpoint_id: int | None = None,
) -> QuerySet[ThemeMention]:
    qs = ThemeMention.objects.filter(organisation_id=organisation_id)
    if start is not None:
        qs = qs.filter(day__gte=start)
    if end is not None:
        qs = qs.filter(day__lte=end)
    if survey_id is not None:
        qs = qs.filter(survey_id=survey_id)
    if touchpoint_id is not None:
        qs = qs.filter(touchpoint_id=touchpoint_id)
    return qs


def month_starts(first: dt.date, last: dt.date) -> list[dt.date]:
    starts, d = [], first.replace(day=1)
    while d <= last:
        starts.append(d)
        d = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return starts


def theme_trends(
    qs: QuerySet[ThemeMention],
    names: Mapping[str, str],
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> list[ThemeTrend]:
    """Per theme: totals and monthly tallies, most mentioned theme first."""
    rows = qs.values("theme_key", "day", "sentiment").annotate(n=Count("id")).order_by()
    per_month: dict[str, dict[dt.date, Tally]] = defaultdict(lambda: defaultdict(Tally))
    totals: dict[str, Tally] = defaultdict(Tally)
    days: list[dt.date] = []
    for row in rows:
        if row["day"] is None:
            continue
        days.append(row["day"])
        per_month[row["theme_key"]][row["day"].replace(day=1)].add(row["sentiment"], row["n"])
        totals[row["theme_key"]].add(row["sentiment"], row["n"])
    if not days:
        return []
    months = month_starts(start or min(days), end or max(days))
    trends = [
        ThemeTrend(
            key,
            names.get(key, key),
            total,
            [(m, per_month[key].get(m, Tally())) for m in months],
        )
        for key, total in totals.items()
    ]
    trends.sort(key=lambda t: (-t.total.n, t.name))
    return trends


@dataclass
class HeatMap:
    touchpoints: list[Touchpoint | None]  # columns in journey order; None = no touchpoint
    themes: list[tuple[str, str]]  # rows (key, name), most mentioned first
    cells: dict[tuple[str, int | None], Tally]

    def cell(self, theme: str, touchpoint: Touchpoint | None) -> Tally | None:
        return self.cells.get((theme, touchpoint.pk if touchpoint else None))


def heat_map(qs: QuerySet[ThemeMention], organisation_id: int, names: Mapping[str, str]) -> HeatMap:
    rows = qs.values("theme_key", "touchpoint_id", "sentiment").annotate(n=Count("id")).order_by()
    cells: dict[tuple[str, int | None], Tally] = defaultdict(Tally)
    theme_totals: dict[str, int] = defaultdict(int)
    for row in rows:
        cells[(row["theme_key"], row["touchpoint_id"])].add(row["sentiment"], row["n"])
        theme_totals[row["theme_key"]] += row["n"]
    used = {tp for _theme, tp in cells}
    ids = [tp for tp in used if tp is not None]
    columns: list[Touchpoint | None] = list(
        Touchpoint.objects.filter(organisation_id=organisation_id, pk__in=ids).select_related(
            "stage"
        )
    )
    if None in used:
        columns.append(None)
    themes = sorted(theme_totals, key=lambda k: (-theme_totals[k], names.get(k, k)))
    return HeatMap(columns, [(k, names.get(k, k)) for k in themes], dict(cells))


def heat_class(net: float | None) -> str:
    """CSS class for a cell's net sentiment, seven steps from red to green."""
    if net is None:
        return "heat-none"
    steps = ((-50, "heat-n3"), (-25, "heat-n2"), (-5, "heat-n1"), (5, "heat-0"), (25, "heat-p1"))
    for limit, css in steps:
        if net < limit or (limit == 5 and net <= 5):
            return css
    return "heat-p2" if net <= 50 else "heat-p3"
