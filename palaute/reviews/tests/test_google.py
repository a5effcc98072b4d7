from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from palaute.reviews.models import Review, ReviewRevision, ReviewSource
from palaute.reviews.sync import sync_source

pytestmark = pytest.mark.django_db


def _now():
    return timezone.now().replace(microsecond=0)


def test_first_sync_reads_every_page_and_stores_documented_fields(google, google_source):
    start = _now() - timedelta(days=200)
    for i in range(120):
        google.add(f"r{i:03}", 1 + i % 5, f"Kommentti {i}", start + timedelta(hours=i))
    result = sync_source(google_source.pk)
    assert (result.fetched, result.created, result.error) == (120, 120, "")
    assert google.problems == []
    lists = [s for s in google.seen if s.method == "GET"]
    assert len(lists) == 3  # 50 + 50 + 20
    assert all(s.query["orderBy"] == "updateTime desc" for s in lists)
    assert all(s.query["pageSize"] == "50" for s in lists)
    assert "pageToken" not in lists[0].query and lists[1].query["pageToken"]

    review = Review.objects.get(external_id="r007")
    assert review.rating == 3 and review.original_rating == "THREE"
    assert review.text == "Kommentti 7" and review.author_name == "Asiakas"
    assert review.reviewed_at == start + timedelta(hours=7)
    assert review.reply_target == f"{google.location}/reviews/r007"
    assert review.touchpoint == google_source.touchpoint
    assert review.location == google_source.touchpoint.location
    assert review.revisions.get().kind == ReviewRevision.Kind.CREATED
    source = ReviewSource.objects.get(pk=google_source.pk)
    assert source.sync_mark == start + timedelta(hours=119)
    assert source.last_synced_at is not None and source.last_error == ""


def test_incremental_sync_stops_at_the_last_seen_update_and_records_the_edit(google, google_source):
    old = _now() - timedelta(days=30)
    for i in range(60):
        google.add(f"r{i:03}", 4, "Hyvä", old + timedelta(minutes=i))
    google.add("kota", 1, "Jouduin odottamaan muurikkalettua 20 minuuttia.", old)
    sync_source(google_source.pk)
    google.seen.clear()

    # The café replied; weeks later the customer edits the review to five stars.
    review = Review.objects.get(external_id="kota")
    review.replied_at = old + timedelta(hours=2)
    review.save()
    google.edit("kota", 5, "Pahoittelivat ja tarjosivat letut. Kiitos!", _now())
    result = sync_source(google_source.pk)

    assert len(google.seen) == 1  # the edited review came first; the page told us to stop
    assert result.changed == 1 and result.created == 0
    review.refresh_from_db()
    assert review.rating == 5 and review.first_rating == 1
    assert review.recovered_at == review.source_updated_at
    history = list(review.revisions.values_list("kind", "rating"))
    assert history == [("created", 1), ("edited", 5)]


def test_401_refreshes_the_token_and_repeats_the_request(google, google_source):
    google.add("a", 5, "Ihana kota", _now() - timedelta(days=1))
    google.expire_tokens()
    result = sync_source(google_source.pk)
    assert result.error == "" and result.created == 1
    token_calls = [s for s in google.seen if s.path == "/token"]
    assert len(token_calls) == 1
    form = token_calls[0].form()
    assert form["grant_type"] == "refresh_token"
    assert form["refresh_token"] == google.refresh_token
    gets = [s for s in google.seen if s.method == "GET"]
    assert [g.headers["Authorization"][:12] for g in gets] == ["Bearer ya29.", "Bearer ya29."]
    assert gets[1].headers["Authorization"] != gets[0].headers["Authorization"]
    source = ReviewSource.objects.get(pk=google_source.pk)
    assert source.access_token in google.access_tokens
    assert source.access_token_expires_at > timezone.now() + timedelta(minutes=50)


def test_a_revoked_refresh_token_is_an_error_a_person_must_fix(google, google_source):
    google.add("a", 5, "Ihana kota", _now() - timedelta(days=1))
    google.expire_tokens()
    google.refresh_token = "1//revoked"
    result = sync_source(google_source.pk)
    assert "invalid_grant" in result.error or "Bad Request" in result.error
    source = ReviewSource.objects.get(pk=google_source.pk)
    assert "connect the source again" in source.last_error
    assert source.last_synced_at is None and not Review.objects.exists()


def test_5xx_records_the_error_and_keeps_what_was_stored(google, google_source):
    start = _now() - timedelta(days=10)
    for i in range(3):
        google.add(f"r{i}", 4, "Hyvä", start + timedelta(hours=i))
    sync_source(google_source.pk)
    mark = ReviewSource.objects.get(pk=google_source.pk).sync_mark

    google.add("new", 2, "Kylmää kahvia", _now())
    google.fail_next = 1
    failed = sync_source(google_source.pk)
    assert "HTTP 503" in failed.error
    source = ReviewSource.objects.get(pk=google_source.pk)
    assert source.last_error.startswith("Google answered HTTP 503")
    assert source.last_error_at is not None and source.sync_mark == mark
    assert Review.objects.count() == 3  # nothing lost

    again = sync_source(google_source.pk)
    assert again.error == "" and again.created == 1
    source.refresh_from_db()
    assert source.last_error == "" and Review.objects.count() == 4


def test_a_second_sync_while_one_runs_is_skipped(google, google_source):
    ReviewSource.objects.filter(pk=google_source.pk).update(sync_started_at=timezone.now())
    assert sync_source(google_source.pk).skipped
    assert google.seen == []


def test_nanosecond_times_are_read(google, google_source):
    at = datetime(2024, 5, 31, 12, 0, 1, tzinfo=UTC)
    google.add("n", 4, "", at)
    sync_source(google_source.pk)
    # "2024-05-31T12:00:01.000000123Z": nanoseconds beyond Python's microseconds are dropped.
    assert google.reviews["n"]["createTime"].endswith(".000000123Z")
    assert Review.objects.get().reviewed_at == at
