"""Case pages: the inbox, one case with its actions, the closed-loop settings and each member's
notification preferences. Viewers read; agents and up act on cases; managers and owners edit
rules and targets. Every query is scoped to ``request.organisation``."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palaute.accounts.middleware import SESSION_KEY
from palaute.accounts.models import Membership, Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.loop import casepage, inbox, rules, targets, workflow
from palaute.loop.configuration import settings_for
from palaute.loop.forms import (
    AssignForm,
    LoopSettingsForm,
    NoteForm,
    NotificationPreferenceForm,
    RuleForm,
    SeverityForm,
    StatusForm,
)
from palaute.loop.models import Case, NotificationPreference, Rule

PAGE_SIZE = 50


def _can_act(request) -> bool:
    return request.membership.has_role(Role.AGENT)


def _switch_organisation(request) -> HttpResponseRedirect | None:
    """Links in emails carry ``?org=<slug>``: move a member of several organisations to the
    right one, then show the same page without the parameter."""
    slug = request.GET.get("org", "")
    if not slug:
        return None
    params = request.GET.copy()
    del params["org"]
    target = request.path + (f"?{params.urlencode()}" if params else "")
    if slug == request.organisation.slug:
        return redirect(target)
    membership = Membership.objects.filter(user=request.user, organisation__slug=slug).first()
    if membership is None:
        return redirect(target)
    request.session[SESSION_KEY] = membership.organisation_id
    return redirect(target)


# --- inbox -------------------------------------------------------------------------------------


@member_required(Role.VIEWER)
def case_list(request):
    switched = _switch_organisation(request)
    if switched is not None:
        return switched
    organisation = request.organisation
    people = list(inbox.members(organisation))
    filters = inbox.parse(request.GET, organisation, {u.pk for u in people})
    now = timezone.now()
    rows = inbox.cases(organisation, filters, user_id=request.user.pk, now=now)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page.object_list:
        case.clock = targets.clock(case, now)
    context = {
        "nav": "cases",
        "page": page,
        "filters": filters,
        "people": people,
        "statuses": Case.Status.choices,
        "severities": rules.Severity.choices,
        "page_query": filters.query(),
        "can_manage": request.membership.has_role(Role.MANAGER),
    }
    # htmx asks for the list alone when a filter changes; restoring history needs the page.
    partial = request.headers.get("HX-Request") and not (
        request.headers.get("HX-Boosted") or request.headers.get("HX-History-Restore-Request")
    )
    template = "loop/partials/case_rows.html" if partial else "loop/case_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- one case ----------------------------------------------------------------------------------


def _case(request, number: int) -> Case:
    return get_object_or_404(
        Case.objects.select_related(
            "organisation", "owner", "touchpoint", "stage", "contact", "account", "rule"
        ),
        organisation=request.organisation,
        number=number,
    )


def _render_case(request, case: Case, *, status: int = 200, **forms):
    organisation = request.organisation
    can_act = _can_act(request)
    now = timezone.now()
    events = casepage.events_of(case)
    context = {
        "nav": "cases",
        "case": case,
        "organisation": organisation,
        "membership": request.membership,
        "can_act": can_act,
        "clock": targets.clock(case, now),
        "feedback": casepage.feedback(case, events),
        "history": casepage.history(events),
        # Public reviews linked to the case (the reviews app sets Review.case): replied to there.
        "reviews": list(case.reviews.filter(organisation=organisation).only("pk")),
    }
    if can_act:
        context.update(
            status_form=forms.get("status_form")
            or StatusForm(initial={"status": case.status, "reason": case.close_reason}),
            assign_form=forms.get("assign_form")
            or AssignForm(initial={"owner": case.owner_id or ""}, organisation=organisation),
            severity_form=forms.get("severity_form")
            or SeverityForm(initial={"severity": case.severity}),
            note_form=forms.get("note_form") or NoteForm(),
        )
    return render(request, "loop/case_detail.html", context, status=status)


@member_required(Role.VIEWER)
def case_detail(request, number: int):
    switched = _switch_organisation(request)
    if switched is not None:
        return switched
    return _render_case(request, _case(request, number))


def _done(request, case: Case, changed: bool, message: str):
    if changed:
        messages.success(request, message)
    return redirect("case_detail", number=case.number)


def _failed(request, case: Case, form_name: str, form, error: workflow.CaseError | None = None):
    if error is not None:
        for field, reason in error.errors.items():
            form.add_error(field if field in form.fields else None, reason)
    case.refresh_from_db()
    return _render_case(request, case, status=422, **{form_name: form})


@require_POST
@member_required(Role.AGENT)
def case_status(request, number: int):
    case = _case(request, number)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _failed(request, case, "status_form", form)
    try:
        with transaction.atomic():
            changed = workflow.set_status(
                case,
                form.cleaned_data["status"],
                actor=request.user,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
    except workflow.CaseError as error:
        return _failed(request, case, "status_form", form, error)
    return _done(request, case, changed, _("Status changed."))


@require_POST
@member_required(Role.AGENT)
def case_assign(request, number: int):
    case = _case(request, number)
    form = AssignForm(request.POST, organisation=request.organisation)
    if not form.is_valid():
        return _failed(request, case, "assign_form", form)
    try:
        with transaction.atomic():
            changed = workflow.assign(case, form.owner_id(), actor=request.user)
    except workflow.CaseError as error:
        return _failed(request, case, "assign_form", form, error)
    return _done(request, case, changed, _("Owner changed."))


@require_POST
@member_required(Role.AGENT)
def case_severity(request, number: int):
    case = _case(request, number)
    form = SeverityForm(request.POST)
    if not form.is_valid():
        return _failed(request, case, "severity_form", form)
    with transaction.atomic():
        changed = workflow.change_severity(case, form.cleaned_data["severity"], actor=request.user)
    return _done(request, case, changed, _("Severity changed; the due time follows it."))


@require_POST
@member_required(Role.AGENT)
def case_note(request, number: int):
    case = _case(request, number)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _failed(request, case, "note_form", form)
    try:
        with transaction.atomic():
            note = workflow.add_note(
                case, form.cleaned_data["text"], actor=request.user, key=form.cleaned_data["key"]
            )
    except workflow.CaseError as error:
        return _failed(request, case, "note_form", form, error)
    return _done(request, case, note is not None, _("Note added."))


# --- settings ----------------------------------------------------------------------------------


def _settings_page(request, *, settings_form=None, rule_forms=None, new_rule_form=None, status=200):
    organisation = request.organisation
    loop_settings = settings_for(organisation)
    existing = Rule.objects.filter(organisation=organisation).select_related("survey")
    rule_forms = rule_forms or {}
    context = {
        "nav": "cases",
        "settings_form": settings_form
        or LoopSettingsForm(instance=loop_settings, organisation=organisation),
        "rule_rows": [
            (
                rule,
                rule_forms.get(rule.pk)
                or RuleForm(instance=rule, organisation=organisation, prefix=f"rule-{rule.pk}"),
                rules.SPECS[rule.kind].bounds is not None,
                rules.THRESHOLD_HELP.get(rule.kind, ""),
            )
            for rule in existing
        ],
        "new_rule_form": new_rule_form or RuleForm(organisation=organisation, prefix="new"),
    }
    return render(request, "loop/settings.html", context, status=status)


@member_required(Role.MANAGER)
def case_settings(request):
    organisation = request.organisation
    if request.method != "POST":
        return _settings_page(request)
    form = LoopSettingsForm(
        request.POST, instance=settings_for(organisation), organisation=organisation
    )
    if not form.is_valid():
        return _settings_page(request, settings_form=form, status=422)
    with transaction.atomic():
        form.save()
        record_audit(
            organisation,
            request.user,
            "loop.settings",
            "closed-loop settings",
            {name: str(form.cleaned_data[name]) for name in form.changed_data},
        )
    messages.success(request, _("Targets and owners saved."))
    return redirect("case_settings")


@require_POST
@member_required(Role.MANAGER)
def case_rule_create(request):
    organisation = request.organisation
    settings_for(organisation)
    form = RuleForm(request.POST, organisation=organisation, prefix="new")
    if not form.is_valid():
        return _settings_page(request, new_rule_form=form, status=422)
    with transaction.atomic():
        rule = form.save(commit=False)
        rule.position = Rule.objects.filter(organisation=organisation).count()
        rule.save()
        record_audit(organisation, request.user, "loop.rule.create", f"rule {rule.pk}", _rule(rule))
    rules.forget(organisation.pk)
    messages.success(request, _("Rule added."))
    return redirect("case_settings")


@require_POST
@member_required(Role.MANAGER)
def case_rule_update(request, pk: int):
    organisation = request.organisation
    rule = get_object_or_404(Rule, organisation=organisation, pk=pk)
    form = RuleForm(request.POST, instance=rule, organisation=organisation, prefix=f"rule-{pk}")
    if not form.is_valid():
        return _settings_page(request, rule_forms={pk: form}, status=422)
    with transaction.atomic():
        rule = form.save()
        record_audit(organisation, request.user, "loop.rule.update", f"rule {rule.pk}", _rule(rule))
    rules.forget(organisation.pk)
    messages.success(request, _("Rule saved."))
    return redirect("case_settings")


@require_POST
@member_required(Role.MANAGER)
def case_rule_delete(request, pk: int):
    organisation = request.organisation
    rule = get_object_or_404(Rule, organisation=organisation, pk=pk)
    with transaction.atomic():
        record_audit(organisation, request.user, "loop.rule.delete", f"rule {rule.pk}", _rule(rule))
        rule.delete()
    rules.forget(organisation.pk)
    messages.success(request, _("Rule removed. Cases it opened stay."))
    return redirect("case_settings")


def _rule(rule: Rule) -> dict:
    return {
        "kind": rule.kind,
        "threshold": rule.threshold,
        "severity": rule.severity,
        "survey": rule.survey_id,
        "theme": rule.theme_key,
        "active": rule.is_active,
    }


@member_required(Role.VIEWER)
def case_notifications(request):
    organisation = request.organisation
    pref = NotificationPreference.objects.filter(
        organisation=organisation, user=request.user
    ).first() or NotificationPreference(organisation=organisation, user=request.user)
    form = NotificationPreferenceForm(request.POST or None, instance=pref)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, _("Your notification settings are saved."))
            return redirect("case_notifications")
        status = 422
    else:
        status = 200
    context = {"nav": "cases", "form": form, "time_zone": organisation.time_zone}
    return render(request, "loop/notifications.html", context, status=status)
