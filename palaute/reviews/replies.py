"""Public replies: written in Palaute, posted through the source's connector by a job.

``queue_reply`` stores the reply (one per idempotency key: a double click is one reply) and
queues ``post_reply_job`` in the same transaction. The job *claims* the reply with a guarded
UPDATE (queued → posting), talks to the platform, and records the result; a retryable failure
(no answer, 5xx, 429) puts it back to queued and the job runs again with backoff, up to
``MAX_POST_ATTEMPTS``; a refusal (a revoked token, a deleted review) fails it at once with the
platform's message. A failed reply can be queued again by hand.

Imported sites have no connector: a person replies on the site and marks the review
"replied elsewhere", which counts for the reply rate and response time like a posted reply.
The first reply, whatever its kind, sets the review's ``replied_at`` and ``response_seconds``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from palaute.outreach.jobs import enqueue, retrying
from palaute.reviews.connectors import ConnectorError, connector_for
from palaute.reviews.crypto import SecretUnreadable
from palaute.reviews.models import Review, ReviewReply
from palaute.reviews.store import mark_replied

MAX_POST_ATTEMPTS = 5
MAX_LENGTH = 4000  # Google accepts 4,096 characters; Facebook more
CLAIM_LEASE = timedelta(minutes=5)
Status = ReviewReply.Status


class ReplyInvalid(ValueError):
    """The reply cannot be accepted; the message says why (shown next to the field)."""


def check_body(body: str) -> str:
    body = body.strip()
    if not body:
        raise ReplyInvalid("Write the reply first.")
    if len(body) > MAX_LENGTH:
        raise ReplyInvalid(f"A reply can be at most {MAX_LENGTH} characters.")
    return body


def queue_reply(
    review: Review, *, author, body: str, idempotency_key: str, tone_flags: list | None = None
) -> ReviewReply:
    """Store a reply to post through the connector, and queue the posting."""
    body = check_body(body)
    if not review.source.is_connector:
        raise ReplyInvalid("This site has no connector: reply there and mark it replied.")
    with transaction.atomic():
        reply, created = _get_or_create(
            review,
            idempotency_key,
            author=author,
            body=body,
            status=Status.QUEUED,
            tone_flags=tone_flags or [],
        )
        if created:
            enqueue(post_reply_job, reply.pk)
    return reply


def mark_replied_elsewhere(
    review: Review, *, author, idempotency_key: str, body: str = "", at: datetime | None = None
) -> ReviewReply:
    """Record that the review was answered outside Palaute (at ``at``, default now)."""
    at = at or timezone.now()
    with transaction.atomic():
        reply, created = _get_or_create(
            review,
            idempotency_key,
            author=author,
            body=body.strip(),
            status=Status.ELSEWHERE,
            posted_at=at,
        )
        if created:
            _count_reply(review.pk, at)
    return reply


def requeue(reply: ReviewReply) -> bool:
    """Try a failed reply again; False when it was not failed."""
    with transaction.atomic():
        moved = ReviewReply.objects.filter(pk=reply.pk, status=Status.FAILED).update(
            status=Status.QUEUED, attempts=0, last_error=""
        )
        if moved:
            enqueue(post_reply_job, reply.pk)
    return bool(moved)


@retrying(max_attempts=MAX_POST_ATTEMPTS + 1, base_delay=60, max_delay=3600)
def post_reply_job(reply_id: int) -> str:
    return post_reply(reply_id)


def post_reply(reply_id: int, now: datetime | None = None) -> str:
    now = now or timezone.now()
    claimable = Q(status=Status.QUEUED) | Q(status=Status.POSTING, claimed_at__lt=now - CLAIM_LEASE)
    claimed = ReviewReply.objects.filter(
        claimable, pk=reply_id, attempts__lt=MAX_POST_ATTEMPTS
    ).update(status=Status.POSTING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not claimable"
    reply = ReviewReply.objects.select_related("review__source").get(pk=reply_id)
    review = reply.review
    try:
        posted = connector_for(review.source).post_reply(review.reply_target, reply.body)
    except (ConnectorError, SecretUnreadable) as error:
        retry = getattr(error, "retryable", False) and reply.attempts < MAX_POST_ATTEMPTS
        ReviewReply.objects.filter(pk=reply_id, status=Status.POSTING).update(
            status=Status.QUEUED if retry else Status.FAILED, last_error=str(error)[:2000]
        )
        if retry:
            raise  # the job retries with backoff
        return f"failed: {error}"
    with transaction.atomic():
        ReviewReply.objects.filter(pk=reply_id).update(
            status=Status.POSTED,
            posted_at=posted.posted_at,
            external_id=posted.external_id[:200],
            last_error="",
        )
        _count_reply(review.pk, posted.posted_at)
    return "posted"


def _count_reply(review_id: int, at: datetime) -> None:
    review = Review.objects.select_for_update().get(pk=review_id)
    before = review.replied_at
    mark_replied(review, at)
    if review.replied_at != before:
        review.save(update_fields=["replied_at", "response_seconds"])


def _get_or_create(review: Review, key: str, **fields) -> tuple[ReviewReply, bool]:
    existing = ReviewReply.objects.filter(review=review, idempotency_key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            reply = ReviewReply.objects.create(
                organisation_id=review.organisation_id,
                review=review,
                idempotency_key=key,
                created_at=timezone.now(),
                **fields,
            )
            return reply, True
    except IntegrityError:
        return ReviewReply.objects.get(review=review, idempotency_key=key), False
