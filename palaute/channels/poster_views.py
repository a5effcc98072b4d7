"""Back-office pages for a touchpoint's QR code: the printable poster and the code as SVG/PNG.

Every member may look (viewer and up). The touchpoint is looked up in
``request.organisation``, so another organisation's touchpoint is a 404; so is a ``?survey=``
key that names no active survey of the organisation.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from palaute.accounts.models import Role
from palaute.accounts.permissions import member_required
from palaute.channels import posters
from palaute.journeys.models import Touchpoint


def _touchpoint(request, key: str) -> Touchpoint:
    return get_object_or_404(
        Touchpoint.objects.select_related("organisation", "stage"),
        organisation=request.organisation,
        key=key,
    )


def _survey(request, touchpoint: Touchpoint):
    try:
        return posters.choose_survey(touchpoint, request.GET.get("survey"))
    except LookupError:
        raise Http404("survey: no active survey with this key") from None


@member_required(Role.VIEWER)
def poster(request, key: str):
    touchpoint = _touchpoint(request, key)
    try:
        size = posters.parse_size(request.GET.get("size"))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    survey = _survey(request, touchpoint)
    poster = posters.build_poster(touchpoint, survey) if survey is not None else None
    own = posters.touchpoint_surveys(touchpoint)
    context = {
        "nav": "journey",
        "touchpoint": touchpoint,
        "size": size,
        "sizes": posters.SIZES,
        "poster": poster,
        # segno escapes the title; the rest of the SVG is generated from our own URL.
        "qr_svg": mark_safe(poster.qr_svg) if poster else "",
        "own_surveys": own,
        "other_surveys": posters.other_surveys(touchpoint) if len(own) <= 1 else [],
        "can_create_survey": request.membership.has_role(Role.MANAGER),
    }
    return render(request, "channels/poster.html", context)


def _qr_download(request, key: str):
    touchpoint = _touchpoint(request, key)
    survey = _survey(request, touchpoint)
    if survey is None:
        raise Http404("survey: this touchpoint has no active survey")
    return touchpoint, survey, posters.survey_link(survey, touchpoint)


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@member_required(Role.VIEWER)
def qr_svg(request, key: str):
    touchpoint, survey, url = _qr_download(request, key)
    body = posters.qr_svg(url, title=posters.short_link(survey))
    response = HttpResponse(body, content_type="image/svg+xml; charset=utf-8")
    return _attachment(response, posters.download_name(touchpoint, survey, "svg"))


@member_required(Role.VIEWER)
def qr_png(request, key: str):
    touchpoint, survey, url = _qr_download(request, key)
    try:
        scale = posters.parse_scale(request.GET.get("scale"))
    except ValueError as exc:
        return HttpResponseBadRequest(str(exc))
    response = HttpResponse(posters.qr_png(url, scale), content_type="image/png")
    return _attachment(response, posters.download_name(touchpoint, survey, "png"))
