from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from palaute.accounts.tests.helpers import make_member
from palaute.outreach.tests.jobs_helpers import make_due, run_due_jobs
from palaute.reviews import replies
from palaute.reviews.models import Review, ReviewReply
from palaute.reviews.sync import sync_source

pytestmark = pytest.mark.django_db
Status = ReviewReply.Status


@pytest.fixture
def agent(org):
    return make_member(org, "anna", role="agent")


def _google_review(google, google_source, hours_ago=5):
    google.add("kota", 1, "Odotin 20 minuuttia.", timezone.now() - timedelta(hours=hours_ago))
    sync_source(google_source.pk)
    return Review.objects.get()


def test_google_reply_is_put_as_a_review_reply(google, google_source, agent):
    review = _google_review(google, google_source)
    reply = replies.queue_reply(
        review,
        author=agent,
        body="Pahoittelut odotuksesta! Terveisin Johanna",
        idempotency_key="k1",
    )
    assert reply.status == Status.QUEUED
    again = replies.queue_reply(review, author=agent, body="toinen", idempotency_key="k1")
    assert again.pk == reply.pk  # a double click is one reply
    assert DBTaskResult.objects.filter(task_path__endswith="post_reply_job").count() == 1

    run_due_jobs()
    put = [s for s in google.seen if s.method == "PUT"]
    assert len(put) == 1
    assert put[0].path == f"/v4/{google.location}/reviews/kota/reply"
    assert put[0].json() == {"comment": "Pahoittelut odotuksesta! Terveisin Johanna"}
    assert put[0].headers["Content-Type"] == "application/json"
    assert put[0].headers["Authorization"] == f"Bearer {google.first_token}"
    assert google.problems == []

    reply.refresh_from_db()
    review.refresh_from_db()
    assert reply.status == Status.POSTED and reply.posted_at is not None
    assert review.replied_at == reply.posted_at
    assert 5 * 3600 - 60 <= review.response_seconds <= 5 * 3600 + 60


def test_facebook_reply_is_a_comment_on_the_story(facebook, facebook_source, agent):
    facebook.add("kota", "negative", "Odotin.", timezone.now() - timedelta(hours=1))
    sync_source(facebook_source.pk)
    review = Review.objects.get()
    replies.queue_reply(review, author=agent, body="Pahoittelut!", idempotency_key="k")
    run_due_jobs()
    post = [s for s in facebook.seen if s.method == "POST"][0]
    story = facebook.ratings["kota"]["open_graph_story"]["id"]
    assert post.path == f"/v21.0/{story}/comments"
    assert post.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert post.form() == {"message": "Pahoittelut!", "access_token": facebook.token}
    assert facebook.problems == [] and facebook.comments[0]["message"] == "Pahoittelut!"
    reply = ReviewReply.objects.get()
    assert reply.status == Status.POSTED and reply.external_id == f"{story}_1"


def test_a_5xx_is_retried_with_backoff_then_posted(google, google_source, agent):
    review = _google_review(google, google_source)
    replies.queue_reply(review, author=agent, body="Kiitos palautteesta", idempotency_key="k")
    google.fail_next = 1
    run_due_jobs()
    reply = ReviewReply.objects.get()
    assert reply.status == Status.QUEUED and reply.attempts == 1
    assert "HTTP 503" in reply.last_error
    assert Review.objects.get().replied_at is None
    make_due()
    run_due_jobs()
    reply.refresh_from_db()
    assert reply.status == Status.POSTED and reply.attempts == 2 and reply.last_error == ""


def test_a_refusal_fails_at_once_and_can_be_tried_again(google, google_source, agent):
    review = _google_review(google, google_source)
    review.reply_target = f"{google.location}/reviews/deleted"
    review.save()
    replies.queue_reply(review, author=agent, body="Kiitos", idempotency_key="k")
    run_due_jobs()
    reply = ReviewReply.objects.get()
    assert reply.status == Status.FAILED and "HTTP 404" in reply.last_error
    assert not DBTaskResult.objects.filter(status="READY").exists()  # not retried
    assert replies.requeue(reply)
    assert ReviewReply.objects.get().status == Status.QUEUED


def test_imported_reviews_are_marked_replied_elsewhere(org, agent):
    from palaute.reviews.importer import import_reviews

    import_reviews(
        org, b"site,external_id,rating,time\nTripadvisor,t1,2,2024-05-01T10:00:00+03:00\n"
    )
    review = Review.objects.get()
    with pytest.raises(replies.ReplyInvalid):
        replies.queue_reply(review, author=agent, body="Hei", idempotency_key="k")
    at = review.reviewed_at + timedelta(hours=3)
    replies.mark_replied_elsewhere(review, author=agent, idempotency_key="e", at=at)
    replies.mark_replied_elsewhere(review, author=agent, idempotency_key="e", at=at)
    review.refresh_from_db()
    assert review.replied_at == at and review.response_seconds == 3 * 3600
    assert ReviewReply.objects.get().status == Status.ELSEWHERE


def test_an_empty_or_long_reply_is_refused(google, google_source, agent):
    review = _google_review(google, google_source)
    with pytest.raises(replies.ReplyInvalid):
        replies.queue_reply(review, author=agent, body="   ", idempotency_key="k")
    with pytest.raises(replies.ReplyInvalid):
        replies.queue_reply(review, author=agent, body="x" * 4001, idempotency_key="k")
    assert not ReviewReply.objects.exists()
