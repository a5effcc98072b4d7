"""The public data of an organisation's testimonials: the JSON feed that the widget and
other sites read, and the aggregate rating.

Only published testimonials with standing consent appear (publication.public_testimonials),
each named exactly as its consent allows (naming.author). An item's rating keeps its own scale
(an NPS answer is 0–10, a CSAT 1–5). The aggregate uses that scale when all share one; with
mixed scales every rating is mapped onto 1–5 first. It is summed in the database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Sum

from palaute.testimonials.models import Publication, Testimonial
from palaute.testimonials.publication import public_testimonials

MAX_ITEMS = 50
COMMON_SCALE = (1, 5)


@dataclass(frozen=True)
class Aggregate:
    value: float
    count: int
    worst: int
    best: int


def shown(publication: Publication) -> list[Testimonial]:
    """The testimonials a feed or widget shows: the newest MAX_ITEMS public ones."""
    return list(public_testimonials(publication.organisation_id)[:MAX_ITEMS])


def aggregate(publication: Publication) -> Aggregate | None:
    """The average rating over every public, rated testimonial; None when none is rated."""
    groups = list(
        public_testimonials(publication.organisation_id)
        .filter(rating__isnull=False)
        .order_by()
        .values("rating_worst", "rating_best")
        .annotate(n=Count("pk"), total=Sum("rating"))
    )
    if not groups:
        return None
    count = sum(group["n"] for group in groups)
    if len(groups) == 1:
        worst, best = _scale(groups[0])
        return Aggregate(round(groups[0]["total"] / count, 2), count, worst, best)
    low, high = COMMON_SCALE
    total = 0.0
    for group in groups:
        worst, best = _scale(group)
        mean = group["total"] / group["n"]
        total += group["n"] * (low + (high - low) * (mean - worst) / (best - worst))
    return Aggregate(round(total / count, 2), count, low, high)


def _scale(group: Mapping[str, Any]) -> tuple[int, int]:
    worst, best = group["rating_worst"], group["rating_best"]
    assert worst is not None and best is not None  # stored together with every rating
    return worst, best


def item(testimonial: Testimonial) -> dict[str, Any]:
    shown_as = testimonial.consent.shown_as
    rating = None
    if testimonial.rating is not None:
        rating = {
            "value": testimonial.rating,
            "worst": testimonial.rating_worst,
            "best": testimonial.rating_best,
        }
    return {
        "id": testimonial.pk,
        "quote": testimonial.quote,
        "language": testimonial.language,
        "author": None
        if shown_as.anonymous
        else {"name": shown_as.name, "company": shown_as.company, "type": shown_as.kind},
        "rating": rating,
        "date": testimonial.submitted_at.date().isoformat(),
    }


def feed_body(publication: Publication) -> bytes:
    """``/t/<key>/testimonials.json``."""
    summary = aggregate(publication)
    data = {
        "organisation": publication.subject,
        "testimonials": [item(testimonial) for testimonial in shown(publication)],
        "aggregate_rating": None
        if summary is None
        else {
            "value": summary.value,
            "count": summary.count,
            "worst": summary.worst,
            "best": summary.best,
        },
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
