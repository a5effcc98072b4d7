"""The reviews app's settings, read with defaults until the lead adds them to settings.py.

Every value can be set in settings.py (from the environment); nothing here is a secret.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

GOOGLE_BASE_URL = "https://mybusiness.googleapis.com"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
# Page ratings are readable through Graph API versions before v22.0 (see docs/reviews.md).
FACEBOOK_BASE_URL = "https://graph.facebook.com/v21.0"


def sync_every() -> timedelta:
    """How often the worker polls each connected source."""
    return timedelta(minutes=int(getattr(settings, "REVIEWS_SYNC_MINUTES", 30)))


def full_sync_every() -> timedelta:
    """How often a Facebook source is read from the start again, to see edits of old ratings
    (the ratings edge has no update time to filter on)."""
    return timedelta(days=int(getattr(settings, "REVIEWS_FULL_SYNC_DAYS", 7)))


def facebook_lookback() -> timedelta:
    """An incremental Facebook read starts this far before the newest rating already seen."""
    return timedelta(days=int(getattr(settings, "REVIEWS_FACEBOOK_LOOKBACK_DAYS", 30)))


def case_max_age() -> timedelta:
    """Reviews older than this when first seen (a first sync's history, an old import) open
    no follow-up case: the loop is for what happens now."""
    return timedelta(days=int(getattr(settings, "REVIEWS_CASE_MAX_AGE_DAYS", 14)))


def http_timeout() -> float:
    return float(getattr(settings, "REVIEWS_HTTP_TIMEOUT", 15))


def encryption_keys() -> list[str]:
    """Fernet keys, newest first: a list, or a comma-separated string (see crypto.py)."""
    raw = getattr(settings, "REVIEWS_ENCRYPTION_KEY", "")
    if isinstance(raw, list | tuple):
        return [str(k).strip() for k in raw if str(k).strip()]
    return [k.strip() for k in str(raw or "").split(",") if k.strip()]
