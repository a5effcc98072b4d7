"""Pages of text analytics: the verbatim explorer with in-place tagging, theme trends and the
theme × touchpoint heat map, teaching the model (own themes, tag queue, retraining), and the
driver analysis of a survey.

Views stay thin: they parse and authorise, call ``explorer``, ``trends``, ``labels``,
``analysis`` or ``insights.drivers``, and render. Every query is scoped to
``request.organisation``; anything of another organisation is a 404 or matches nothing.
Reading needs viewer, tagging agent, editing themes manager.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.insights import drivers
from palaute.journeys.models import Stage, Touchpoint
from palaute.surveys.models import Answer, Survey
from palaute.surveys.publishing import current_definition
from palaute.text import analysis, charts, explorer, hooks, labels, trends
from palaute.text.forms import LabelForm, ThemeForm
from palaute.text.lexicon import THEME_KEYS
from palaute.text.models import CommentAnalysis, Sentiment, Theme, ThemeLabel, ThemeMention
from palaute.text.names import BUILTIN_DESCRIPTIONS, own_name, theme_names

OUTCOME_UNITS = {
    "nps": gettext_lazy("NPS points"),
    "csat": gettext_lazy("percentage points satisfied"),
    "smiley": gettext_lazy("smiley index points"),
    "ces": gettext_lazy("percentage points who found it easy"),
}
OTHER_UNITS = gettext_lazy("points on a 0–100 scale")
QUADRANT_NAMES = {
    "fix_first": gettext_lazy("Fix first"),
    "keep_up": gettext_lazy("Keep up"),
    "low_priority": gettext_lazy("Low priority"),
    "strength": gettext_lazy("Doing well, matters less"),
}
QUEUE_SIZE = 20
# Rated questions usually measure the same experience as the outcome and take most of the
# explained variance, so themes and questions are ranked separately unless asked for together.
DRIVER_SETS = {
    "themes": (("theme",), gettext_lazy("Themes in comments")),
    "questions": (("attribute",), gettext_lazy("Rated questions")),
    "all": (("theme", "attribute"), gettext_lazy("Both")),
}


# --- helpers --------------------------------------------------------------------------------


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _can_tag(request) -> bool:
    return request.membership.has_role(Role.AGENT)


def _period(request, default: str = explorer.DEFAULT_PERIOD):
    key = request.GET.get("period", default)
    if key not in explorer.PERIODS:
        key = default
    days = explorer.PERIODS[key][0]
    if days is None:
        return key, None, None
    end = explorer.today_in(request.organisation)
    return key, end - dt.timedelta(days=days - 1), end


def _periods(current: str, **keep: str) -> list[dict]:
    """Period links; ``keep`` are other query parameters the links carry along."""
    return [
        {
            "key": key,
            "label": label,
            "current": key == current,
            "query": urlencode({"period": key, **keep}),
        }
        for key, (_days, label) in explorer.PERIODS.items()
    ]


def _tag_choices(organisation) -> list[tuple[str, str]]:
    names = theme_names(organisation.id, include_inactive=False)
    keys = labels.theme_keys_of(organisation)
    return sorted(((k, names.get(k, k)) for k in keys), key=lambda pair: pair[1].lower())


def _percent(probability: float | None) -> int | None:
    return None if probability is None else round(100 * probability)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- the verbatim explorer ------------------------------------------------------------------


@member_required()
def comments(request):
    organisation = request.organisation
    names = theme_names(organisation.id)
    filters = explorer.parse(request.GET, organisation, set(names))
    page = explorer.page(organisation, filters, names, after=request.GET.get("after", ""))
    total = explorer.count(organisation, filters)
    next_url = ""
    if page.next_cursor:
        next_url = "?" + filters.query(after=page.next_cursor)
    return render(
        request,
        "text/comments.html",
        {
            "nav": "comments",
            "filters": filters,
            "rows": page.rows,
            "total": total,
            "total_capped": total > explorer.COUNT_CAP,
            "count_cap": explorer.COUNT_CAP,
            "next_url": next_url,
            "first_url": "?" + filters.query() if request.GET.get("after") else "",
            "theme_choices": sorted(names.items(), key=lambda pair: pair[1].lower()),
            "sentiments": Sentiment.choices,
            "stages": Stage.objects.filter(organisation=organisation),
            "touchpoints": Touchpoint.objects.filter(organisation=organisation).select_related(
                "stage"
            ),
            "surveys": Survey.objects.filter(organisation=organisation).order_by("name"),
            "languages": explorer.LANGUAGES,
            "periods": explorer.PERIODS,
            "can_tag": _can_tag(request),
            "tag_choices": _tag_choices(organisation) if _can_tag(request) else [],
            "here": request.get_full_path(),
        },
    )


@require_POST
@member_required(Role.AGENT)
def label(request, answer_id: int):
    """One tag or correction on one comment; answers with the updated card for htmx, or
    redirects back to where the user was."""
    organisation = request.organisation
    answer = get_object_or_404(
        Answer.objects.select_related("organisation"),
        pk=answer_id,
        organisation=organisation,
        kind__in=analysis.TEXT_KINDS,
    )
    form = LabelForm(request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["action"] == "add":
                labels.tag_theme(answer, data["theme"], data["sentiment"] or None, request.user)
            elif data["action"] == "remove":
                labels.remove_theme(answer, data["theme"], request.user)
            else:
                labels.set_sentiment(answer, data["sentiment"], request.user)
        except labels.LabelInvalid as exc:
            error = str(exc)
        else:
            hooks.request_retraining(organisation.id)
    else:
        error = "; ".join(
            f"{field}: {' '.join(str(e) for e in errs)}" for field, errs in form.errors.items()
        )
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        else:
            messages.success(request, _("Saved. The model learns from it at its next training."))
        return HttpResponseRedirect(_back(request, reverse("text_comments")) + f"#c{answer.pk}")
    stored = CommentAnalysis.objects.select_related("answer", "touchpoint", "survey").get(
        answer=answer
    )
    row = explorer.rows_for([stored], theme_names(organisation.id))[0]
    return render(
        request,
        "text/_comment.html",
        {
            "row": row,
            "can_tag": True,
            "tag_choices": _tag_choices(organisation),
            "here": _back(request, reverse("text_comments")),
            "mode": request.POST.get("mode", ""),
            "sentiments": Sentiment.choices,
            "done": not error,
            "error": error,
        },
    )


# --- themes: trends and heat map ------------------------------------------------------------


@member_required()
def themes(request):
    organisation = request.organisation
    period_key, start, end = _period(request)
    names = theme_names(organisation.id)
    qs = trends.mentions(organisation.id, start, end)
    found = trends.theme_trends(qs, names, start, end)
    period_query = {"period": period_key}

    def month_link(key: str):
        def link(month: dt.date) -> str:
            following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
            filters = explorer.Filters(
                theme=key, period="custom", start=month, end=following - dt.timedelta(days=1)
            )
            return reverse("text_comments") + "?" + filters.query()

        return link

    rows = [
        {
            "trend": t,
            "description": BUILTIN_DESCRIPTIONS.get(t.key, ""),
            "bars": mark_safe(charts.theme_months_svg(t.name, t.months, month_link(t.key))),
            "link": reverse("text_comments")
            + "?"
            + explorer.Filters(theme=t.key).query(**period_query),
            "negative_link": reverse("text_comments")
            + "?"
            + explorer.Filters(theme=t.key, sentiment="negative").query(**period_query),
        }
        for t in found
    ]
    heat = trends.heat_map(qs, organisation.id, names)
    grid = []
    for key, name in heat.themes:
        cells = []
        for touchpoint in heat.touchpoints:
            tally = heat.cell(key, touchpoint)
            params = {"period": period_key}
            if touchpoint is not None:
                params["touchpoint"] = touchpoint.key
            cells.append(
                {
                    "tally": tally,
                    "css": trends.heat_class(tally.net if tally else None),
                    "link": reverse("text_comments")
                    + "?"
                    + explorer.Filters(theme=key).query(**params),
                }
            )
        grid.append({"key": key, "name": name, "cells": cells})
    return render(
        request,
        "text/themes.html",
        {
            "nav": "themes",
            "rows": rows,
            "heat": heat,
            "grid": grid,
            "periods": _periods(period_key),
            "period_key": period_key,
        },
    )


# --- teaching the model ---------------------------------------------------------------------


def _model_status(organisation) -> dict:
    latest = analysis.latest_model(organisation.pk)
    label_rows = ThemeLabel.objects.filter(organisation=organisation)
    return {
        "model": latest,
        "metrics": latest.metrics if latest else {},
        "cv": (latest.metrics.get("cross_validation") or {}) if latest else {},
        "labels": label_rows.count(),
        "tagged_comments": label_rows.values("answer_id").distinct().count(),
        "needs_training": analysis.needs_training(organisation),
        "min_labels": analysis.MIN_LABELS_TO_TRAIN,
    }


@member_required()
def teach(request):
    organisation = request.organisation
    counts = dict(
        ThemeMention.objects.filter(organisation=organisation)
        .values_list("theme_key")
        .annotate(n=Count("id"))
        .order_by()
    )
    names = theme_names(organisation.id)
    builtin = [
        {"key": k, "name": names[k], "description": BUILTIN_DESCRIPTIONS[k], "n": counts.get(k, 0)}
        for k in THEME_KEYS
    ]
    own = [
        {"theme": t, "name": own_name(t), "n": counts.get(t.key, 0)}
        for t in Theme.objects.filter(organisation=organisation)
    ]
    return render(
        request,
        "text/teach.html",
        {
            "nav": "themes",
            "builtin": builtin,
            "own": own,
            "status": _model_status(organisation),
            "can_tag": _can_tag(request),
            "can_edit": request.membership.has_role(Role.MANAGER),
        },
    )


@require_POST
@member_required(Role.AGENT)
def retrain(request):
    hooks.request_retraining(request.organisation.id, force=True)
    record_audit(request.organisation, request.user, "text.retrain", "text model")
    messages.success(
        request,
        _("Retraining is queued; the worker trains the model and re-analyses the comments."),
    )
    return redirect("text_teach")


def _theme_form(request, theme: Theme | None):
    organisation = request.organisation
    before = (
        (list(theme.keywords), list(theme.example_comments), theme.is_active) if theme else None
    )
    form = ThemeForm(request.POST or None, instance=theme, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        keywords, examples, active = saved.keywords, saved.example_comments, saved.is_active
        if before is None or before[0] != keywords or before[2] != active:
            hooks.request_reanalysis(organisation.id)
        if examples and (before is None or before[1] != examples or before[2] != active):
            hooks.request_retraining(organisation.id)
        record_audit(
            organisation,
            request.user,
            "text.theme.update" if theme else "text.theme.create",
            saved.key,
            {"keywords": len(keywords), "examples": len(examples), "active": active},
        )
        messages.success(request, _("Theme saved. Comments are re-analysed in the background."))
        return redirect("text_teach")
    return render(
        request,
        "text/theme_form.html",
        {"nav": "themes", "form": form, "theme": theme},
    )


@member_required(Role.MANAGER)
def theme_create(request):
    return _theme_form(request, None)


@member_required(Role.MANAGER)
def theme_edit(request, key: str):
    theme = get_object_or_404(Theme, organisation=request.organisation, key=key)
    return _theme_form(request, theme)


@member_required()
def queue(request):
    """The comments to tag first, each with the one question that would teach the model most."""
    organisation = request.organisation
    items = analysis.active_learning_queue(organisation, limit=QUEUE_SIZE)
    ids = [item.answer_id for item in items]
    missing = set(ids) - set(
        CommentAnalysis.objects.filter(answer_id__in=ids).values_list("answer_id", flat=True)
    )
    if missing:
        analysis.analyse_answers(missing)
    stored = {
        a.answer_id: a
        for a in CommentAnalysis.objects.filter(answer_id__in=ids).select_related(
            "answer", "touchpoint", "survey"
        )
    }
    names = theme_names(organisation.id)
    rows = explorer.rows_for([stored[i] for i in ids if i in stored], names)
    by_answer = {item.answer_id: item for item in items}
    cards = [
        {
            "row": row,
            "item": by_answer[row.analysis.answer_id],
            "theme_name": names.get(by_answer[row.analysis.answer_id].theme or "", ""),
            "percent": _percent(by_answer[row.analysis.answer_id].probability),
        }
        for row in rows
    ]
    return render(
        request,
        "text/queue.html",
        {
            "nav": "themes",
            "cards": cards,
            "can_tag": _can_tag(request),
            "tag_choices": _tag_choices(organisation) if _can_tag(request) else [],
            "here": request.get_full_path(),
            "has_model": analysis.latest_model(organisation.pk) is not None,
            "sentiments": Sentiment.choices,
        },
    )


# --- driver analysis ------------------------------------------------------------------------


@member_required()
def survey_drivers(request, key: str):
    organisation = request.organisation
    survey = get_object_or_404(
        Survey.objects.select_related("organisation", "touchpoint"),
        organisation=organisation,
        key=key,
    )
    questions = drivers.scored_questions(survey)
    outcome = request.GET.get("outcome", "")
    if outcome not in {q[0] for q in questions}:
        outcome = drivers.default_outcome(questions) or ""
    period_key, start, end = _period(request)
    include = request.GET.get("drivers", "themes")
    if include not in DRIVER_SETS:
        include = "themes"
    result = None
    data = drivers.load(survey, outcome, start, end) if outcome else None
    if data is not None:
        result = drivers.analyse(data, kinds=DRIVER_SETS[include][0])
    names = _driver_names(survey, organisation)
    rows = []
    matrix = ""
    if result is not None:
        for driver in [*result.drivers, *result.too_few]:
            names.setdefault(driver.key, driver.name)
        matrix = mark_safe(
            charts.driver_matrix_svg(result, names, lambda d: _driver_link(d, survey, period_key))
        )
        rows = [
            {
                "driver": d,
                "name": names[d.key],
                "quadrant": QUADRANT_NAMES.get(d.quadrant, ""),
                "link": _driver_link(d, survey, period_key),
            }
            for d in result.drivers
        ]
    kind = next((k for q, k, _b in questions if q == outcome), "")
    return render(
        request,
        "text/drivers.html",
        {
            "nav": "surveys",
            "survey": survey,
            "questions": [
                {"key": q, "kind": k, "text": names.get(f"attribute:{q}", q)}
                for q, k, _b in questions
            ],
            "outcome": outcome,
            "outcome_text": names.get(f"attribute:{outcome}", outcome),
            "units": OUTCOME_UNITS.get(kind, OTHER_UNITS),
            "result": result,
            "rows": rows,
            "too_few": [
                {"driver": d, "name": names.get(d.key, d.name)}
                for d in (result.too_few if result else [])
            ],
            "fix_first": [names[d.key] for d in result.fix_first] if result else [],
            "keep_up": [names[d.key] for d in result.keep_up] if result else [],
            "matrix": matrix,
            "min_flagged": drivers.MIN_FLAGGED,
            "min_responses": drivers.MIN_RESPONSES,
            "sample_cap": drivers.SAMPLE_CAP,
            "periods": _periods(period_key, outcome=outcome, drivers=include),
            "period_key": period_key,
            "include": include,
            "driver_sets": [(key, label) for key, (_kinds, label) in DRIVER_SETS.items()],
        },
    )


def _driver_names(survey: Survey, organisation) -> dict[str, str]:
    names = {f"theme:{k}": v for k, v in theme_names(organisation.id).items()}
    current = current_definition(survey)
    if current is not None:
        _version, definition = current
        lang = (get_language() or definition.default_language)[:2]
        for q in definition.questions:
            names[f"attribute:{q.key}"] = definition.text(q.text, lang) or q.key
    return names


def _driver_link(driver: drivers.Driver, survey: Survey, period_key: str) -> str:
    if driver.kind != "theme":
        return reverse("survey_dashboard", args=[survey.key]) + f"?period={period_key}"
    return (
        reverse("text_comments")
        + "?"
        + explorer.Filters(theme=driver.name).query(survey=survey.key, period=period_key)
    )
