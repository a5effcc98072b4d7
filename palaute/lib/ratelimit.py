"""Fixed-window rate limits kept in Django's cache.

With the default local-memory cache each process counts on its own (a limit of N per minute
becomes N per minute per process); set ``REDIS_URL`` to share the counters between processes
and machines (docs/self-hosting.md).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

from django.core.cache import caches
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class Limit:
    """At most ``requests`` per ``seconds``."""

    requests: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Limit:
        """'600/min', '20/s', '10000/hour', '5/10s'."""
        count, _, period = text.partition("/")
        units = {"s": 1, "sec": 1, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400}
        digits = "".join(ch for ch in period if ch.isdigit())
        unit = period[len(digits) :]
        if not count.isdigit() or unit not in units:
            raise ValueError(f"rate limit {text!r}: expected e.g. '600/min' or '5/10s'")
        return cls(int(count), int(digits or 1) * units[unit])


@cache
def _parsed(text: str) -> Limit:
    return Limit.parse(text)


def client_key(ip: str) -> str:
    """The client address as a keyed hash, for bucket names: the cache never holds the IP
    (BRIEF §7), and without SECRET_KEY the hash cannot be reversed by trying addresses."""
    return salted_hmac("palaute.ratelimit.ip", ip or "unknown").hexdigest()[:32]


def hit(bucket: str, limit: Limit | str, *, now: float | None = None, cache_alias: str = "default"):
    """Count one request against ``bucket``; ``limit`` is a Limit or its text ("600/min", as in
    the settings). Returns 0 when allowed, otherwise the seconds until the current window ends
    (for a ``Retry-After`` header)."""
    if isinstance(limit, str):
        limit = _parsed(limit)
    now = time.time() if now is None else now
    window = int(now // limit.seconds)
    key = f"rl:{bucket}:{limit.seconds}:{window}"
    cache = caches[cache_alias]
    # add() creates the counter only if it is missing, so the window's expiry is set once.
    if cache.add(key, 1, timeout=limit.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=limit.seconds + 1)
            count = 1
    if count <= limit.requests:
        return 0
    return max(1, int((window + 1) * limit.seconds - now + 0.999))
