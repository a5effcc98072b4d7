"""The cache in front of every public testimonial surface (feed, JSON-LD, reference page).

Two rules bound how long anything stale can be seen:

1. Entries are keyed by the organisation's publication generation, which every change to what
   is public bumps in its own transaction (publication.changed). The public views read the
   generation from the database on each request (one indexed lookup they need anyway to find
   the organisation by its key), so after a withdrawal no process serves the old entry.
2. Every entry lives at most ``TTL_SECONDS`` by ``clock``, and responses may be kept by
   browsers and proxies for ``HTTP_MAX_AGE`` seconds: anything that changes without a bump
   (an account renamed in the contacts pages) is visible within a minute in all.

``clock`` is a module attribute so that tests can move time forward.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache

from palaute.testimonials.models import Publication

TTL_SECONDS = 30
HTTP_MAX_AGE = 30
clock: Callable[[], float] = time.time


@dataclass(frozen=True)
class Entry:
    body: bytes
    etag: str
    stored_at: float


def cached(publication: Publication, name: str, build: Callable[[], bytes]) -> Entry:
    """The cached body called ``name`` for the publication's current generation, built with
    ``build`` when missing or older than TTL_SECONDS."""
    key = f"testimonials:{publication.key}:{publication.generation}:{name}"
    entry = cache.get(key)
    now = clock()
    if isinstance(entry, Entry) and 0 <= now - entry.stored_at < TTL_SECONDS:
        return entry
    body = build()
    entry = Entry(body=body, etag=f'"{hashlib.sha256(body).hexdigest()[:32]}"', stored_at=now)
    cache.set(key, entry, TTL_SECONDS)
    return entry
