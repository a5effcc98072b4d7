from datetime import timedelta

import pytest
from django.utils import timezone

from palaute.reviews.models import Review, ReviewSource
from palaute.reviews.sync import sync_source

pytestmark = pytest.mark.django_db


def _now():
    return timezone.now().replace(microsecond=0)


def test_ratings_are_read_page_by_page_with_cursors(facebook, facebook_source):
    start = _now() - timedelta(days=90)
    for i in range(230):
        kind = "positive" if i % 4 else "negative"
        facebook.add(f"u{i}", kind, f"Teksti {i}", start + timedelta(hours=i), name=f"Nimi {i}")
    result = sync_source(facebook_source.pk)
    assert (result.fetched, result.created, result.error) == (230, 230, "")
    assert facebook.problems == []
    gets = [s for s in facebook.seen if s.method == "GET"]
    assert len(gets) == 3  # 100 + 100 + 30
    assert "after" not in gets[0].query and gets[1].query["after"] and gets[2].query["after"]
    assert all(g.query["access_token"] == facebook.token for g in gets)
    assert all("since" not in g.query for g in gets)  # the first read is a full one

    negative = Review.objects.get(external_id="reviewer:u4")
    assert negative.rating == 1 and negative.recommendation == "negative"
    assert negative.original_rating == "negative" and negative.author_name == "Nimi 4"
    story = facebook.ratings["u4"]["open_graph_story"]["id"]
    assert negative.reply_target == story
    assert Review.objects.get(external_id="reviewer:u5").rating == 5


def test_legacy_star_ratings_win_over_the_recommendation(facebook, facebook_source):
    facebook.add("old", "positive", "Vanha arvio", _now() - timedelta(days=3), legacy_rating=4)
    sync_source(facebook_source.pk)
    review = Review.objects.get()
    assert review.rating == 4 and review.recommendation == "positive"


def test_incremental_read_asks_since_and_sees_the_kotakahvila_edit(facebook, facebook_source):
    """The Kotakahvila story: a negative recommendation, our reply, then praise."""
    written = _now() - timedelta(days=20)
    facebook.add("kota", "negative", "Odotin muurikkalettua 20 minuuttia.", written)
    sync_source(facebook_source.pk)
    review = Review.objects.get()
    assert review.rating == 1

    review.replied_at = written + timedelta(minutes=40)
    review.save()
    facebook.edit("kota", "positive", "Pahoittelivat heti ja tarjosivat letut. Suosittelen!")
    facebook.seen.clear()
    result = sync_source(facebook_source.pk)
    assert result.changed == 1
    since = int(facebook.seen[0].query["since"])
    source = ReviewSource.objects.get(pk=facebook_source.pk)
    assert since == int((source.sync_mark - timedelta(days=30)).timestamp())
    review.refresh_from_db()
    assert review.rating == 5 and review.first_rating == 1 and review.recovered_at is not None
    assert list(review.revisions.values_list("rating", flat=True)) == [1, 5]


def test_a_full_read_comes_back_after_a_week(facebook, facebook_source):
    facebook.add("a", "positive", "Hyvä", _now() - timedelta(days=200))
    sync_source(facebook_source.pk)
    facebook.seen.clear()
    sync_source(facebook_source.pk)
    assert "since" in facebook.seen[0].query
    facebook.seen.clear()
    sync_source(facebook_source.pk, now=timezone.now() + timedelta(days=8))
    assert "since" not in facebook.seen[0].query


def test_an_expired_page_token_is_recorded_and_nothing_is_lost(facebook, facebook_source):
    facebook.add("a", "positive", "Hyvä", _now() - timedelta(days=2))
    sync_source(facebook_source.pk)
    facebook.token = "EAAG-new-token"
    result = sync_source(facebook_source.pk)
    assert "code 190" in result.error and "connect again" in result.error
    assert facebook.token not in result.error and "EAAG" not in result.error
    source = ReviewSource.objects.get(pk=facebook_source.pk)
    assert source.last_error == result.error and source.last_error_at is not None
    assert Review.objects.count() == 1


def test_a_500_is_recorded(facebook, facebook_source):
    facebook.fail_next = 1
    result = sync_source(facebook_source.pk)
    assert "HTTP 500" in result.error
    assert ReviewSource.objects.get(pk=facebook_source.pk).sync_mark is None
