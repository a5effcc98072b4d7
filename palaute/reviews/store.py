"""Storing reviews from any source: one upsert with the edit history, recoveries, reply times
and the closed loop, so connectors and imports follow the same rules.

``record_review`` is idempotent by (source, external id): the same review again changes
nothing; a new rating or text adds a ``ReviewRevision`` (the first state is a revision too).
A rating that rises after we had replied marks the review *recovered* (the Kotakahvila story:
one star, an apology and free pancakes, then praise). A new review, or a rating that drops,
goes to the organisation's LOW_REVIEW rules through ``loop.opening.open_review_case`` in the
same transaction; reviews already old when first seen (a first sync's history) open no case.

Text analysis (sentiment, themes) is queued for the worker (``analysis.py``); only the
language is decided here, because the loop needs it at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from palaute.journeys.models import Touchpoint
from palaute.loop.opening import open_review_case
from palaute.reviews import conf
from palaute.reviews.incoming import IncomingReview
from palaute.reviews.models import LocationMapping, Review, ReviewRevision, ReviewSource
from palaute.text import language as language_id
from palaute.text.tokens import is_word, tokenise


@dataclass
class Outcome:
    review: Review
    created: bool = False
    changed: bool = False


@dataclass
class Placement:
    """Where a source's reviews belong: its mappings by location name, else its touchpoint.
    Built once per sync or import, so each review costs no extra query."""

    source: ReviewSource
    by_name: dict[str, Touchpoint] = field(default_factory=dict)

    @classmethod
    def of(cls, source: ReviewSource) -> Placement:
        mappings = LocationMapping.objects.filter(source=source).select_related("touchpoint")
        return cls(source, {m.external_location.casefold(): m.touchpoint for m in mappings})

    def touchpoint(self, external_location: str) -> Touchpoint | None:
        found = self.by_name.get(external_location.strip().casefold())
        if found is not None:
            return found
        if self.source.touchpoint_id is None:
            return None
        return self.source.touchpoint


def detect_language(text: str, fallback: str) -> str:
    if not text.strip():
        return ""
    words = [t for t in tokenise(text) if is_word(t)]
    return language_id.detect(text, words, fallback)


def record_review(
    source: ReviewSource,
    incoming: IncomingReview,
    *,
    placement: Placement | None = None,
    now: datetime | None = None,
) -> Outcome:
    """Create or update one review (see the module's rules). Runs in its own transaction."""
    now = now or timezone.now()
    placement = placement or Placement.of(source)
    with transaction.atomic():
        review = _locked(source, incoming.external_id)
        if review is None:
            try:
                with transaction.atomic():
                    return _create(source, incoming, placement, now)
            except IntegrityError:
                # Another process stored it a moment ago: update that row instead.
                review = _locked(source, incoming.external_id)
                if review is None:
                    raise
        return _update(review, incoming, now)


def _locked(source: ReviewSource, external_id: str) -> Review | None:
    return (
        Review.objects.select_for_update(of=("self",))
        .filter(source=source, external_id=external_id)
        .select_related("case")
        .first()
    )


def _create(
    source: ReviewSource, incoming: IncomingReview, placement: Placement, now: datetime
) -> Outcome:
    touchpoint = placement.touchpoint(incoming.external_location)
    organisation = source.organisation
    review = Review.objects.create(
        organisation=organisation,
        source=source,
        external_id=incoming.external_id,
        reply_target=incoming.reply_target,
        url=incoming.url,
        external_location=incoming.external_location,
        touchpoint=touchpoint,
        location_id=touchpoint.location_id if touchpoint else None,
        rating=incoming.rating,
        original_rating=incoming.original_rating,
        recommendation=incoming.recommendation,
        text=incoming.text,
        author_name=incoming.author_name,
        language=detect_language(incoming.text, organisation.default_language),
        reviewed_at=incoming.reviewed_at,
        source_updated_at=incoming.updated_at,
        first_seen_at=now,
        first_rating=incoming.rating,
    )
    ReviewRevision.objects.create(
        review=review,
        kind=ReviewRevision.Kind.CREATED,
        rating=incoming.rating,
        original_rating=incoming.original_rating,
        text=incoming.text,
        source_updated_at=incoming.updated_at or incoming.reviewed_at,
        recorded_at=now,
    )
    _take_platform_reply(review, incoming)
    if review.replied_at is not None:
        review.save(update_fields=["platform_reply_text", "platform_reply_at", *_REPLY_FIELDS])
    if now - incoming.reviewed_at <= conf.case_max_age():
        _open_case(review, now)
    return Outcome(review, created=True, changed=True)


_REPLY_FIELDS = ["replied_at", "response_seconds"]


def _update(review: Review, incoming: IncomingReview, now: datetime) -> Outcome:
    changed = incoming.rating != review.rating or incoming.text != review.text
    fields: set[str] = set()
    old_rating = review.rating
    if changed:
        changed_at = incoming.updated_at or now
        ReviewRevision.objects.create(
            review=review,
            kind=ReviewRevision.Kind.EDITED,
            rating=incoming.rating,
            original_rating=incoming.original_rating,
            text=incoming.text,
            source_updated_at=incoming.updated_at,
            recorded_at=now,
        )
        review.rating = incoming.rating
        review.original_rating = incoming.original_rating
        review.recommendation = incoming.recommendation
        if incoming.text != review.text:
            review.text = incoming.text
            review.language = detect_language(incoming.text, review.organisation.default_language)
            review.analysed_at = None  # the worker analyses it again
        review.changed_at = changed_at
        fields |= {
            "rating",
            "original_rating",
            "recommendation",
            "text",
            "language",
            "analysed_at",
            "changed_at",
        }
        rose = (
            old_rating is not None and incoming.rating is not None and incoming.rating > old_rating
        )
        if (
            rose
            and review.recovered_at is None
            and review.replied_at is not None
            and review.replied_at <= changed_at
        ):
            review.recovered_at = changed_at
            fields.add("recovered_at")
    for name in ("author_name", "url", "reply_target"):
        value = getattr(incoming, name)
        if value and value != getattr(review, name):
            setattr(review, name, value)
            fields.add(name)
    if incoming.updated_at and incoming.updated_at != review.source_updated_at:
        review.source_updated_at = incoming.updated_at
        fields.add("source_updated_at")
    if _take_platform_reply(review, incoming):
        fields |= {"platform_reply_text", "platform_reply_at", *_REPLY_FIELDS}
    if fields:
        review.save(update_fields=sorted(fields))
    dropped = (
        changed
        and review.rating is not None
        and (old_rating is None or review.rating < old_rating)
        and now - (incoming.updated_at or now) <= conf.case_max_age()
    )
    if dropped:
        _open_case(review, now)
    return Outcome(review, changed=changed)


def _take_platform_reply(review: Review, incoming: IncomingReview) -> bool:
    """Keep the reply the platform shows; the first reply also starts the response time."""
    if not incoming.platform_reply_text or (
        incoming.platform_reply_text == review.platform_reply_text
        and incoming.platform_reply_at == review.platform_reply_at
    ):
        return False
    review.platform_reply_text = incoming.platform_reply_text
    review.platform_reply_at = incoming.platform_reply_at
    if review.replied_at is None and incoming.platform_reply_at is not None:
        mark_replied(review, incoming.platform_reply_at)
    return True


def mark_replied(review: Review, at: datetime) -> None:
    """Record the first reply's time and the response time (not saved here)."""
    if review.replied_at is not None and review.replied_at <= at:
        return
    review.replied_at = at
    review.response_seconds = max(0, int((at - review.reviewed_at).total_seconds()))


def review_url(review: Review) -> str:
    """The review's page in Palaute, absolute (for the case and its notifications)."""
    site = getattr(settings, "SITE_URL", "").rstrip("/")
    return site + reverse("review_detail", kwargs={"pk": review.pk})


def _open_case(review: Review, now: datetime) -> None:
    """Hand a new or worsened review to the organisation's LOW_REVIEW rules."""
    if review.rating is None or (review.case is not None and review.case.is_open):
        return
    case = open_review_case_for(review, now)
    if case is not None:
        review.case = case
        review.save(update_fields=["case"])


def open_review_case_for(review: Review, now: datetime):
    """The loop's contract (palaute.loop.opening.open_review_case), called with this review."""
    source = review.source
    if review.rating is None:
        return None
    return open_review_case(
        organisation=review.organisation,
        rating=review.rating,
        text=review.text,
        author_name=review.author_name,
        touchpoint=review.touchpoint,
        url=review_url(review),
        language=review.language or review.organisation.default_language,
        source_label=source.name if source.kind == "import" else str(source.get_kind_display()),
        opened_at=now,
    )
