"""Encryption at rest for the connectors' OAuth tokens and client secrets.

Tokens are stored as Fernet tokens (AES-128-CBC with HMAC-SHA256, from ``cryptography``), so
a database dump or backup does not hand out access to the organisation's Google or Facebook
account. The keys come from ``REVIEWS_ENCRYPTION_KEY``: one or more url-safe base64 Fernet
keys, newest first, comma-separated. The first key encrypts; every key is tried to decrypt
(``MultiFernet``), which is how keys are rotated:

1. put a new key in front: ``REVIEWS_ENCRYPTION_KEY=<new>,<old>`` and restart;
2. run ``palaute reviews_rotate_keys`` (re-encrypts every stored secret with the new key);
3. remove the old key.

Without the setting a key is derived from ``SECRET_KEY`` with HKDF-SHA256 (its own ``info``
label, so the derived key is useless for anything else). Then changing ``SECRET_KEY`` makes
stored tokens unreadable, and the sources must be connected again; set a key of its own in
production.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from palaute.reviews import conf

HKDF_INFO = b"palaute.reviews.token-encryption.v1"


class SecretUnreadable(Exception):
    """A stored secret could not be decrypted with any configured key."""


def derived_key(secret_key: str) -> bytes:
    """A Fernet key derived from ``SECRET_KEY`` (the fallback when no key is configured)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(
        secret_key.encode()
    )
    return base64.urlsafe_b64encode(raw)


def _fernet() -> MultiFernet:
    keys = conf.encryption_keys() or [derived_key(settings.SECRET_KEY).decode()]
    try:
        return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])
    except ValueError as error:
        raise ValueError(
            "REVIEWS_ENCRYPTION_KEY: each key must be 32 url-safe base64-encoded bytes "
            "(make one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`)"
        ) from error


def encrypt(plain: str) -> str:
    """The ciphertext of ``plain`` ("" stays "": nothing stored)."""
    if not plain:
        return ""
    return _fernet().encrypt(plain.encode()).decode("ascii")


def decrypt(stored: str) -> str:
    if not stored:
        return ""
    try:
        return _fernet().decrypt(stored.encode("ascii")).decode()
    except InvalidToken as error:
        raise SecretUnreadable(
            "a stored token cannot be decrypted with REVIEWS_ENCRYPTION_KEY; "
            "was a key removed before `palaute reviews_rotate_keys` ran?"
        ) from error


def rotate(stored: str) -> str:
    """``stored`` re-encrypted with the newest key (the same value when already so)."""
    if not stored:
        return ""
    try:
        return _fernet().rotate(stored.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise SecretUnreadable("a stored token cannot be decrypted with any key") from error
