"""Editing the customer journey: stages in order and their touchpoints (BRIEF §1).

Managers and owners edit; every member may look. Every lookup is scoped to
``request.organisation``, so another organisation's rows are simply not found (404).
"""

from django.contrib import messages
from django.db import transaction
from django.db.models import Max, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.journeys.forms import StageForm, TouchpointForm
from palaute.journeys.models import Stage, Touchpoint


def _stages(organisation):
    touchpoints = Touchpoint.objects.select_related("location", "owner").order_by("position", "id")
    return Stage.objects.filter(organisation=organisation).prefetch_related(
        Prefetch("touchpoints", queryset=touchpoints)
    )


@member_required(Role.VIEWER)
def journey_edit(request):
    return render(
        request,
        "journeys/edit.html",
        {
            "nav": "journey",
            "stages": _stages(request.organisation),
            "can_edit": request.membership.has_role(Role.MANAGER),
        },
    )


def _render_form(request, template, form, **extra):
    """The form page, or only the form when htmx loads it inline."""
    if request.headers.get("HX-Request") and request.method == "GET":
        template = template.replace(".html", "_inline.html")
    return render(request, template, {"nav": "journey", "form": form, **extra})


# ------------------------------------------------------------------------------- stages


@member_required(Role.MANAGER)
def stage_create(request):
    org = request.organisation
    form = StageForm(request.POST or None, organisation=org)
    if request.method == "POST" and form.is_valid():
        last = Stage.objects.filter(organisation=org).aggregate(p=Max("position"))["p"]
        form.instance.position = 0 if last is None else last + 1
        stage = form.save()
        record_audit(org, request.user, "stage.create", stage.key, {"name_fi": stage.name_fi})
        messages.success(request, _("Stage added."))
        return redirect("journey_edit")
    return _render_form(request, "journeys/stage_form.html", form, stage=None)


@member_required(Role.MANAGER)
def stage_update(request, pk):
    org = request.organisation
    stage = get_object_or_404(Stage, pk=pk, organisation=org)
    form = StageForm(request.POST or None, instance=stage, organisation=org)
    if request.method == "POST" and form.is_valid():
        form.save()
        record_audit(org, request.user, "stage.update", stage.key, {"fields": form.changed_data})
        messages.success(request, _("Stage saved."))
        return redirect("journey_edit")
    return _render_form(request, "journeys/stage_form.html", form, stage=stage)


@require_POST
@member_required(Role.MANAGER)
def stage_delete(request, pk):
    org = request.organisation
    stage = get_object_or_404(Stage, pk=pk, organisation=org)
    if stage.touchpoints.exists():
        messages.error(
            request,
            _("Stage “%(name)s” still has touchpoints; move or delete them first.")
            % {"name": stage.name},
        )
        return redirect("journey_edit")
    record_audit(org, request.user, "stage.delete", stage.key, {"name_fi": stage.name_fi})
    stage.delete()
    messages.success(request, _("Stage deleted."))
    return redirect("journey_edit")


@require_POST
@member_required(Role.MANAGER)
def stage_move(request, pk):
    org = request.organisation
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("direction: must be “up” or “down”."))
        return redirect("journey_edit")
    with transaction.atomic():
        stages = list(Stage.objects.select_for_update().filter(organisation=org))
        index = next((i for i, s in enumerate(stages) if s.pk == pk), None)
        if index is None:
            raise Http404
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(stages):
            stages[index], stages[other] = stages[other], stages[index]
            for position, stage in enumerate(stages):
                if stage.position != position:
                    stage.position = position
                    stage.save(update_fields=["position"])
            record_audit(org, request.user, "stage.move", stages[other].key, {"to": other})
    return redirect("journey_edit")


# ---------------------------------------------------------------------------- touchpoints


@member_required(Role.MANAGER)
def touchpoint_create(request):
    org = request.organisation
    initial = {}
    wanted = _int(request.GET.get("stage"))
    if wanted is not None:
        initial["stage"] = Stage.objects.filter(organisation=org, pk=wanted).first()
    form = TouchpointForm(request.POST or None, organisation=org, initial=initial)
    if request.method == "POST" and form.is_valid():
        stage = form.cleaned_data["stage"]
        last = stage.touchpoints.aggregate(p=Max("position"))["p"]
        form.instance.position = 0 if last is None else last + 1
        touchpoint = form.save()
        record_audit(org, request.user, "touchpoint.create", touchpoint.key, _detail(touchpoint))
        messages.success(request, _("Touchpoint added."))
        return redirect("journey_edit")
    return _render_form(request, "journeys/touchpoint_form.html", form, touchpoint=None)


@member_required(Role.MANAGER)
def touchpoint_update(request, pk):
    org = request.organisation
    touchpoint = get_object_or_404(Touchpoint, pk=pk, organisation=org)
    form = TouchpointForm(request.POST or None, instance=touchpoint, organisation=org)
    if request.method == "POST" and form.is_valid():
        if "stage" in form.changed_data:
            last = form.cleaned_data["stage"].touchpoints.aggregate(p=Max("position"))["p"]
            form.instance.position = 0 if last is None else last + 1
        form.save()
        detail = {"fields": form.changed_data, **_detail(touchpoint)}
        record_audit(org, request.user, "touchpoint.update", touchpoint.key, detail)
        messages.success(request, _("Touchpoint saved."))
        return redirect("journey_edit")
    return _render_form(request, "journeys/touchpoint_form.html", form, touchpoint=touchpoint)


@require_POST
@member_required(Role.MANAGER)
def touchpoint_delete(request, pk):
    org = request.organisation
    touchpoint = get_object_or_404(Touchpoint, pk=pk, organisation=org)
    if touchpoint.surveys.exists() or touchpoint.responses.exists():
        messages.error(
            request,
            _(
                "Touchpoint “%(name)s” has surveys or responses and cannot be deleted. "
                "Move its surveys to another touchpoint first."
            )
            % {"name": touchpoint.name},
        )
        return redirect("journey_edit")
    record_audit(org, request.user, "touchpoint.delete", touchpoint.key, _detail(touchpoint))
    touchpoint.delete()
    messages.success(request, _("Touchpoint deleted."))
    return redirect("journey_edit")


def _detail(touchpoint: Touchpoint) -> dict:
    return {
        "name": touchpoint.name,
        "stage": touchpoint.stage.key,
        "owner": touchpoint.owner.get_username() if touchpoint.owner else None,
    }


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
