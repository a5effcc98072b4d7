"""The public submission endpoint over HTTP (no login, no cookies, no CSRF token):

- ``GET  /c/<public_key>/survey.json?lang=fi`` the survey as the widget renders it;
- ``POST /c/<public_key>/responses`` one response as JSON: 201 ``{"id": …}``, 200 on a
  repeated idempotency key;
- ``OPTIONS`` on both: the CORS preflight.

A browser request carries ``Origin``; it must be SITE_URL's origin or one the survey's
organisation allowed, else 403 ``forbidden_origin`` without CORS headers. Allowed origins get
``Access-Control-Allow-Origin`` with that origin (never ``*``, never credentials). Errors
answer ``{"error": {"code", "message", "fields": [{"field", "message"}]}}``. The logic lives
in ``collect.py``; these views only read the request and write the response.
"""

from __future__ import annotations

import json

from django.http import HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from palaute.channels import collect
from palaute.channels.collect import CollectError
from palaute.lib.clientip import client_ip

JSON = "application/json"
# The widget posts text/plain to skip the preflight round trip; the body is JSON either way.
BODY_TYPES = ("application/json", "text/plain")
PREFLIGHT_MAX_AGE = "7200"  # seconds; Chromium caps it at two hours


@csrf_exempt
def survey_json(request, public_key: str) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight(request, public_key, "GET")
    if request.method not in ("GET", "HEAD"):
        return _not_allowed("GET")
    origin = request.META.get("HTTP_ORIGIN")
    try:
        entry = collect.survey_entry(public_key)
        collect.check_origin(entry, origin)
    except CollectError as exc:
        return _error(exc, public_key, origin)
    response = HttpResponse(collect.public_definition(entry, request.GET.get("lang")), JSON)
    response["Cache-Control"] = "public, max-age=60"
    return _cors(response, origin)


@csrf_exempt
def responses(request, public_key: str) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight(request, public_key, "POST")
    if request.method != "POST":
        return _not_allowed("POST")
    origin = request.META.get("HTTP_ORIGIN")
    try:
        # The limits come first: they cost no query and no reading of the body.
        collect.check_rate(client_ip(request.META) or "unknown")
        collect.check_declared_size(request.META.get("CONTENT_LENGTH"))
        entry = collect.survey_entry(public_key)
        collect.check_origin(entry, origin)
        _check_content_type(request.META.get("CONTENT_TYPE", ""))
        # Django reads no more than the declared length, which was checked above.
        submission = collect.parse_submission(request.read(), entry)
        response_id, created = collect.submit(entry, submission)
    except CollectError as exc:
        return _error(exc, public_key, origin)
    response = _json({"id": response_id}, 201 if created else 200)
    response["Cache-Control"] = "no-store"
    return _cors(response, origin)


def _preflight(request, public_key: str, method: str) -> HttpResponse:
    origin = request.META.get("HTTP_ORIGIN")
    try:
        entry = collect.survey_entry(public_key)
        collect.check_origin(entry, origin)
    except CollectError as exc:
        return _error(exc, public_key, origin)
    response = HttpResponse(status=204)
    response["Access-Control-Allow-Methods"] = f"{method}, OPTIONS"
    response["Access-Control-Allow-Headers"] = "Content-Type"
    response["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return _cors(response, origin)


def _check_content_type(content_type: str) -> None:
    if content_type.partition(";")[0].strip().lower() not in BODY_TYPES:
        raise CollectError(
            400, "bad_request", _("Send a JSON body (Content-Type: application/json).")
        )


def _json(data, status: int) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), JSON, status=status)


def _cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    """Let an allowed origin read the response (the caller has checked it)."""
    if origin is not None:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Expose-Headers"] = "Retry-After"
    patch_vary_headers(response, ("Origin",))
    return response


def _error(exc: CollectError, public_key: str, origin: str | None) -> HttpResponse:
    response = _json(exc.body(), exc.status)
    for name, value in exc.headers.items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    # An allowed page may read the error (the widget shows it), a foreign one may not. Only an
    # entry already in memory is asked: a rate-limited client must not cause a query.
    entry = collect.cached_entry(public_key)
    if (
        exc.code != "forbidden_origin"
        and entry is not None
        and collect.origin_allowed(entry, origin)
    ):
        return _cors(response, origin)
    patch_vary_headers(response, ("Origin",))
    return response


def _not_allowed(method: str) -> HttpResponse:
    error = CollectError(405, "bad_request", _("Use %(method)s.") % {"method": method})
    response = _json(error.body(), 405)
    response["Allow"] = f"{method}, OPTIONS"
    return response
