"""Back-office pages for interview and conversation notes: list, record, read.

Agents and up record notes; every member may read them. Everything is looked up in
``request.organisation``: another organisation's note or touchpoint is a 404 or "not a valid
choice". Times are read and shown in the organisation's time zone.
"""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.channels import interviews
from palaute.channels.interview_forms import NoteFilterForm, NoteForm, new_idempotency_key
from palaute.surveys.submission import AnswersInvalid

PAGE_SIZE = 25


def _org_time_zone(request):
    return timezone.override(zoneinfo.ZoneInfo(request.organisation.time_zone))


@member_required(Role.VIEWER)
def note_list(request):
    org = request.organisation
    with _org_time_zone(request):
        filters = NoteFilterForm(request.GET or None, organisation=org)
        touchpoint, period = None, "all"
        if filters.is_valid():
            touchpoint = filters.cleaned_data["tp"]
            period = filters.cleaned_data["period"] or "all"
        notes = interviews.filtered(
            interviews.notes_for(org).prefetch_related("answers"),
            touchpoint=touchpoint,
            since=interviews.period_start(org, period),
        )
        page = Paginator(notes, PAGE_SIZE).get_page(request.GET.get("page"))
        query = {"tp": touchpoint.key if touchpoint else "", "period": period}
        context = {
            "nav": "notes",
            "filters": filters,
            "page": page,
            "rows": [_row(note) for note in page.object_list],
            "filter_query": urlencode({k: v for k, v in query.items() if v}),
            "can_record": request.membership.has_role(Role.AGENT),
        }
        return render(request, "channels/interview_list.html", context)


def _row(note) -> dict:
    answers = interviews.note_answers(note)
    return {
        "note": note,
        "text": "\n".join(a.text for a in answers if a.kind == "text" and a.text),
        "scores": [
            {"label": interviews.score_label(a.kind), "score": a.score}
            for a in answers
            if a.score is not None and a.kind in interviews.SCORE_KEYS
        ],
    }


@member_required(Role.AGENT)
def note_create(request):
    org = request.organisation
    with _org_time_zone(request):
        if request.method == "POST":
            form = NoteForm(request.POST, organisation=org)
            if form.is_valid():
                saved = _save(request, form)
                if saved is not None:
                    return saved
        else:
            form = NoteForm(initial=_initial(request), organisation=org)
        return render(request, "channels/interview_form.html", {"nav": "notes", "form": form})


def _initial(request) -> dict:
    org = request.organisation
    language = org.default_language if org.default_language in interviews.NOTE_LANGUAGES else "fi"
    initial = {
        "when": timezone.localtime().replace(second=0, microsecond=0),
        "interviewer": request.user.pk,
        "language": language,
        "idem": new_idempotency_key(),
    }
    # The touchpoint named in ?tp= (a link from a touchpoint), or the only one there is.
    tp = request.GET.get("tp")
    candidates = org.touchpoints.filter(key=tp) if tp else org.touchpoints.all()
    found = list(candidates.values_list("pk", flat=True)[:2])
    if len(found) == 1:
        initial["touchpoint"] = found[0]
    return initial


def _save(request, form: NoteForm):
    """Record the note; on success a redirect, on answer errors None (errors put on the form)."""
    data = form.cleaned_data
    note = interviews.Note(
        touchpoint=data["touchpoint"],
        interviewer=data["interviewer"],
        when=data["when"],
        notes=data["notes"],
        language=data["language"],
        nps=data["nps"],
        csat=data["csat"],
        ces=data["ces"],
        name=data["name"],
        company=data["company"],
        email=data["email"],
        phone=data["phone"],
    )
    org = request.organisation
    try:
        response, created = interviews.record_note(org, note, idempotency_key=data["idem"])
    except AnswersInvalid as exc:
        for key, message in exc.errors.items():
            form.add_error(key if key in form.fields else None, message)
        return None
    if created:
        record_audit(
            org, request.user, "note.create", response.pk, {"touchpoint": note.touchpoint.key}
        )
        messages.success(request, _("Note saved."))
    else:
        messages.info(request, _("This note was already saved."))
    return redirect("note_detail", pk=response.pk)


@member_required(Role.VIEWER)
def note_detail(request, pk: int):
    note = get_object_or_404(interviews.notes_for(request.organisation), pk=pk)
    answers = interviews.note_answers(note)
    with _org_time_zone(request):
        context = {
            "nav": "notes",
            "note": note,
            "texts": [a for a in answers if a.kind == "text" and a.text],
            "scores": [a for a in answers if a.score is not None],
        }
        return render(request, "channels/interview_detail.html", context)
