"""A review as any source hands it over, before it is stored: one shape for Google, Facebook
and imports, so ``store.record_review`` has one set of rules.

Rating normalisation (decided here, documented in docs/reviews.md): Google's ``starRating``
enum ONE…FIVE becomes 1…5; a Facebook recommendation becomes 5 (positive) or 1 (negative)
stars, unless the rating also carries a legacy 1–5 ``rating``, which wins. The original value
is always kept in ``original_rating`` and, for Facebook, ``recommendation``, so nothing is lost
and trends can tell the two kinds apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

GOOGLE_STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}
RECOMMENDATION_STARS = {"positive": 5, "negative": 1}


@dataclass(frozen=True)
class IncomingReview:
    external_id: str
    reviewed_at: datetime
    rating: int | None
    original_rating: str = ""
    recommendation: str = ""
    text: str = ""
    author_name: str = ""
    # The source's own update time; None when it has none (then edits are seen by comparing).
    updated_at: datetime | None = None
    external_location: str = ""
    reply_target: str = ""
    url: str = ""
    platform_reply_text: str = ""
    platform_reply_at: datetime | None = None


def google_stars(value: str | None) -> int | None:
    """``starRating`` → 1…5; STAR_RATING_UNSPECIFIED or missing → None."""
    return GOOGLE_STARS.get((value or "").upper())


def facebook_stars(recommendation: str | None, legacy_rating: object) -> int | None:
    if isinstance(legacy_rating, int) and 1 <= legacy_rating <= 5:
        return legacy_rating
    return RECOMMENDATION_STARS.get((recommendation or "").lower())
