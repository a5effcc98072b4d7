"""The client's address for rate limiting, behind any number of trusted reverse proxies.

With ``TRUSTED_PROXY_HOPS = 0`` (the default) the address is ``REMOTE_ADDR``: nothing a client
sends can change it. Behind proxies, each one appends the address it received the request from
to ``X-Forwarded-For``; with N trusted proxies the client is the N-th entry from the right. Entries
further left are whatever the client sent and are never trusted. Set N to exactly the number of
proxies: too high and a client can choose its own address. A header shorter than N (a request
that bypassed a proxy) gives its leftmost entry, and no header gives ``REMOTE_ADDR``.

The address is only used as a keyed hash for rate-limit buckets (``ratelimit.client_key``); it is
never stored (BRIEF §7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings


def client_ip(meta: Mapping[str, Any]) -> str:
    """The client address from a request's META (``request.META``)."""
    remote = str(meta.get("REMOTE_ADDR") or "")
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0)
    if hops <= 0:
        return remote
    forwarded = [part.strip() for part in str(meta.get("HTTP_X_FORWARDED_FOR", "")).split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) >= hops:
        return forwarded[-hops]
    return forwarded[0] if forwarded else remote
