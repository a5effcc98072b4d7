"""Back-office pages for automation: trigger rules, received events (list, CSV upload, the
signed webhook), schedules with their rounds. Every member may look; managers and owners
change things. Every query is scoped to ``request.organisation``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.outreach import conf, events_webhook, schedules
from palaute.outreach.automation_forms import EventImportForm, ScheduleForm, TriggerRuleForm
from palaute.outreach.event_imports import start_import
from palaute.outreach.events_csv import MAX_ROWS
from palaute.outreach.messages import PLACEHOLDERS as MESSAGE_PLACEHOLDERS
from palaute.outreach.models import Event, EventImport, Schedule, TriggerRule
from palaute.outreach.senders import outreach_settings
from palaute.outreach.triggers import SUGGESTED_EVENTS

PAGE_SIZE = 50
RECENT_IMPORTS = 5


def _can_edit(request) -> bool:
    return request.membership.has_role(Role.MANAGER)


def _context(request, section: str, **extra):
    return {"nav": "contacts", "section": section, "can_edit": _can_edit(request), **extra}


# ------------------------------------------------------------------------ trigger rules


@member_required(Role.VIEWER)
def rule_list(request):
    rules = TriggerRule.objects.filter(organisation=request.organisation).select_related("survey")
    return render(request, "outreach/rules/list.html", _context(request, "rules", rules=rules))


@member_required(Role.MANAGER)
def rule_edit(request, pk: int | None = None):
    org = request.organisation
    rule = get_object_or_404(TriggerRule, organisation=org, pk=pk) if pk else None
    form = TriggerRuleForm(request.POST or None, instance=rule, organisation=org)
    if request.method == "POST" and form.is_valid():
        saved = form.save()
        record_audit(org, request.user, "trigger_rule.save", saved.name, {"id": saved.pk})
        messages.success(request, _("Rule saved."))
        return redirect("rule_list")
    return render(
        request,
        "outreach/rules/form.html",
        _context(
            request,
            "rules",
            form=form,
            rule=rule,
            suggested=SUGGESTED_EVENTS,
            placeholders=MESSAGE_PLACEHOLDERS,
        ),
    )


@require_POST
@member_required(Role.MANAGER)
def rule_delete(request, pk: int):
    rule = get_object_or_404(TriggerRule, organisation=request.organisation, pk=pk)
    rule.delete()
    record_audit(request.organisation, request.user, "trigger_rule.delete", rule.name)
    messages.success(request, _("Rule deleted."))
    return redirect("rule_list")


# ------------------------------------------------------------------------------- events


@member_required(Role.VIEWER)
def event_list(request):
    org = request.organisation
    events = (
        Event.objects.filter(organisation=org)
        .select_related("contact")
        .annotate(invitation_count=Count("invitations", distinct=True))
        .annotate(message_count=Count("messages", distinct=True))
    )
    name = request.GET.get("name", "").strip()
    if name:
        events = events.filter(name=name)
    page = Paginator(events.order_by("-received_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "outreach/events/list.html",
        _context(request, "events", page=page, name=name, webhook=_webhook_info(org)),
    )


@member_required(Role.VIEWER)
def event_detail(request, pk: int):
    event = get_object_or_404(
        Event.objects.select_related("contact", "account", "touchpoint"),
        organisation=request.organisation,
        pk=pk,
    )
    return render(
        request,
        "outreach/events/detail.html",
        _context(
            request,
            "events",
            event=event,
            invitations=event.invitations.select_related("survey").order_by("pk"),
            journey_messages=event.messages.order_by("pk"),
        ),
    )


@member_required(Role.MANAGER)
def event_import(request):
    """Upload a CSV of events: checked whole here, recorded by a job (event_imports.py)."""
    org = request.organisation
    form = EventImportForm(request.POST or None, request.FILES or None)
    errors = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        outcome = start_import(
            org,
            upload.read(),
            file_name=upload.name,
            default_event=form.cleaned_data["event"],
            key=form.cleaned_data["batch"],
            user=request.user,
        )
        if outcome.batch is not None:
            if outcome.created:
                messages.success(
                    request,
                    ngettext(
                        "The file is fine: %(rows)d event is being recorded.",
                        "The file is fine: %(rows)d events are being recorded.",
                        outcome.batch.planned,
                    )
                    % {"rows": outcome.batch.planned},
                )
            return redirect("event_import_detail", pk=outcome.batch.pk)
        errors = outcome.errors
    if not form.is_bound or errors is not None:
        # A new key for the next upload; a double click of this one sends the same key.
        form = EventImportForm(
            initial={"batch": uuid.uuid4().hex, "event": form.data.get("event", "")}
        )
    return render(
        request,
        "outreach/events/import.html",
        _context(
            request,
            "events",
            form=form,
            errors=errors,
            max_rows=MAX_ROWS,
            imports=EventImport.objects.filter(organisation=org).select_related("created_by")[
                :RECENT_IMPORTS
            ],
        ),
    )


def _webhook_info(org) -> dict:
    current = outreach_settings(org)
    return {
        "enabled": bool(current.events_webhook_key),
        "rotated_at": current.events_webhook_rotated_at,
        "url": f"{conf.site_url()}/hooks/events/{org.slug}",
    }


@member_required(Role.VIEWER)
def event_webhook_settings(request):
    """The webhook's URL and state; managers create or rotate its secret (shown once)."""
    org = request.organisation
    secret = None
    if request.method == "POST":
        if not _can_edit(request):
            raise Http404
        if request.POST.get("action") == "disable":
            events_webhook.disable(org, request.user)
            messages.success(request, _("The event webhook is off."))
            return redirect("event_webhook_settings")
        secret = events_webhook.rotate(org, request.user)
    return render(
        request,
        "outreach/events/webhook.html",
        _context(request, "events", webhook=_webhook_info(org), secret=secret),
    )


# ---------------------------------------------------------------------------- schedules


@member_required(Role.VIEWER)
def schedule_list(request):
    rows = (
        Schedule.objects.filter(organisation=request.organisation)
        .select_related("survey", "segment")
        .annotate(round_count=Count("rounds"))
    )
    return render(
        request, "outreach/schedules/list.html", _context(request, "schedules", schedules=rows)
    )


@member_required(Role.MANAGER)
def schedule_edit(request, pk: int | None = None):
    org = request.organisation
    schedule = get_object_or_404(Schedule, organisation=org, pk=pk) if pk else None
    form = ScheduleForm(request.POST or None, instance=schedule, organisation=org)
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        schedules.plan(saved, timezone.now())
        saved.save()
        record_audit(org, request.user, "schedule.save", saved.name, {"id": saved.pk})
        messages.success(request, _("Schedule saved."))
        return redirect("schedule_detail", pk=saved.pk)
    return render(
        request,
        "outreach/schedules/form.html",
        _context(request, "schedules", form=form, schedule=schedule),
    )


@member_required(Role.VIEWER)
def schedule_detail(request, pk: int):
    schedule = get_object_or_404(
        Schedule.objects.select_related("survey", "segment"),
        organisation=request.organisation,
        pk=pk,
    )
    return render(
        request,
        "outreach/schedules/detail.html",
        _context(
            request,
            "schedules",
            schedule=schedule,
            rounds=schedule.rounds.select_related("created_by")[:100],
            audience_size=schedules.audience(schedule).count(),
            batch=uuid.uuid4().hex,
        ),
    )


@require_POST
@member_required(Role.MANAGER)
def schedule_round(request, pk: int):
    """Start a round now (a panel round, or an extra one); the form's batch id makes a double
    submit one round."""
    schedule = get_object_or_404(
        Schedule.objects.select_related("survey__organisation", "segment"),
        organisation=request.organisation,
        pk=pk,
    )
    batch = request.POST.get("batch", "")
    if len(batch) != 32 or not all(c in "0123456789abcdef" for c in batch):
        raise Http404
    result = schedules.start_round(
        schedule, period=f"manual:{batch}", due_at=timezone.now(), user=request.user
    )
    if result.created:
        record_audit(
            request.organisation,
            request.user,
            "schedule.round",
            schedule.name,
            {"round": result.round.number, "invited": result.round.invited},
        )
        messages.success(
            request,
            _("Round %(n)d started: %(invited)d invitations, %(skipped)d skipped.")
            % {
                "n": result.round.number,
                "invited": result.round.invited,
                "skipped": result.round.skipped,
            },
        )
    return redirect("schedule_detail", pk=schedule.pk)


@require_POST
@member_required(Role.MANAGER)
def schedule_delete(request, pk: int):
    schedule = get_object_or_404(Schedule, organisation=request.organisation, pk=pk)
    schedule.delete()
    record_audit(request.organisation, request.user, "schedule.delete", schedule.name)
    messages.success(request, _("Schedule deleted."))
    return redirect("schedule_list")
