"""Review trends per location: mean stars by month with a 95 % interval, reply rate, median
response time and recoveries.

The database does the counting: one GROUP BY (location, month) returns ``count``, ``sum`` and
``sum of squares`` of the stars, from which the mean and its Student t interval follow exactly
(``mean_from_moments``, the same estimate ``lib.stats.mean_t`` gives from a histogram). Reply
counts and recoveries are one more GROUP BY location; only the response times of answered
reviews are read as numbers, for the medians.
"""

from __future__ import annotations

import math
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from scipy import stats as scipy_stats

from palaute.accounts.models import Organisation
from palaute.journeys.models import Location
from palaute.lib import stats
from palaute.reviews.models import Review, ReviewTheme

STARS = (1, 5)
NO_LOCATION = "none"


def mean_from_moments(n: int, total: float, squares: float) -> stats.Estimate:
    """Mean stars with a Student t 95 % interval, clipped to 1–5, from n, Σx and Σx²."""
    if n == 0:
        return stats.EMPTY
    mean = total / n
    if n < 2:
        return stats.Estimate(value=mean, low=float(STARS[0]), high=float(STARS[1]), n=n)
    variance = max(0.0, (squares - total * total / n) / (n - 1))
    se = math.sqrt(variance / n)
    margin = float(scipy_stats.t.ppf(0.975, n - 1)) * se
    return stats.Estimate(
        value=mean,
        low=max(STARS[0], mean - margin),
        high=min(STARS[1], mean + margin),
        n=n,
        se=se,
    )


@dataclass(frozen=True)
class MonthSummary:
    """Duck-types insights' trend summary, so ``charts.trend_svg`` draws it."""

    n: int
    headline: stats.Estimate
    label: str = ""
    headline_format: str = "{:.2f}"


@dataclass(frozen=True)
class MonthPoint:
    start: date
    summary: MonthSummary
    change_is_real: bool = False


@dataclass
class LocationTrend:
    key: str  # location id, or NO_LOCATION
    label: str
    months: list[MonthPoint] = field(default_factory=list)
    overall: stats.Estimate = stats.EMPTY
    reviews: int = 0
    replied: int = 0
    reply_rate: stats.Estimate = stats.EMPTY
    median_response_s: float | None = None
    recoveries: int = 0
    chart: str = ""  # the SVG, set by the view


def month_starts(first: date, last: date) -> list[date]:
    months, current = [], first.replace(day=1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def reviews_in(
    organisation: Organisation, start: date, end: date, source_kind: str = ""
) -> QuerySet[Review]:
    """The organisation's reviews written from ``start`` to ``end`` (local days, inclusive)."""
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    qs = Review.objects.filter(
        organisation=organisation,
        reviewed_at__gte=datetime.combine(start, time.min, zone),
        reviewed_at__lte=datetime.combine(end, time.max, zone),
    )
    return qs.filter(source__kind=source_kind) if source_kind else qs


def location_trends(
    organisation: Organisation, start: date, end: date, source_kind: str = ""
) -> list[LocationTrend]:
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    qs = reviews_in(organisation, start, end, source_kind)
    names = dict(Location.objects.filter(organisation=organisation).values_list("pk", "name"))
    trends: dict[str, LocationTrend] = {}

    def trend(location_id: int | None) -> LocationTrend:
        key = str(location_id) if location_id else NO_LOCATION
        if key not in trends:
            label = names.get(location_id, "") if location_id else _("No location")
            trends[key] = LocationTrend(key=key, label=label or _("No location"))
        return trends[key]

    cells = (
        qs.filter(rating__isnull=False)
        .annotate(month=TruncMonth("reviewed_at", tzinfo=zone))
        .values("location_id", "month")
        .annotate(n=Count("id"), total=Sum("rating"), squares=Sum(F("rating") * F("rating")))
        .order_by()
    )
    by_location: dict[int | None, dict[date, tuple[int, int, int]]] = defaultdict(dict)
    for cell in cells:
        month = cell["month"]
        month = month.date() if isinstance(month, datetime) else month
        by_location[cell["location_id"]][month] = (cell["n"], cell["total"], cell["squares"])
    months = month_starts(start, end)
    for location_id, cells_by_month in by_location.items():
        t = trend(location_id)
        for month in months:
            n, total, squares = cells_by_month.get(month, (0, 0, 0))
            estimate = mean_from_moments(n, total, squares)
            t.months.append(MonthPoint(month, MonthSummary(n, estimate, _("Stars"))))
        n_all = sum(c[0] for c in cells_by_month.values())
        t.overall = mean_from_moments(
            n_all,
            sum(c[1] for c in cells_by_month.values()),
            sum(c[2] for c in cells_by_month.values()),
        )
    counts = (
        qs.values("location_id")
        .annotate(
            reviews=Count("id"),
            replied=Count("id", filter=Q(replied_at__isnull=False)),
            recoveries=Count("id", filter=Q(recovered_at__isnull=False)),
        )
        .order_by()
    )
    for row in counts:
        t = trend(row["location_id"])
        t.reviews, t.replied, t.recoveries = row["reviews"], row["replied"], row["recoveries"]
        t.reply_rate = stats.wilson(t.replied, t.reviews)
    response_times: dict[int | None, list[int]] = defaultdict(list)
    answered = qs.filter(response_seconds__isnull=False)
    for location_id, seconds in answered.values_list("location_id", "response_seconds"):
        if seconds is not None:
            response_times[location_id].append(seconds)
    for location_id, values in response_times.items():
        trend(location_id).median_response_s = float(statistics.median(values))
    return sorted(trends.values(), key=lambda t: (t.key == NO_LOCATION, t.label.lower()))


@dataclass(frozen=True)
class Totals:
    reviews: int
    replied: int
    reply_rate: stats.Estimate
    median_response_s: float | None
    recoveries: int
    stars: stats.Estimate


def totals(organisation: Organisation, start: date, end: date, source_kind: str = "") -> Totals:
    qs = reviews_in(organisation, start, end, source_kind)
    row = qs.aggregate(
        reviews=Count("id"),
        replied=Count("id", filter=Q(replied_at__isnull=False)),
        recoveries=Count("id", filter=Q(recovered_at__isnull=False)),
        rated=Count("rating"),
        total=Sum("rating"),
        squares=Sum(F("rating") * F("rating")),
    )
    seconds = [
        s
        for s in qs.filter(response_seconds__isnull=False).values_list(
            "response_seconds", flat=True
        )
        if s is not None
    ]
    return Totals(
        reviews=row["reviews"],
        replied=row["replied"],
        reply_rate=stats.wilson(row["replied"], row["reviews"]),
        median_response_s=float(statistics.median(seconds)) if seconds else None,
        recoveries=row["recoveries"],
        stars=mean_from_moments(row["rated"], row["total"] or 0, row["squares"] or 0),
    )


def theme_counts(
    organisation: Organisation, start: date, end: date, source_kind: str = ""
) -> list[dict]:
    """Themes in the period's reviews: mentions, and how many of them negative."""
    reviews = reviews_in(organisation, start, end, source_kind)
    rows = (
        ReviewTheme.objects.filter(organisation=organisation, review__in=reviews)
        .values("theme_key")
        .annotate(
            mentions=Count("id"),
            negative=Count("id", filter=Q(sentiment="negative")),
            positive=Count("id", filter=Q(sentiment="positive")),
        )
        .order_by("-mentions", "theme_key")
    )
    return [dict(row) for row in rows]
