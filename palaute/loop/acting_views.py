"""Views of the acting part of a case: replying to the customer, the thread, the recovery
survey, and the measures page. Thin: parse, authorise (agents and up act, every member reads),
call replies/recovery/measures, render. Every case is looked up in ``request.organisation``,
so another organisation's case number is a 404.

Each POST works without JavaScript (a redirect back to the case page, or a page with the
form's errors) and with htmx (the panel itself comes back)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from palaute.accounts.models import Role
from palaute.accounts.permissions import member_required
from palaute.loop import measures, recovery, replies
from palaute.loop.acting_forms import MeasuresFilter, ReplyForm
from palaute.loop.configuration import settings_for
from palaute.loop.models import Case, CaseMessage
from palaute.loop.templatetags.loop_acting import recovery_for, thread_for
from palaute.text import tone

# In a private reply the customer's own details are expected; the other categories apply.
PRIVATE_TONE_CATEGORIES = ("blame", "belittle", "argue", "overpromise")


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _case(request, number: int) -> Case:
    return get_object_or_404(
        Case.objects.select_related(
            "organisation", "owner", "contact", "recovery_invitation", "touchpoint"
        ),
        organisation=request.organisation,
        number=number,
    )


def _case_page(case: Case, anchor: str) -> str:
    return reverse("case_detail", kwargs={"number": case.number}) + f"#{anchor}"


def _thread_response(request, case: Case, form: ReplyForm | None = None, status: int = 200):
    context = {
        "case": case,
        "organisation": request.organisation,
        "membership": request.membership,
        "can_act": True,
        "thread": thread_for(case, True, form),
    }
    if _htmx(request):
        return render(request, "loop/partials/thread.html", context, status=status)
    # Without JavaScript the errors come on a page of their own, the form kept as typed.
    context["nav"] = "cases"
    return render(request, "loop/reply_page.html", context, status=status)


# ------------------------------------------------------------------------ replies


@require_POST
@member_required(Role.AGENT)
def case_reply(request, number: int):
    case = _case(request, number)
    form = ReplyForm(request.POST, case=case, author=request.user)
    if not form.is_valid():
        return _thread_response(request, case, form, status=422)
    was_new = case.status == Case.Status.NEW
    try:
        replies.send_reply(
            case,
            author=request.user,
            body=form.cleaned_data["body"],
            channel=form.cleaned_data["channel"],
            subject=form.cleaned_data["subject"],
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
    except replies.ReplyInvalid as invalid:
        form.add_reply_errors(invalid.errors)
        return _thread_response(request, case, form, status=422)
    case.refresh_from_db()
    if _htmx(request):
        response = _thread_response(request, case)
        if was_new and case.status != Case.Status.NEW:
            # The status, clock and history above the thread changed too.
            response["HX-Refresh"] = "true"
        return response
    messages.success(request, _("Reply queued; it goes out in a moment."))
    return redirect(_case_page(case, "case-thread"))


@require_POST
@member_required(Role.AGENT)
def case_message_resend(request, number: int, pk: int):
    case = _case(request, number)
    message = get_object_or_404(CaseMessage, case=case, pk=pk)
    try:
        replies.resend(message, author=request.user)
    except replies.ReplyInvalid as invalid:
        error = " ".join(invalid.errors.values())
        if _htmx(request):
            form = ReplyForm(case=case)
            form.add_error(None, error)
            return _thread_response(request, case, form, status=422)
        messages.error(request, error)
        return redirect(_case_page(case, "case-thread"))
    case.refresh_from_db()
    if _htmx(request):
        return _thread_response(request, case)
    messages.success(request, _("The message is being sent again."))
    return redirect(_case_page(case, "case-thread"))


@require_GET
@member_required(Role.VIEWER)
def case_thread(request, number: int):
    """The message list alone: the thread polls it while a message is on its way."""
    case = _case(request, number)
    can_act = request.membership.has_role(Role.AGENT)
    context = {"case": case, "thread": thread_for(case, can_act)}
    return render(request, "loop/partials/thread_messages.html", context)


@require_POST
@member_required(Role.AGENT)
def case_reply_tone(request, number: int):
    """The tone guard as the reply is written (htmx): flagged words marked, and why."""
    case = _case(request, number)
    body = request.POST.get("reply-body", "")[: replies.MAX_BODY]
    flags = [
        flag
        for flag in (tone.check_reply(body) if body.strip() else [])
        if flag.category in PRIVATE_TONE_CATEGORIES
    ]
    context = {
        "case": case,
        "body": body,
        "flags": flags,
        "highlighted": tone.highlight(body, flags),
    }
    return render(request, "loop/partials/reply_tone.html", context)


# ------------------------------------------------------------------------ recovery


@require_POST
@member_required(Role.AGENT)
def case_recovery_send(request, number: int):
    case = _case(request, number)
    error = ""
    try:
        recovery.send_recovery(case, actor=request.user)
    except recovery.RecoveryUnavailable as unavailable:
        error = " ".join(unavailable.errors.values())
    case = _case(request, number)
    if _htmx(request):
        context = {
            "case": case,
            "can_act": True,
            "recovery": recovery_for(case, True, error),
        }
        return render(request, "loop/partials/recovery.html", context, status=422 if error else 200)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("The customer is asked: did we fix it?"))
    return redirect(_case_page(case, "case-recovery"))


# ------------------------------------------------------------------------ measures


@require_GET
@member_required(Role.VIEWER)
def case_measures(request):
    organisation = request.organisation
    filters = MeasuresFilter.from_query(request.GET)
    days, group_by, period_key, by_key = filters.values()
    since, until = measures.period_bounds(organisation, days)
    [total] = measures.case_measures(organisation, since=since, until=until, group_by=None)
    rows = (
        measures.case_measures(organisation, since=since, until=until, group_by=group_by)
        if group_by
        else []
    )
    context = {
        "nav": "cases",
        "filters": filters,
        "period_key": period_key,
        "by_key": by_key,
        "group_label": MeasuresFilter.GROUPS[by_key],
        "total": total,
        "rows": rows,
        "settings": settings_for(organisation),
    }
    return render(request, "loop/measures.html", context)
