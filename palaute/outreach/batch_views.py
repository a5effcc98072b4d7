"""Progress pages of background batches: a send to a segment, a CSV of events. Every member
may look; queries are scoped to ``request.organisation``.

The page of a running batch refreshes its progress part every 2 seconds with htmx (the part
stops asking once the batch is finished); without JavaScript the whole page refreshes itself
(a ``<noscript>`` refresh) and has a Refresh link."""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render

from palaute.accounts.models import Role
from palaute.accounts.permissions import member_required
from palaute.outreach.event_imports import refused_rows
from palaute.outreach.models import EventImport, SendBatch


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


@member_required(Role.VIEWER)
def send_batch(request, key: str, pk: int):
    batch = get_object_or_404(
        SendBatch.objects.select_related("survey", "created_by"),
        organisation=request.organisation,
        survey__key=key,
        pk=pk,
    )
    context = {"nav": "surveys", "batch": batch, "survey": batch.survey}
    if _htmx(request):
        return render(request, "outreach/batches/_send.html", context)
    return render(request, "outreach/batches/send.html", context)


@member_required(Role.VIEWER)
def event_import(request, pk: int):
    batch = get_object_or_404(
        EventImport.objects.select_related("created_by"), organisation=request.organisation, pk=pk
    )
    context = {
        "nav": "contacts",
        "section": "events",
        "batch": batch,
        "refused": refused_rows(batch),
        "can_edit": request.membership.has_role(Role.MANAGER),
    }
    if _htmx(request):
        return render(request, "outreach/batches/_import.html", context)
    return render(request, "outreach/batches/import.html", context)
