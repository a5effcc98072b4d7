"""Text analytics for review text: the same pipeline, lexicons, organisation themes and trained
model as survey comments (palaute/text), stored on the review and its ``ReviewTheme`` rows.

``pipeline.analyse_many`` works on plain strings, so reviews need no Answer row. Analysis runs
in the worker (``analyse_reviews_job``), queued by sync and import for the reviews that are new
or whose text changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from palaute.outreach.jobs import enqueue, retrying
from palaute.reviews.models import Review, ReviewTheme
from palaute.text.analysis import model_for, user_themes_for
from palaute.text.pipeline import analyse_many

BATCH = 500


def analyse_reviews(review_ids: Iterable[int]) -> int:
    """Analyse (or re-analyse) these reviews; returns how many had text."""
    reviews = list(
        Review.objects.filter(pk__in=list(review_ids))
        .exclude(text="")
        .select_related("organisation")
        .only("id", "text", "language", "organisation_id", "organisation__default_language")
    )
    by_org: dict[int, list[Review]] = defaultdict(list)
    for review in reviews:
        by_org[review.organisation_id].append(review)
    for organisation_id, group in by_org.items():
        _analyse_group(organisation_id, group)
    return len(reviews)


def _analyse_group(organisation_id: int, reviews: list[Review]) -> None:
    model = model_for(organisation_id)
    user = user_themes_for(organisation_id)
    by_language: dict[str, list[Review]] = defaultdict(list)
    for review in reviews:
        by_language[review.language or review.organisation.default_language].append(review)
    now = timezone.now()
    themes: list[ReviewTheme] = []
    with transaction.atomic():
        for fallback, group in by_language.items():
            results = analyse_many([r.text for r in group], fallback, model=model, user_themes=user)
            for review, result in zip(group, results, strict=True):
                Review.objects.filter(pk=review.pk).update(
                    language=result.language,
                    sentiment=result.sentiment,
                    sentiment_score=result.score,
                    analysed_at=now,
                )
                themes.extend(
                    ReviewTheme(
                        organisation_id=organisation_id,
                        review_id=review.pk,
                        theme_key=hit.key,
                        sentiment=hit.sentiment,
                        evidence=list(hit.evidence),
                    )
                    for hit in _one_per_key(result.themes)
                )
        ReviewTheme.objects.filter(review_id__in=[r.pk for r in reviews]).delete()
        ReviewTheme.objects.bulk_create(themes)


def _one_per_key(hits):
    """A review mentions a theme once, with its first clause's sentiment."""
    seen: dict[str, object] = {}
    for hit in hits:
        seen.setdefault(hit.key, hit)
    return seen.values()


@retrying(max_attempts=3, base_delay=60)
def analyse_reviews_job(review_ids: list[int]) -> int:
    return analyse_reviews(review_ids)


def schedule(review_ids: Iterable[int]) -> None:
    """Queue analysis for these reviews, in batches, with the caller's transaction."""
    ids = sorted(set(review_ids))
    for start in range(0, len(ids), BATCH):
        enqueue(analyse_reviews_job, ids[start : start + BATCH])
