"""Personal link tokens: ``<key><mac>``.

``key`` is the invitation's random 22-character id (128 bits), stored in the row so the link
finds it with one indexed lookup. ``mac`` is an HMAC-SHA256 of the key under SECRET_KEY with a
purpose string, also 22 characters. The link is therefore unguessable (256 random or secret
bits), and a copy of the database alone gives no working link: the MAC needs the secret key.
Because the token is derived, not stored, a reminder can repeat the same link, and a rotated
key keeps old links working while it stays in SECRET_KEY_FALLBACKS.

The answer link and the unsubscribe link use different purposes, so one cannot stand in for the
other. A journey message has a key too, for its unsubscribe link, under a purpose of its own.

An SMS pays for every character, so its links use the *short* form: the same key with an
11-character MAC (66 bits) under a purpose of its own. Forging one still means guessing 128
random bits of key, or 66 bits of MAC online for a key taken from a leaked database.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

KEY_LENGTH = 22
MAC_LENGTH = 22
SHORT_MAC_LENGTH = 11
SHORT = ".short"
ANSWER = "palaute.outreach.answer"
UNSUBSCRIBE = "palaute.outreach.unsubscribe"
# A journey message's unsubscribe link (unsubscribe.py): the message's own key and purpose.
MESSAGE_UNSUBSCRIBE = "palaute.outreach.unsubscribe.message"


def _mac(key: str, purpose: str, secret: str, length: int = MAC_LENGTH) -> str:
    digest = salted_hmac(purpose, key, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).decode()[:length]


def make_token(key: str, purpose: str) -> str:
    return key + _mac(key, purpose, settings.SECRET_KEY)


def make_short_token(key: str, purpose: str) -> str:
    """The SMS form of the token (33 characters instead of 44)."""
    return key + _mac(key, purpose + SHORT, settings.SECRET_KEY, SHORT_MAC_LENGTH)


def split_token(token: str, purpose: str) -> str | None:
    """The key inside a well-formed, authentic token (full or short form), else None."""
    if not isinstance(token, str):
        return None
    if len(token) == KEY_LENGTH + MAC_LENGTH:
        purpose_used, length = purpose, MAC_LENGTH
    elif len(token) == KEY_LENGTH + SHORT_MAC_LENGTH:
        purpose_used, length = purpose + SHORT, SHORT_MAC_LENGTH
    else:
        return None
    key, mac = token[:KEY_LENGTH], token[KEY_LENGTH:]
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(
        constant_time_compare(mac, _mac(key, purpose_used, secret, length)) for secret in secrets
    ):
        return key
    return None
