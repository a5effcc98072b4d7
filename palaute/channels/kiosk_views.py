"""Kiosk views: the public full-screen page, its service worker and manifest, the tap sync
endpoint, and the back-office page where staff set kiosks up and review flagged taps.

The public views set no cookies and read none: a kiosk is an unattended tablet. The page and
its assets are cached by the service worker, so a reload works offline; taps wait in
IndexedDB and are posted to ``kiosk_taps`` (see ``kiosk.py`` for the rules).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from palaute.accounts.models import Role, record_audit
from palaute.accounts.permissions import member_required
from palaute.channels import kiosk, kiosk_review, mashing
from palaute.channels.collect import CollectError
from palaute.journeys.models import Channel, Touchpoint
from palaute.lib import ratelimit
from palaute.lib.clientip import client_ip
from palaute.surveys.models import Survey
from palaute.surveys.publishing import current_definition

STATIC_DIR = Path(__file__).resolve().parent / "static" / "channels"
ASSETS = ("channels/kiosk.css", "channels/kiosk.js", "channels/kiosk-icon.svg")
LANGUAGE_NAMES = {"fi": "Suomi", "en": "English", "sv": "Svenska"}
# (query parameter, default seconds, lowest, highest): tests pass short timings.
TIMINGS = {
    "reset": (4.0, 0.1, 60.0),  # the thank-you screen, then back to the faces
    "why_timeout": (20.0, 1.0, 300.0),  # the "why?" screen without a keystroke
    "sync": (15.0, 1.0, 600.0),  # how often a waiting queue is retried
}
KIOSK_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'none'"
)


# ------------------------------------------------------------------------ the public page


@require_safe
def kiosk_page(request, public_key: str):
    survey = _survey(public_key)
    try:
        touchpoint = _touchpoint(request, survey)
    except UnknownTouchpoint:
        with translation.override(_notice_language(request)):
            text = _("The link names a touchpoint (tp=%(key)s) this organisation does not have.")
            return _notice(
                request, _("Unknown touchpoint"), text % {"key": request.GET["tp"]}, status=404
            )
    current = current_definition(survey) if survey.is_active else None
    if current is None:
        with translation.override(_notice_language(request)):
            return _notice(request, _("This kiosk is closed"), _closed_text(), status=410)
    definition = current[1]
    lang = _language(request, definition)
    with translation.override(lang):
        try:
            asked = kiosk.kiosk_questions(definition)
        except kiosk.KioskUnsupported as exc:
            return _notice(request, _("This survey cannot run on a kiosk"), str(exc), status=409)
        faces = [
            {"score": face, "label": label}
            for face, label in zip(kiosk.FACES, _face_names(), strict=True)
        ]
        context = {
            "lang": lang,
            "title": definition.text(definition.title, lang),
            "question": definition.text(asked.smiley.text, lang),
            "thank_you": _thank_you(definition, lang),
            "faces": faces,
            "languages": [
                {"code": code, "name": LANGUAGE_NAMES.get(code, code)}
                for code in definition.languages
            ],
            "manifest_url": reverse("kiosk_manifest", args=[survey.public_key]) + _query(request),
            "config": _config(request, survey, definition, asked, touchpoint, lang),
        }
        response = render(request, "channels/kiosk.html", context)
    return _public(response)


@require_safe
def kiosk_manifest(request, public_key: str):
    """A web app manifest so that "Add to home screen" opens the kiosk full screen."""
    survey = _survey(public_key)
    try:
        _touchpoint(request, survey)
    except UnknownTouchpoint:
        raise Http404("unknown touchpoint") from None
    page = reverse("kiosk_page", args=[survey.public_key])
    current = current_definition(survey)
    name = survey.name
    if current is not None:
        definition = current[1]
        name = definition.text(definition.title, _language(request, definition)) or name
    manifest = {
        "name": name,
        "short_name": name[:30],
        "start_url": page + _query(request),
        "scope": page,
        "display": "fullscreen",
        "orientation": "any",
        "background_color": "#111827",
        "theme_color": "#111827",
        "icons": [{"src": static(ASSETS[2]), "sizes": "any", "type": "image/svg+xml"}],
    }
    response = JsonResponse(manifest, content_type="application/manifest+json")
    response["Cache-Control"] = "no-cache"
    return _public(response)


@require_safe
def service_worker(request):
    """The service worker, served under /k/ so that its scope covers every kiosk page."""
    scope = reverse("kiosk_sw").rsplit("/", 1)[0] + "/"
    body = (
        _service_worker_source()
        .replace("__VERSION__", asset_version())
        .replace("__ASSETS__", json.dumps([static(name) for name in ASSETS]))
    )
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = scope
    response["Cache-Control"] = "no-cache"
    return _public(response)


@csrf_exempt  # no cookies are read or set: there is no session to forge requests with
@require_POST
def kiosk_taps(request, public_key: str):
    """``POST /k/<public_key>/taps``: a batch of queued taps; one result per tap."""
    if request.content_type != "application/json":
        return _error(415, {"body": "must be application/json"})
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > kiosk.MAX_BODY_BYTES:
        return _error(413, {"body": f"must be at most {kiosk.MAX_BODY_BYTES // 1024} KB"})
    ip_key = ratelimit.client_key(client_ip(request.META))
    retry = ratelimit.hit(f"kiosk-ip:{ip_key}", settings.RATE_LIMIT_API_IP)
    if retry:
        return _too_many(retry)
    try:
        body = request.body
        if len(body) > kiosk.MAX_BODY_BYTES:
            return _error(413, {"body": f"must be at most {kiosk.MAX_BODY_BYTES // 1024} KB"})
        batch = kiosk.parse_batch(json.loads(body))
    except RequestDataTooBig:
        return _error(413, {"body": f"must be at most {kiosk.MAX_BODY_BYTES // 1024} KB"})
    except (ValueError, UnicodeDecodeError):
        return _error(400, {"body": "must be valid JSON"})
    except kiosk.BatchInvalid as exc:
        return _error(400, exc.errors)
    retry = ratelimit.hit(
        f"kiosk:{public_key}:{batch.device_id}:{ip_key}", settings.RATE_LIMIT_PUBLIC_IP
    )
    if retry:
        return _too_many(retry)
    survey = (
        Survey.objects.select_related("organisation", "current_version")
        .filter(public_key=public_key)
        .first()
    )
    if survey is None:
        return _error(404, {"survey": "no such kiosk"})
    try:
        results = kiosk.sync_taps(survey, batch)
    except kiosk.KioskClosed:
        return _error(410, {"survey": "closed; the taps are kept and sent when it reopens"})
    except kiosk.KioskUnsupported as exc:
        return _error(409, {"survey": str(exc)})
    response = JsonResponse({"results": [result.as_json() for result in results]})
    response["Cache-Control"] = "no-store"
    return response


# ------------------------------------------------------------------------ the back office


@member_required(Role.VIEWER)
def kiosk_admin(request, key: str):
    survey = _staff_survey(request, key)
    current = current_definition(survey)
    problem, asked, skipped = "", None, []
    if current is None:
        problem = _("Publish the survey first.")
    else:
        try:
            asked = kiosk.kiosk_questions(current[1])
            skipped = kiosk.skipped_questions(current[1], asked)
        except kiosk.KioskUnsupported as exc:
            problem = str(exc)
    flagged, flagged_total = kiosk_review.flagged_taps(survey, asked.smiley.key if asked else None)
    return render(
        request,
        "channels/kiosk_admin.html",
        {
            "nav": "surveys",
            "survey": survey,
            "problem": problem,
            "skipped": skipped,
            "links": _kiosk_links(survey) if not problem else [],
            "devices": kiosk_review.devices_today(survey),
            "flagged": flagged,
            "flagged_total": flagged_total,
            "flagged_days": kiosk_review.FLAGGED_DAYS,
            "burst_taps": mashing.BURST_TAPS,
            "burst_seconds": int(mashing.BURST_WINDOW.total_seconds()),
            "can_act": request.membership.has_role(Role.MANAGER),
        },
    )


@member_required(Role.MANAGER)
@require_POST
def kiosk_unflag(request, key: str):
    """ "Count these anyway": clear the mashing flag of the chosen taps of this survey."""
    survey = _staff_survey(request, key)
    ids = [int(v) for v in request.POST.getlist("response") if v.isdigit()][:500]
    changed = mashing.unflag(survey, ids)
    if changed:
        record_audit(
            request.organisation,
            request.user,
            "kiosk.unflag",
            survey.key,
            {"responses": ids, "counted": changed},
        )
        messages.success(
            request,
            ngettext("%(count)s tap is now counted.", "%(count)s taps are now counted.", changed)
            % {"count": changed},
        )
    else:
        messages.info(request, _("Choose the taps to count."))
    return redirect("survey_kiosk", key=survey.key)


# ------------------------------------------------------------------------------ helpers


def _survey(public_key: str) -> Survey:
    survey = (
        Survey.objects.select_related("organisation", "touchpoint", "current_version")
        .filter(public_key=public_key)
        .first()
    )
    if survey is None:
        raise Http404
    return survey


def _staff_survey(request, key: str) -> Survey:
    return get_object_or_404(
        Survey.objects.select_related("organisation", "touchpoint", "current_version"),
        organisation=request.organisation,
        key=key,
    )


def _touchpoint(request, survey: Survey) -> Touchpoint | None:
    """``?tp=``: another touchpoint of the survey's organisation. Unknown keys are an error
    here (not ignored as on the hosted page) so that a tablet set up with a typo shows it
    at once instead of reporting to the wrong touchpoint."""
    key = request.GET.get("tp")
    if not key:
        return None
    touchpoint = Touchpoint.objects.filter(organisation_id=survey.organisation_id, key=key).first()
    if touchpoint is None:
        raise UnknownTouchpoint
    return touchpoint


class UnknownTouchpoint(Exception):
    pass


def _language(request, definition) -> str:
    wanted = request.GET.get("lang")
    if wanted not in definition.languages and request.META.get("HTTP_ACCEPT_LANGUAGE"):
        wanted = translation.get_language_from_request(request)
    return definition.language_for(wanted)


def _query(request) -> str:
    params = {k: request.GET[k] for k in ("tp", "lang", *TIMINGS) if request.GET.get(k)}
    return "?" + urlencode(params) if params else ""


def _seconds(request, name: str) -> float:
    default, low, high = TIMINGS[name]
    try:
        value = float(request.GET.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high) if value == value else default  # NaN → default


def _face_names() -> list[str]:
    return [_("Very unhappy"), _("Unhappy"), _("Happy"), _("Very happy")]


def _thank_you(definition, lang: str) -> str:
    return definition.text(definition.thank_you, lang) or _("Thank you for your feedback!")


def _closed_text() -> str:
    return _("This survey no longer accepts answers. Thank you for your interest.")


def _config(request, survey, definition, asked, touchpoint, lang) -> dict[str, Any]:
    """Everything kiosk.js needs, in every language of the survey (a customer may switch)."""
    follow_ups = {q.key: q for q in asked.follow_up.values() if q is not None}
    texts = {}
    for code in definition.languages:
        with translation.override(code):
            texts[code] = {
                "question": definition.text(asked.smiley.text, code),
                "faces": _face_names(),
                "followUps": {k: definition.text(q.text, code) for k, q in follow_ups.items()},
                "thankYou": _thank_you(definition, code),
                "send": _("Send"),
                "skip": _("Skip"),
                "queued": _("Waiting to be sent: %(count)s"),
                "offline": _("Offline"),
                "sent": _("All answers sent"),
                "offlineReady": _("Ready to work offline"),
            }
    return {
        "syncUrl": reverse("kiosk_taps", args=[survey.public_key]),
        "swUrl": reverse("kiosk_sw"),
        "version": asset_version(),
        "touchpoint": touchpoint.key if touchpoint else "",
        "language": lang,
        "smiley": asked.smiley.key,
        "followUp": {str(f): (q.key if q else None) for f, q in asked.follow_up.items()},
        "resetSeconds": _seconds(request, "reset"),
        "whyTimeoutSeconds": _seconds(request, "why_timeout"),
        "syncSeconds": _seconds(request, "sync"),
        "texts": texts,
    }


@dataclass(frozen=True)
class KioskLink:
    touchpoint: Touchpoint | None
    url: str

    @property
    def qr(self) -> str:
        svg = segno.make(self.url, error="m").svg_inline(
            scale=4, border=2, omitsize=True, title=self.url
        )
        return mark_safe(svg)  # generated by segno from our own URL


def _kiosk_links(survey: Survey) -> list[KioskLink]:
    """The link for the survey's own touchpoint and one per other kiosk touchpoint."""
    base = settings.SITE_URL.rstrip("/") + reverse("kiosk_page", args=[survey.public_key])
    links = [KioskLink(survey.touchpoint, base)]
    others = Touchpoint.objects.filter(organisation=survey.organisation, channel=Channel.KIOSK)
    if survey.touchpoint_id:
        others = others.exclude(pk=survey.touchpoint_id)
    for touchpoint in others.order_by("name")[:10]:
        links.append(KioskLink(touchpoint, f"{base}?{urlencode({'tp': touchpoint.key})}"))
    return links


def _notice_language(request) -> str:
    return request.GET.get("lang") if request.GET.get("lang") in LANGUAGE_NAMES else "fi"


def _notice(request, title: str, text: str, *, status: int):
    """A plain page; call it inside ``translation.override(_notice_language(request))`` so
    that ``title`` and ``text`` are in the page's language."""
    lang = _notice_language(request)
    with translation.override(lang):
        context = {"lang": lang, "title": title, "text": text}
        return _public(render(request, "channels/kiosk_notice.html", context, status=status))


def _public(response):
    """Headers of every public kiosk response: revalidate always, no framing."""
    response.setdefault("Cache-Control", "no-cache")
    response["Content-Security-Policy"] = KIOSK_CSP
    response["Referrer-Policy"] = "no-referrer"
    return response


# The one error shape of the API and the public endpoint (collect.CollectError); the kiosk's
# messages are for developers and logs, the tablet shows its own texts.
ERROR_CODES = {
    400: ("validation_error", "The batch is not valid."),
    404: ("not_found", "No such kiosk."),
    409: ("conflict", "This survey cannot be used on a kiosk."),
    410: ("kiosk_closed", "The kiosk is closed."),
    413: ("payload_too_large", "The body is too large."),
    415: ("unsupported_media_type", "The body must be JSON."),
    429: ("rate_limited", "Too many requests; retry later."),
}


def _error(status: int, errors: dict[str, str]) -> JsonResponse:
    code, message = ERROR_CODES[status]
    body = CollectError(status, code, message, list(errors.items())).body()
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _too_many(retry_after: int) -> JsonResponse:
    response = _error(429, {"rate": "too many requests; retry later"})
    response["Retry-After"] = str(retry_after)
    return response


@lru_cache(maxsize=1)
def _service_worker_source() -> str:
    return (STATIC_DIR / "kiosk-sw.js").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def asset_version() -> str:
    """A hash of the kiosk's files: a new release changes the service worker's bytes, so
    tablets install it and drop the old cache."""
    digest = hashlib.sha256()
    for name in ("kiosk.css", "kiosk.js", "kiosk-sw.js", "kiosk-icon.svg"):
        digest.update((STATIC_DIR / name).read_bytes())
    return digest.hexdigest()[:12]
