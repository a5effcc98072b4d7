"""Settings this app reads, with their defaults (docs/webhooks.md, "For operators").

Read with ``getattr`` so the app works before a deployment sets any of them.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

# Seconds after attempt n (1-based) fails before attempt n + 1: 1 min, 5 min, 30 min, 2 h, 6 h,
# 6 h, 8 h. Eight attempts over about 23 hours, each delay ±20 % so that endpoints failing
# together do not retry in lockstep.
RETRY_DELAYS = (60, 5 * 60, 30 * 60, 2 * 3600, 6 * 3600, 6 * 3600, 8 * 3600)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A Retry-After longer than our own delay is honoured up to this.
MAX_RETRY_AFTER = 6 * 3600


def allow_private_networks() -> bool:
    """Whether endpoints may point at loopback, private and link-local addresses (and, for
    those only, use plain http://). Off in production: a webhook URL must not become a way to
    reach the server's own network. On with DEBUG, or with WEBHOOKS_ALLOW_PRIVATE_NETWORKS for
    an intranet chat server."""
    value = getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_NETWORKS", None)
    return settings.DEBUG if value is None else bool(value)


def timeout() -> float:
    """Seconds to wait for a receiver to connect and to answer (each read)."""
    return float(getattr(settings, "WEBHOOKS_TIMEOUT", 10))


def disable_after_given_up() -> int:
    """Deliveries given up in a row (no success in between) that turn an endpoint off."""
    return int(getattr(settings, "WEBHOOKS_DISABLE_AFTER", 5))


def secret_grace() -> timedelta:
    """How long a rotated secret keeps signing beside the new one."""
    return timedelta(hours=int(getattr(settings, "WEBHOOKS_SECRET_GRACE_HOURS", 24)))


def lease_seconds() -> int:
    """How long a worker's claim on a delivery lasts: well beyond one request's timeout."""
    return int(timeout() * 3 + 30)


def no_endpoints_cache_seconds() -> float:
    """How long a process remembers that an organisation has no active endpoint."""
    return float(getattr(settings, "WEBHOOKS_NO_ENDPOINTS_CACHE_SECONDS", 5))
