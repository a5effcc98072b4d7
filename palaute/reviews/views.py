"""Review pages: the inbox, one review with its history and the reply form (with the tone
guard beside it), and the trends.

Thin views: parse, authorise, call ``inbox``, ``replies``, ``trends`` or the tone guard, and
render. Every query is scoped to ``request.organisation``; another organisation's review is a
404. Reading needs viewer, replying agent.
"""

from __future__ import annotations

import secrets
import zoneinfo
from datetime import date

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.insights import charts
from palaute.journeys.models import Location
from palaute.reviews import inbox, replies, trends
from palaute.reviews.forms import ElsewhereForm, ReplyForm
from palaute.reviews.models import Review, ReviewReply, ReviewSource, SourceKind
from palaute.text import tone
from palaute.text.names import theme_names

PAGE_SIZE = 50
PERIODS = {3: "3", 6: "6", 12: "12", 24: "24"}


def _can_reply(request) -> bool:
    return request.membership.has_role(Role.AGENT)


def _review(request, pk: int) -> Review:
    return get_object_or_404(
        Review.objects.select_related("source", "touchpoint", "location", "case"),
        organisation=request.organisation,
        pk=pk,
    )


# --- the inbox ------------------------------------------------------------------------------


@member_required()
def review_list(request):
    organisation = request.organisation
    names = theme_names(organisation.id)
    filters = inbox.parse(request.GET, organisation, set(names))
    page = Paginator(inbox.filtered(organisation, filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    sources = ReviewSource.objects.filter(organisation=organisation)
    return render(
        request,
        "reviews/list.html",
        {
            "nav": "reviews",
            "filters": filters,
            "page": page,
            "sources": sources,
            "failing": [s for s in sources if s.last_error],
            "locations": Location.objects.filter(organisation=organisation),
            "theme_choices": sorted(names.items(), key=lambda pair: pair[1].lower()),
            "theme_names": names,
            "unanswered": Review.objects.filter(
                organisation=organisation, replied_at__isnull=True
            ).count(),
            "no_location": inbox.NO_LOCATION,
        },
    )


# --- one review -----------------------------------------------------------------------------


@member_required()
def review_detail(request, pk: int):
    review = _review(request, pk)
    return render(request, "reviews/detail.html", _detail_context(request, review))


def _detail_context(request, review: Review, reply_form=None, elsewhere_form=None) -> dict:
    key = secrets.token_hex(16)
    names = theme_names(request.organisation.id)
    body = reply_form.data.get("body", "") if reply_form is not None else ""
    flags = tone.check_reply(body, author_name=review.author_name) if body else []
    return {
        "nav": "reviews",
        "review": review,
        "revisions": review.revisions.all(),
        "themes": [(t, names.get(t.theme_key, t.theme_key)) for t in review.themes.all()],
        "replies": review.replies.select_related("author"),
        "can_reply": _can_reply(request),
        "connector": review.source.is_connector,
        "reply_form": reply_form or ReplyForm(initial={"key": key}),
        "elsewhere_form": elsewhere_form or ElsewhereForm(initial={"key": key}, prefix="elsewhere"),
        "body": body,
        "flags": flags,
        "highlighted": tone.highlight(body, flags) if flags else "",
    }


@require_POST
@member_required(Role.AGENT)
def review_reply(request, pk: int):
    """Queue a reply for posting. The tone guard's warnings are shown, and kept with the
    reply, but never stop it: the person replying decides."""
    review = _review(request, pk)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return render(
            request, "reviews/detail.html", _detail_context(request, review, reply_form=form)
        )
    body = form.cleaned_data["body"]
    flags = tone.check_reply(body, author_name=review.author_name)
    try:
        reply = replies.queue_reply(
            review,
            author=request.user,
            body=body,
            idempotency_key=form.cleaned_data["key"],
            tone_flags=[{"category": f.category, "text": f.text} for f in flags],
        )
    except replies.ReplyInvalid as error:
        form.add_error("body", str(error))
        return render(
            request, "reviews/detail.html", _detail_context(request, review, reply_form=form)
        )
    record_audit(
        request.organisation,
        request.user,
        "review.reply",
        review,
        {"reply": reply.pk, "tone_flags": sorted({f.category for f in flags})},
    )
    messages.success(
        request,
        _("The reply is on its way to %(source)s.") % {"source": review.source.get_kind_display()},
    )
    return redirect("review_detail", pk=review.pk)


@require_POST
@member_required(Role.AGENT)
def review_tone(request, pk: int):
    """The tone guard as you type (htmx): the reply with flagged words marked, and why."""
    review = _review(request, pk)
    body = request.POST.get("body", "")[: replies.MAX_LENGTH]
    flags = tone.check_reply(body, author_name=review.author_name) if body.strip() else []
    return render(
        request,
        "reviews/_tone.html",
        {
            "review": review,
            "body": body,
            "flags": flags,
            "highlighted": tone.highlight(body, flags),
        },
    )


@require_POST
@member_required(Role.AGENT)
def review_replied_elsewhere(request, pk: int):
    review = _review(request, pk)
    form = ElsewhereForm(request.POST, prefix="elsewhere")
    if not form.is_valid():
        return render(
            request, "reviews/detail.html", _detail_context(request, review, elsewhere_form=form)
        )
    at = form.cleaned_data["replied_on"] or timezone.now()
    if timezone.is_naive(at):
        at = timezone.make_aware(at, zoneinfo.ZoneInfo(request.organisation.time_zone))
    if at < review.reviewed_at or at > timezone.now():
        form.add_error("replied_on", _("Between the review's time and now."))
        return render(
            request, "reviews/detail.html", _detail_context(request, review, elsewhere_form=form)
        )
    replies.mark_replied_elsewhere(
        review,
        author=request.user,
        idempotency_key=form.cleaned_data["key"],
        body=form.cleaned_data["body"],
        at=at,
    )
    messages.success(request, _("Marked as replied."))
    return redirect("review_detail", pk=review.pk)


@require_POST
@member_required(Role.AGENT)
def reply_retry(request, pk: int):
    reply = get_object_or_404(ReviewReply, organisation=request.organisation, pk=pk)
    if replies.requeue(reply):
        messages.success(request, _("The reply will be posted again."))
    return redirect("review_detail", pk=reply.review_id)


# --- trends ---------------------------------------------------------------------------------


def _months_back(today: date, months: int) -> date:
    index = today.year * 12 + today.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


@member_required()
def review_trends(request):
    organisation = request.organisation
    months = (
        int(request.GET.get("months", "12"))
        if request.GET.get("months") in {"3", "6", "12", "24"}
        else 12
    )
    kind = request.GET.get("kind", "")
    if kind not in SourceKind.values:
        kind = ""
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(organisation.time_zone)).date()
    start = _months_back(today, months)
    rows = trends.location_trends(organisation, start, today, kind)
    for row in rows:
        row.chart = charts.trend_svg(row.months, "stars", (1, 5), "month") if row.months else ""
    names = theme_names(organisation.id)
    themes = [
        {**t, "name": names.get(t["theme_key"], t["theme_key"])}
        for t in trends.theme_counts(organisation, start, today, kind)
    ]
    return render(
        request,
        "reviews/trends.html",
        {
            "nav": "reviews",
            "rows": rows,
            "totals": trends.totals(organisation, start, today, kind),
            "themes": themes,
            "months": months,
            "periods": PERIODS,
            "kind": kind,
            "kinds": SourceKind.choices,
            "start": start,
            "end": today,
        },
    )
