"""Personal link tokens: ``<key><mac>``.

``key`` is the invitation's random 22-character id (128 bits), stored in the row so the link
finds it with one indexed lookup. ``mac`` is an HMAC-SHA256 of the key under SECRET_KEY with a
purpose string, also 22 characters. The link is therefore unguessable (256 random or secret
bits), and a copy of the database alone gives no working link: the MAC needs the secret key.
Because the token is derived, not stored, a reminder can repeat the same link, and a rotated
key keeps old links working while it stays in SECRET_KEY_FALLBACKS.

The answer link and the unsubscribe link use different purposes, so one cannot stand in for the
other.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

KEY_LENGTH = 22
MAC_LENGTH = 22
ANSWER = "palaute.outreach.answer"
UNSUBSCRIBE = "palaute.outreach.unsubscribe"


def _mac(key: str, purpose: str, secret: str) -> str:
    digest = salted_hmac(purpose, key, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:MAC_LENGTH]


def make_token(key: str, purpose: str) -> str:
    return key + _mac(key, purpose, settings.SECRET_KEY)


def split_token(token: str, purpose: str) -> str | None:
    """The key inside a well-formed, authentic token, else None."""
    if not isinstance(token, str) or len(token) != KEY_LENGTH + MAC_LENGTH:
        return None
    key, mac = token[:KEY_LENGTH], token[KEY_LENGTH:]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(constant_time_compare(mac, _mac(key, purpose, secret)) for secret in secrets):
        return key
    return None
