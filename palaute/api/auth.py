"""Token authentication for the API, and the per-request guard that runs before it.

Order for every request: per-IP rate limit and body size (``guard``, before anything is
parsed), then the bearer token (401), its scope (403), its own rate limit (429). The
authenticated request carries ``request.auth`` (the ApiToken) and ``request.organisation``;
every query in the routers is scoped to that organisation.
"""

from __future__ import annotations

from functools import wraps

from django.http import HttpRequest
from django.utils import translation
from ninja.security import HttpBearer

from palaute.accounts import tokens
from palaute.accounts.models import ApiToken
from palaute.api import limits
from palaute.api.errors import ApiError, InsufficientScope, Unauthorized, error_response


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        api_token = tokens.verify_token(token.strip())
        if api_token is None:
            raise Unauthorized(
                "The API token is invalid or revoked.", headers={"WWW-Authenticate": "Bearer"}
            )
        if not tokens.allows(api_token, request.method or "GET"):
            raise InsufficientScope(
                "This token may only read; create a write token to change data."
            )
        limits.check_token_rate(api_token.pk)
        tokens.mark_used(api_token)
        request.organisation = api_token.organisation  # type: ignore[attr-defined]
        return api_token


def message_language(request: HttpRequest) -> str:
    """Messages are English unless the client asks for another UI language: the back office's
    language cookie or default (Finnish) must not change what an integration reads."""
    if "HTTP_ACCEPT_LANGUAGE" not in request.META:
        return "en"
    return translation.get_language_from_request(request)


def guard(api):
    """A ninja view decorator: the checks that come before authentication."""

    def decorator(run):
        @wraps(run)
        def guarded(request: HttpRequest, *args, **kwargs):
            with translation.override(message_language(request)):
                try:
                    limits.check_ip_rate(request)
                    limits.check_body_size(request)
                except ApiError as exc:
                    return error_response(
                        api, request, exc.status, exc.code, exc.message, exc.fields, exc.headers
                    )
                return run(request, *args, **kwargs)

        return guarded

    return decorator
