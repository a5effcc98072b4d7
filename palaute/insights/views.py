"""Read-only insight pages: the journey map (home), touchpoint and survey dashboards.

Views stay thin: numbers come from ``metrics`` (database aggregates over score counts),
pictures from ``charts``. Every query is scoped to ``request.organisation``; a key from
another organisation is a 404.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from palaute.accounts.permissions import member_required
from palaute.insights import charts, metrics
from palaute.journeys.models import Channel, Touchpoint
from palaute.loop.measures import dashboard_totals
from palaute.surveys.models import Survey

PERIODS = {
    "30": (30, gettext_lazy("Last 30 days")),
    "90": (90, gettext_lazy("Last 90 days")),
    "365": (365, gettext_lazy("Last 365 days")),
    "all": (None, gettext_lazy("All time")),
}
DEFAULT_PERIOD = "365"
ORG_KINDS = ("nps", "csat", "ces", "smiley")
SECONDARY_LABELS = {
    "csat": gettext_lazy("mean"),
    "ces": gettext_lazy("easy"),
    "smiley": gettext_lazy("positive"),
}
CHANNEL_NAMES = dict(Channel.choices)


# --- small helpers ----------------------------------------------------------------------


def _today(organisation) -> date:
    return timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()


def _period(request) -> tuple[str, date | None, date | None]:
    key = request.GET.get("period", DEFAULT_PERIOD)
    if key not in PERIODS:
        key = DEFAULT_PERIOD
    days = PERIODS[key][0]
    if days is None:
        return key, None, None
    today = _today(request.organisation)
    return key, today - timedelta(days=days - 1), today


def _period_choices(current: str) -> list[dict]:
    return [
        {"key": key, "label": label, "current": key == current}
        for key, (_days, label) in PERIODS.items()
    ]


def _trend_period(period_key: str) -> str:
    return "week" if period_key in ("30", "90") else "month"


def _localized(texts, fallback_language: str = "fi") -> str:
    if isinstance(texts, str):
        return texts
    if not isinstance(texts, dict):
        return ""
    lang = (get_language() or "fi")[:2]
    return texts.get(lang) or texts.get(fallback_language) or next(iter(texts.values()), "")


@dataclass(frozen=True)
class Figure:
    """A summary dressed for a template: colour class and the secondary figure as text."""

    summary: metrics.Summary
    css: str
    secondary_label: str
    secondary_text: str


def figure(summary: metrics.Summary) -> Figure:
    secondary_text = ""
    sec = summary.secondary
    if sec is not None and sec.value is not None:
        secondary_text = f"{sec.value:.2f}" if summary.kind == "csat" else f"{sec.value:.0f} %"
    return Figure(
        summary=summary,
        css=charts.score_class(summary.goodness),
        secondary_label=str(SECONDARY_LABELS.get(summary.kind, "")),
        secondary_text=secondary_text,
    )


def _row_label(by: str, key) -> str:
    if by == "channel":
        return str(CHANNEL_NAMES.get(key, key))
    if key is None:
        return _("Not set")
    return str(key)


def _breakdown_rows(scope: metrics.Scope, kind: str, by: str) -> list[dict]:
    return [
        {"label": _row_label(by, key), "figure": figure(s)}
        for key, s in metrics.breakdown(scope, kind, by)
    ]


def _chart_block(scope: metrics.Scope, kind: str, trend_period: str) -> dict:
    summary, points = metrics.summary_and_trend(scope, kind, trend_period)
    return {
        "figure": figure(summary),
        "distribution": mark_safe(charts.distribution_svg(summary.distribution, kind)),
        "trend": mark_safe(charts.trend_svg(points, kind, summary.scale, trend_period))
        if points
        else "",
        "real_changes": sum(1 for p in points if p.change_is_real),
    }


def _comments(scope: metrics.Scope, limit: int = 20) -> list[dict]:
    return [
        {
            "c": c,
            "kind_label": str(metrics.LABELS.get(c.kind, c.kind or "")),
            "channel_name": str(CHANNEL_NAMES.get(c.channel, c.channel)),
        }
        for c in metrics.latest_comments(scope, limit=limit)
    ]


# --- sparklines for the map: one aggregate query for all touchpoints ---------------------


def _month_starts(last: date, count: int) -> list[date]:
    months, d = [], last.replace(day=1)
    for _i in range(count):
        months.append(d)
        d = (d - timedelta(days=1)).replace(day=1)
    return months[::-1]


def _sparklines(organisation, kinds: dict[int, str], months: int = 12) -> dict[int, str]:
    """A 12-month sparkline per touchpoint in its primary kind, from one GROUP BY query."""
    if not kinds:
        return {}
    starts = _month_starts(_today(organisation), months)
    hists = metrics.touchpoint_months(organisation.id, kinds, since=starts[0])
    result = {}
    for tp_id, kind in kinds.items():
        summaries = [metrics.summarise(kind, hists.get((tp_id, m), {})) for m in starts]
        values = [s.headline.value for s in summaries]
        scale = metrics.SCALES.get(kind) or max((s.scale for s in summaries if s.n), default=(1, 5))
        domain = charts.y_domain(kind, scale)
        label = _("{label}, last 12 months").format(label=metrics.LABELS.get(kind, kind))
        span = 40.0 if kind == "nps" else 20.0 if kind in charts.PERCENT_KINDS else 1.0
        result[tp_id] = mark_safe(charts.sparkline_svg(values, domain, label, min_span=span))
    return result


# --- pages --------------------------------------------------------------------------------


@member_required()
def home(request):
    """The journey map: stages as columns, touchpoints as cards coloured by their score."""
    organisation = request.organisation
    period_key, start, end = _period(request)
    columns = metrics.journey_map(organisation, start=start, end=end)
    scope = metrics.Scope(organisation_id=organisation.id, start=start, end=end)
    strip = [figure(s) for s in (metrics.summary(scope, k) for k in ORG_KINDS) if s.n]
    kinds = {
        cell.touchpoint.id: cell.summary.kind
        for column in columns
        for cell in column.cells
        if cell.summary is not None
    }
    sparks = _sparklines(organisation, kinds)
    stages = [
        {
            "stage": column.stage,
            "cards": [
                {
                    "touchpoint": cell.touchpoint,
                    "figure": figure(cell.summary) if cell.summary else None,
                    "sparkline": sparks.get(cell.touchpoint.id, ""),
                }
                for cell in column.cells
            ],
        }
        for column in columns
    ]
    return render(
        request,
        "insights/map.html",
        {
            "nav": "map",
            "stages": stages,
            "strip": strip,
            "periods": _period_choices(period_key),
            "period_key": period_key,
            "case_measures": dashboard_totals(organisation, start, end),
        },
    )


@member_required()
def touchpoint_dashboard(request, key: str):
    organisation = request.organisation
    touchpoint = get_object_or_404(
        Touchpoint.objects.select_related("stage", "owner", "location"),
        organisation=organisation,
        key=key,
    )
    period_key, start, end = _period(request)
    scope = metrics.Scope(
        organisation_id=organisation.id, touchpoint_id=touchpoint.id, start=start, end=end
    )
    present = {kind for _key, kind in metrics.question_kinds(scope)}
    kinds = [k for k in metrics.METRIC_KINDS if k in present]
    trend_period = _trend_period(period_key)
    blocks = []
    for kind in kinds:
        block = _chart_block(scope, kind, trend_period)
        block["by_channel"] = _breakdown_rows(scope, kind, "channel")
        block["by_survey"] = _breakdown_rows(scope, kind, "survey")
        blocks.append(block)
    surveys = Survey.objects.filter(organisation=organisation, touchpoint=touchpoint).order_by(
        "name"
    )
    return render(
        request,
        "insights/touchpoint.html",
        {
            "nav": "map",
            "touchpoint": touchpoint,
            "blocks": blocks,
            "surveys": surveys,
            "comments": _comments(scope),
            "periods": _period_choices(period_key),
            "period_key": period_key,
        },
    )


def _scored_questions(survey: Survey, scope: metrics.Scope) -> list[dict]:
    """Scored questions of the current definition, then any older ones that still have data."""
    definition = survey.current_version.definition if survey.current_version else {}
    fallback = definition.get("default_language", "fi")
    questions = [
        {"key": q["key"], "kind": q["type"], "text": _localized(q.get("text"), fallback)}
        for q in definition.get("questions", [])
        if q.get("type") in metrics.METRIC_KINDS and q.get("key")
    ]
    known = {q["key"] for q in questions}
    for key, kind in metrics.question_kinds(scope):
        if kind in metrics.METRIC_KINDS and key not in known:
            questions.append({"key": key, "kind": kind, "text": key, "old": True})
            known.add(key)
    return questions


@member_required()
def survey_dashboard(request, key: str):
    organisation = request.organisation
    survey = get_object_or_404(
        Survey.objects.select_related("touchpoint", "current_version"),
        organisation=organisation,
        key=key,
    )
    period_key, start, end = _period(request)
    scope = metrics.Scope(
        organisation_id=organisation.id, survey_id=survey.id, start=start, end=end
    )
    trend_period = _trend_period(period_key)
    questions = []
    for question in _scored_questions(survey, scope):
        q_scope = replace(scope, question_key=question["key"])
        block = _chart_block(q_scope, question["kind"], trend_period)
        if question["kind"] == "expectation_experience":
            expected_scope = replace(scope, question_key=question["key"] + ".expected")
            # The expectation is context, not a score to colour as good or bad.
            expectation = figure(metrics.summary(expected_scope, "expectation"))
            block["expectation"] = replace(expectation, css="score-none")
        questions.append({**question, **block})
    main = next((q for q in questions if q["figure"].summary.n), None)
    breakdowns = []
    if main is not None:
        main_scope = replace(scope, question_key=main["key"])
        for by, title in (
            ("channel", _("By channel")),
            ("touchpoint", _("By touchpoint")),
            ("location", _("By location")),
        ):
            breakdowns.append(
                {"title": title, "rows": _breakdown_rows(main_scope, main["kind"], by)}
            )
    definition = survey.current_version.definition if survey.current_version else {}
    return render(
        request,
        "insights/survey.html",
        {
            "nav": "surveys",
            "survey": survey,
            "title": _localized(definition.get("title"), definition.get("default_language", "fi")),
            "questions": questions,
            "main": main,
            "breakdowns": breakdowns,
            "comments": _comments(scope),
            "periods": _period_choices(period_key),
            "period_key": period_key,
        },
    )
