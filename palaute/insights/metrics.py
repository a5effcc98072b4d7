"""CX metrics by database aggregation.

Every function here asks the database for score counts (``ScoreCount`` rows grouped by a
dimension and the score) and turns the small histogram that comes back into estimates with
95 % intervals (``palaute.lib.stats``). No response rows are loaded into Python, so a metric
over ten million responses costs the same few queries as one over a hundred.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from palaute.insights.models import ScoreCount
from palaute.journeys.models import Location, Stage, Touchpoint
from palaute.lib import stats
from palaute.lib.stats import Estimate
from palaute.surveys.models import Answer, Response, Survey

METRIC_KINDS = ("nps", "csat", "ces", "smiley", "rating", "expectation_experience")

# Fixed scales; rating and expectation–experience scales come from the data.
SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "smiley": (1, 4),
}
LABELS = {
    "nps": _("NPS"),
    "csat": _("CSAT"),
    "ces": _("CES"),
    "smiley": _("Smiley index"),
    "rating": _("Rating"),
    "expectation_experience": _("Experience"),
    "expectation": _("Expectation"),
}
FORMATS = {"nps": "{:+.0f}", "csat": "{:.0f} %", "smiley": "{:.0f}"}


@dataclass(frozen=True)
class Scope:
    """Which counts to aggregate; None means "all"."""

    organisation_id: int
    survey_id: int | None = None
    question_key: str | None = None
    stage_id: int | None = None
    touchpoint_id: int | None = None
    location_id: int | None = None
    channel: str | None = None
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Bucket:
    score: int
    n: int
    percent: float


@dataclass(frozen=True)
class Summary:
    kind: str
    n: int
    headline: Estimate
    mean: Estimate
    secondary: Estimate | None
    distribution: list[Bucket]
    scale: tuple[int, int]
    goodness: float | None
    label: str
    headline_format: str

    def format_value(self, value: float | None) -> str:
        return "–" if value is None else self.headline_format.format(value)

    @property
    def headline_text(self) -> str:
        return self.format_value(self.headline.value)

    @property
    def interval_text(self) -> str:
        h = self.headline
        if h.low is None or h.high is None:
            return ""
        return f"{self.format_value(h.low)}…{self.format_value(h.high)}"


@dataclass(frozen=True)
class TrendPoint:
    start: date
    summary: Summary
    change_is_real: bool


@dataclass(frozen=True)
class Cell:
    touchpoint: Touchpoint
    summary: Summary | None


@dataclass(frozen=True)
class StageColumn:
    stage: Stage
    cells: list[Cell]


@dataclass(frozen=True)
class Comment:
    submitted_at: object
    text: str
    language: str
    channel: str
    touchpoint_name: str
    score: int | None
    kind: str | None


# --- turning a histogram into a summary (pure) ---------------------------------------------


def _scale_for(kind: str, hist: dict[int, int]) -> tuple[int, int]:
    if kind in SCALES:
        return SCALES[kind]
    seen = [s for s, c in hist.items() if c]
    low = 0 if seen and min(seen) == 0 else 1
    high = max([5, *seen])
    return (low, high)


def _goodness(kind: str, headline: Estimate, scale: tuple[int, int]) -> float | None:
    v = headline.value
    if v is None:
        return None
    if kind == "nps":
        return (v + 100) / 200
    if kind in ("csat", "smiley"):
        return v / 100
    low, high = scale
    if high == low:
        return None
    fraction = (v - low) / (high - low)
    return 1 - fraction if kind == "ces" else fraction


def summarise(kind: str, hist: dict[int, int], scale: tuple[int, int] | None = None) -> Summary:
    """Build a Summary from a score histogram. Pure; the histogram is already aggregated."""
    scale = scale or _scale_for(kind, hist)
    low, high = scale
    n = sum(hist.values())
    mean = stats.mean_t(hist, low, high)
    secondary: Estimate | None = None
    if kind == "nps":
        headline = stats.nps_from_histogram(hist)
    elif kind == "csat":
        headline = stats.share(hist, 4, 5)
        secondary = mean
    elif kind == "ces":
        headline = mean
        secondary = stats.share(hist, 1, 3)  # share who found it easy
    elif kind == "smiley":
        headline = stats.smiley_index(hist)
        secondary = stats.share(hist, 3, 4)
    else:
        headline = mean
    distribution = [
        Bucket(score=s, n=hist.get(s, 0), percent=(100 * hist.get(s, 0) / n) if n else 0.0)
        for s in range(low, high + 1)
    ]
    return Summary(
        kind=kind,
        n=n,
        headline=headline,
        mean=mean,
        secondary=secondary,
        distribution=distribution,
        scale=scale,
        goodness=_goodness(kind, headline, scale),
        label=str(LABELS.get(kind, kind)),
        headline_format=FORMATS.get(kind, "{:.2f}"),
    )


# --- database queries ------------------------------------------------------------------------


def _counts(scope: Scope, kind: str | None = None) -> QuerySet[ScoreCount]:
    qs = ScoreCount.objects.filter(organisation_id=scope.organisation_id)
    if kind is not None:
        qs = qs.filter(kind=kind)
    for field in (
        "survey_id",
        "question_key",
        "stage_id",
        "touchpoint_id",
        "location_id",
        "channel",
    ):
        value = getattr(scope, field)
        if value is not None:
            qs = qs.filter(**{field: value})
    if scope.start is not None:
        qs = qs.filter(day__gte=scope.start)
    if scope.end is not None:
        qs = qs.filter(day__lte=scope.end)
    return qs


def histogram(scope: Scope, kind: str) -> dict[int, int]:
    rows = _counts(scope, kind).values("score").annotate(total=Sum("n")).order_by()
    return {row["score"]: row["total"] for row in rows if row["total"]}


def summary(scope: Scope, kind: str) -> Summary:
    return summarise(kind, histogram(scope, kind))


_BY_FIELD = {
    "stage": ("stage_id", Stage),
    "touchpoint": ("touchpoint_id", Touchpoint),
    "location": ("location_id", Location),
    "survey": ("survey_id", Survey),
    "channel": ("channel", None),
}


def breakdown(scope: Scope, kind: str, by: str) -> list[tuple[object, Summary]]:
    """Summaries per stage/touchpoint/location/survey/channel, largest first."""
    field, model = _BY_FIELD[by]
    rows = _counts(scope, kind).values(field, "score").annotate(total=Sum("n")).order_by()
    grouped: dict[object, dict[int, int]] = defaultdict(dict)
    for row in rows:
        if row["total"]:
            grouped[row[field]][row["score"]] = row["total"]
    keys: dict[object, object] = {k: k for k in grouped}
    if model is not None:
        ids = [k for k in grouped if k]
        objects = model._default_manager.filter(organisation_id=scope.organisation_id, pk__in=ids)
        keys = {obj.pk: obj for obj in objects}
        keys[0] = None  # responses without that dimension
    # Scale from the union, so rating breakdowns share one axis.
    union: dict[int, int] = defaultdict(int)
    for hist in grouped.values():
        for s, c in hist.items():
            union[s] += c
    scale = _scale_for(kind, union)
    result = [(keys.get(k), summarise(kind, hist, scale)) for k, hist in grouped.items()]
    result.sort(key=lambda pair: pair[1].n, reverse=True)
    return result


PERIODS = ("day", "week", "month")


def _period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _period_starts(first: date, last: date, period: str) -> list[date]:
    starts = []
    if period == "day":
        d = first
        while d <= last:
            starts.append(d)
            d += timedelta(days=1)
    elif period == "week":
        d = first - timedelta(days=first.weekday())
        while d <= last:
            starts.append(d)
            d += timedelta(days=7)
    else:
        d = first.replace(day=1)
        while d <= last:
            starts.append(d)
            d = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return starts


def trend(scope: Scope, kind: str, period: str = "month") -> list[TrendPoint]:
    """Headline per period, each flagged when it differs really from the period before."""
    return summary_and_trend(scope, kind, period)[1]


def summary_and_trend(
    scope: Scope, kind: str, period: str = "month"
) -> tuple[Summary, list[TrendPoint]]:
    """The whole scope's summary and its trend from one query (dashboards need both)."""
    if period not in PERIODS:
        raise ValueError(f"period: must be one of {', '.join(PERIODS)}")
    # Group by the stored day (a plain column: no per-row date function, which SQLite would
    # run in Python), then fold the at most 366 × scale-size day counts into periods.
    rows = _counts(scope, kind).values("day", "score").annotate(total=Sum("n")).order_by()
    grouped: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    union: dict[int, int] = defaultdict(int)
    for row in rows:
        if row["total"]:
            grouped[_period_start(row["day"], period)][row["score"]] += row["total"]
            union[row["score"]] += row["total"]
    total = summarise(kind, dict(union))
    if not grouped:
        return total, []
    first = scope.start or min(grouped)
    last = scope.end or max(grouped)
    points: list[TrendPoint] = []
    previous: Summary | None = None
    for start in _period_starts(min(first, min(grouped)), max(last, max(grouped)), period):
        current = summarise(kind, dict(grouped.get(start, {})), total.scale)
        real = previous is not None and stats.change_is_real(previous.headline, current.headline)
        points.append(TrendPoint(start=start, summary=current, change_is_real=real))
        if current.n:
            previous = current
    return total, points


def touchpoint_months(
    organisation_id: int, kinds: dict[int, str], since: date
) -> dict[tuple[int, date], dict[int, int]]:
    """Monthly histograms per touchpoint in the given kind each (for the map's sparklines),
    from one GROUP BY over day counts."""
    rows = (
        ScoreCount.objects.filter(
            organisation_id=organisation_id,
            touchpoint_id__in=list(kinds),
            kind__in=set(kinds.values()),
            day__gte=since,
        )
        .values("touchpoint_id", "kind", "day", "score")
        .annotate(total=Sum("n"))
        .order_by()
    )
    hists: dict[tuple[int, date], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        if kinds.get(row["touchpoint_id"]) == row["kind"] and row["total"]:
            month = row["day"].replace(day=1)
            hists[(row["touchpoint_id"], month)][row["score"]] += row["total"]
    return {key: dict(hist) for key, hist in hists.items()}


def _preferred(totals: dict[str, int]) -> str | None:
    """The kind with most answers; ties go to the order of METRIC_KINDS (NPS first)."""
    if not totals:
        return None
    return max(totals, key=lambda k: (totals[k], -METRIC_KINDS.index(k)))


def primary_kind(scope: Scope) -> str | None:
    rows = (
        _counts(scope)
        .filter(kind__in=METRIC_KINDS)
        .values("kind")
        .annotate(total=Sum("n"))
        .order_by()
    )
    return _preferred({row["kind"]: row["total"] for row in rows if row["total"]})


def question_kinds(scope: Scope) -> list[tuple[str, str]]:
    rows = _counts(scope).values("question_key", "kind").distinct().order_by("question_key")
    return [(row["question_key"], row["kind"]) for row in rows]


def journey_map(organisation, start: date | None = None, end: date | None = None):
    """Stages × touchpoints with each touchpoint's primary metric, in two aggregate queries."""
    scope = Scope(organisation_id=organisation.id, start=start, end=end)
    rows = (
        _counts(scope)
        .filter(kind__in=METRIC_KINDS)
        .values("touchpoint_id", "kind", "score")
        .annotate(total=Sum("n"))
        .order_by()
    )
    per_touchpoint: dict[int, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for row in rows:
        if row["total"]:
            per_touchpoint[row["touchpoint_id"]][row["kind"]][row["score"]] = row["total"]
    stages = Stage.objects.filter(organisation=organisation).order_by("position", "id")
    touchpoints = (
        Touchpoint.objects.filter(organisation=organisation)
        .select_related("owner", "location")
        .order_by("position", "id")
    )
    by_stage: dict[int, list[Cell]] = defaultdict(list)
    for tp in touchpoints:
        kinds = per_touchpoint.get(tp.id)
        cell_summary = None
        if kinds:
            kind = _preferred({k: sum(h.values()) for k, h in kinds.items()})
            if kind is not None:
                cell_summary = summarise(kind, kinds[kind])
        by_stage[tp.stage_id].append(Cell(touchpoint=tp, summary=cell_summary))
    return [StageColumn(stage=stage, cells=by_stage.get(stage.id, [])) for stage in stages]


def latest_comments(scope: Scope, limit: int = 20, scan_limit: int = 5000) -> list[Comment]:
    """The newest free-text answers in scope, with the response's main score for context.

    Walks responses newest first through the (survey|touchpoint|organisation, time) indexes in
    small batches and picks those with a comment, so the cost does not grow with history.
    At most ``scan_limit`` responses are looked at.
    """
    responses = Response.objects.filter(organisation_id=scope.organisation_id)
    for field in ("survey_id", "stage_id", "touchpoint_id", "location_id", "channel"):
        value = getattr(scope, field)
        if value is not None:
            responses = responses.filter(**{field: value})
    if scope.start is not None:
        responses = responses.filter(submitted_at__date__gte=scope.start)
    if scope.end is not None:
        responses = responses.filter(submitted_at__date__lte=scope.end)
    responses = responses.select_related("touchpoint").order_by("-submitted_at", "-id")
    comments: list[Comment] = []
    batch = 200
    for offset in range(0, scan_limit, batch):
        chunk = list(responses[offset : offset + batch])
        if not chunk:
            break
        by_id = {r.id: r for r in chunk}
        texts: dict[int, list[str]] = defaultdict(list)
        scores: dict[int, tuple[int | None, str | None]] = {}
        for row in (
            Answer.objects.filter(response_id__in=by_id)
            .filter(Q(kind="text") | Q(kind__in=METRIC_KINDS))
            .order_by("id")
            .values("response_id", "kind", "score", "text")
        ):
            if row["kind"] == "text":
                if row["text"]:
                    texts[row["response_id"]].append(row["text"])
            else:
                scores.setdefault(row["response_id"], (row["score"], row["kind"]))
        for r in chunk:
            for text in texts.get(r.id, []):
                score, kind = scores.get(r.id, (None, None))
                comments.append(
                    Comment(
                        submitted_at=r.submitted_at,
                        text=text,
                        language=r.language,
                        channel=r.channel,
                        touchpoint_name=r.touchpoint.name if r.touchpoint else "",
                        score=score,
                        kind=kind,
                    )
                )
                if len(comments) >= limit:
                    return comments
    return comments


def with_period(scope: Scope, start: date | None, end: date | None) -> Scope:
    return replace(scope, start=start, end=end)
