"""OAuth 2.0 for Google: the consent link, exchanging its code for tokens, and refreshing an
expired access token (RFC 6749 §4.1 and §6, as Google's token endpoint implements them).

Tokens are written to the source encrypted (models.py); the token URL is configurable per
source so tests and self-hosted proxies can point it elsewhere.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone

from palaute.reviews import conf
from palaute.reviews.connectors.base import ConnectorError, describe_failure, json_body, send
from palaute.reviews.models import ReviewSource

GOOGLE_SCOPE = "https://www.googleapis.com/auth/business.manage"
# Refresh this long before Google's stated expiry, so a token does not expire mid-sync.
EXPIRY_MARGIN = timedelta(seconds=60)


def authorization_url(source: ReviewSource, redirect_uri: str, state: str) -> str:
    """Google's consent page for this source's OAuth client (offline access: a refresh
    token comes back with the first code)."""
    base = getattr(settings, "REVIEWS_GOOGLE_AUTH_URL", conf.GOOGLE_AUTH_URL)
    query = urlencode(
        {
            "client_id": source.client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": GOOGLE_SCOPE,
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "state": state,
        }
    )
    return f"{base}?{query}"


def exchange_code(source: ReviewSource, code: str, redirect_uri: str) -> None:
    """Trade the consent page's code for access and refresh tokens, stored on the source."""
    answer = _token_request(
        source,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": source.client_id,
            "client_secret": source.client_secret,
        },
    )
    if not answer.get("refresh_token"):
        raise ConnectorError(
            "Google gave no refresh token; remove Palaute's access in the Google account "
            "and connect again",
            retryable=False,
        )
    _store(source, answer)


def refresh(source: ReviewSource) -> str:
    """A fresh access token from the refresh token (stored, and returned)."""
    refresh_token = source.refresh_token
    if not refresh_token:
        raise ConnectorError("no refresh token stored; connect the source again", retryable=False)
    answer = _token_request(
        source,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": source.client_id,
            "client_secret": source.client_secret,
        },
    )
    return _store(source, answer)


def needs_refresh(source: ReviewSource) -> bool:
    expires = source.access_token_expires_at
    return bool(source.refresh_token_encrypted) and (
        not source.access_token_encrypted
        or (expires is not None and expires - EXPIRY_MARGIN <= timezone.now())
    )


def _token_request(source: ReviewSource, fields: dict[str, str]) -> dict:
    body = urlencode(fields).encode()
    result = send(
        "POST",
        source.oauth_token_url,
        "Google's token endpoint",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if result.status in (400, 401):  # invalid_grant: the refresh token was revoked
        raise ConnectorError(
            describe_failure("Google's token endpoint", result) + "; connect the source again",
            retryable=False,
            status=result.status,
        )
    answer = json_body("Google's token endpoint", result)
    if not answer.get("access_token"):
        raise ConnectorError("Google's token endpoint answered without an access token")
    return answer


def _store(source: ReviewSource, answer: dict) -> str:
    token = str(answer["access_token"])
    source.access_token = token
    fields = ["access_token_encrypted", "access_token_expires_at"]
    if answer.get("refresh_token"):
        source.refresh_token = str(answer["refresh_token"])
        fields.append("refresh_token_encrypted")
    expires_in = answer.get("expires_in")
    source.access_token_expires_at = (
        timezone.now() + timedelta(seconds=int(expires_in))
        if isinstance(expires_in, int | float | str) and str(expires_in).isdigit()
        else None
    )
    if source.pk:
        source.save(update_fields=fields)
    return token
