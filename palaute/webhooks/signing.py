"""The ``Palaute-Signature`` header of a generic delivery (Stripe's scheme).

    Palaute-Signature: t=1718000000,v1=5257a869…

``v1`` is the hex HMAC-SHA256 of ``"<t>.<raw body>"`` keyed with the endpoint's secret (the
whole ``whsec_…`` string, UTF-8). While a rotated secret is in its grace period the header
carries one ``v1`` per secret; a receiver accepts the request when any of them matches. The
time ``t`` is signed too, so a receiver that refuses old timestamps (5 minutes is usual)
cannot be fed a captured request again later. Every attempt is signed afresh.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

HEADER = "Palaute-Signature"
DEFAULT_TOLERANCE = 300


def compute(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def header_value(secrets: Iterable[str], body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return ",".join([f"t={t}", *(f"v1={compute(secret, t, body)}" for secret in secrets)])


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """What a receiver does (docs/webhooks.md shows it in five lines): a fresh timestamp and
    one matching ``v1``."""
    timestamp, signatures = None, []
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            signatures.append(value)
    if timestamp is None or abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = compute(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signatures)
