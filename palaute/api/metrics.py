"""/metrics: the dashboards' figures as JSON, from the same database aggregates
(``palaute.insights.metrics`` over the pre-counted score cells; no response rows are read)."""

from __future__ import annotations

import math
from datetime import date, timedelta

from django.db.models import Max, Min
from ninja import Query, Router

from palaute.api.errors import ValidationFailed, responses
from palaute.api.lookups import optional_ref
from palaute.api.schemas import MetricsFilters, MetricsOut, reject_unknown_parameters
from palaute.insights import metrics
from palaute.insights.models import ScoreCount
from palaute.insights.rollup import EXPECTED_KIND
from palaute.journeys.models import Channel, Location, Stage, Touchpoint
from palaute.lib.stats import Estimate
from palaute.surveys.models import Survey

router = Router(tags=["metrics"])

MEASURABLE = (*metrics.METRIC_KINDS, EXPECTED_KIND)
MAX_TREND_POINTS = 1000


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _estimate(estimate: Estimate | None) -> dict | None:
    if estimate is None:
        return None
    return {
        "value": _number(estimate.value),
        "low": _number(estimate.low),
        "high": _number(estimate.high),
    }


def summary_out(summary: metrics.Summary) -> dict:
    headline = summary.headline
    return {
        "kind": summary.kind,
        "label": summary.label,
        "n": summary.n,
        "value": _number(headline.value),
        "low": _number(headline.low),
        "high": _number(headline.high),
        "mean": _estimate(summary.mean),
        "secondary": _estimate(summary.secondary),
        "scale": list(summary.scale),
        "distribution": [
            {"score": b.score, "n": b.n, "percent": b.percent} for b in summary.distribution
        ],
    }


def _dimension(by: str, value: object) -> tuple[str | None, str | None]:
    """(key, name) of a breakdown group."""
    if value is None:
        return None, None
    if by == "channel":
        channel = str(value)
        label = Channel(channel).label if channel in Channel.values else channel
        return channel, str(label)
    if isinstance(value, Location):
        return value.name, value.name
    return getattr(value, "key", str(value)), str(getattr(value, "name", value))


def _periods(first: date, last: date, period: str) -> int:
    if period == "day":
        return (last - first).days + 1
    if period == "week":
        return (last - (first - timedelta(days=first.weekday()))).days // 7 + 1
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _trend_length_bound(
    organisation_id: int, kind: str, since: date | None, until: date | None, period: str
) -> int:
    """At most how many points the trend will have: it spans since…until widened to the
    scope's data, which lies within the organisation's first and last counted day. Checked
    before the trend is built, so a request for 1970…2999 by day costs one indexed MIN/MAX."""
    bounds = ScoreCount.objects.filter(organisation_id=organisation_id, kind=kind).aggregate(
        first=Min("day"), last=Max("day")
    )
    if bounds["first"] is None:
        return 0  # no data: the trend is empty whatever the dates
    first = min(since, bounds["first"]) if since else bounds["first"]
    last = max(until, bounds["last"]) if until else bounds["last"]
    return _periods(first, last, period)


def _kind(scope: metrics.Scope, question: str | None, wanted: str | None) -> str | None:
    """The kind to measure: the question's, else the one asked for, else the most answered."""
    if question is not None:
        answered = {kind for _key, kind in metrics.question_kinds(scope)}
        kinds = answered & set(MEASURABLE)
        if answered and not kinds:
            raise ValidationFailed([("question", "is not a scored question")])
        if wanted is not None and kinds and wanted not in kinds:
            raise ValidationFailed([("kind", f"the question is {', '.join(sorted(kinds))}")])
        if wanted is None and len(kinds) > 1:  # one key, several surveys, different types
            raise ValidationFailed(
                [("kind", f"the question key has several kinds ({', '.join(sorted(kinds))})")]
            )
        if wanted is None and kinds:
            return kinds.pop()
    if wanted is not None:
        return wanted
    return metrics.primary_kind(scope)


@router.get("/metrics", response=responses({200: MetricsOut}), summary="Get a metric")
def get_metrics(request, filters: Query[MetricsFilters]):
    """A summary (headline value with its 95 % interval, n, distribution), optionally broken
    down by a dimension (``by``) or as a trend (``period``). Dates are days in the
    organisation's time zone, both ends inclusive."""
    reject_unknown_parameters(request, MetricsFilters)
    org = request.organisation
    errors = []
    if filters.since and filters.until and filters.since > filters.until:
        errors.append(("until", "must not be before since"))
    if filters.by and filters.period:
        errors.append(("period", "give either by or period, not both"))
    if errors:
        raise ValidationFailed(errors)
    survey = optional_ref(Survey, org, "survey", filters.survey)
    touchpoint = optional_ref(Touchpoint, org, "touchpoint", filters.touchpoint)
    stage = optional_ref(Stage, org, "stage", filters.stage)
    location = optional_ref(Location, org, "location", filters.location)
    scope = metrics.Scope(
        organisation_id=org.pk,
        survey_id=survey.pk if survey else None,
        question_key=filters.question,
        stage_id=stage.pk if stage else None,
        touchpoint_id=touchpoint.pk if touchpoint else None,
        location_id=location.pk if location else None,
        channel=filters.channel,
    )
    scope = metrics.with_period(scope, filters.since, filters.until)
    kind = _kind(scope, filters.question, filters.kind)
    result: dict = {
        "kind": kind,
        "question": filters.question,
        "summary": None,
        "breakdown": None,
        "trend": None,
    }
    if kind is None:
        return result
    if filters.period:
        if _trend_length_bound(org.pk, kind, filters.since, filters.until, filters.period) > (
            MAX_TREND_POINTS
        ):
            raise ValidationFailed(
                [("period", f"more than {MAX_TREND_POINTS} periods; narrow since/until")]
            )
        total, points = metrics.summary_and_trend(scope, kind, filters.period)
        result["summary"] = summary_out(total)
        result["trend"] = [
            {
                "start": p.start,
                "summary": summary_out(p.summary),
                "change_is_real": p.change_is_real,
            }
            for p in points
        ]
        return result
    result["summary"] = summary_out(metrics.summary(scope, kind))
    if filters.by:
        result["breakdown"] = []
        for value, group in metrics.breakdown(scope, kind, filters.by):
            key, name = _dimension(filters.by, value)
            result["breakdown"].append({"key": key, "name": name, "summary": summary_out(group)})
    return result
