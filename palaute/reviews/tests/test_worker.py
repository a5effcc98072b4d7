"""The worker's side: the periodic duty queues due sources, the sync job reads them, and the
analysis job stores sentiment and themes of the review text."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from palaute.outreach import periodic
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.reviews.models import Review, ReviewSource, ReviewTheme
from palaute.reviews.sync import due_sources

pytestmark = pytest.mark.django_db


def test_periodic_duty_syncs_due_sources_and_analyses_their_text(google, google_source):
    google.add("a", 1, "Henkilökunta oli todella töykeää ja jonotimme tunnin.", timezone.now())
    google.add("b", 5, "Ihana tunnelma ja erittäin ystävällinen henkilökunta!", timezone.now())
    now = timezone.now()
    assert "reviews" in periodic.enqueue_due(now)
    run_due_jobs()  # the duty → a sync job → analysis jobs
    assert Review.objects.count() == 2
    rude = Review.objects.get(external_id="a")
    assert rude.analysed_at is not None and rude.language == "fi"
    assert rude.sentiment == "negative"
    assert ReviewTheme.objects.filter(review=rude, theme_key="staff", sentiment="negative").exists()
    kind = Review.objects.get(external_id="b")
    assert kind.sentiment == "positive"

    # Just synced: not due again until REVIEWS_SYNC_MINUTES have passed.
    assert due_sources(timezone.now()) == []
    assert due_sources(timezone.now() + timedelta(minutes=31)) == [google_source.pk]


def test_disconnected_and_paused_sources_are_not_polled(google_source):
    later = timezone.now() + timedelta(hours=1)
    assert due_sources(later) == [google_source.pk]
    ReviewSource.objects.filter(pk=google_source.pk).update(is_active=False)
    assert due_sources(later) == []
    ReviewSource.objects.filter(pk=google_source.pk).update(
        is_active=True, access_token_encrypted="", refresh_token_encrypted=""
    )
    assert due_sources(later) == []
    assert not DBTaskResult.objects.exists()


def test_an_edited_text_is_analysed_again(google, google_source):
    google.add("a", 5, "Ihana paikka, ystävällinen henkilökunta.", timezone.now())
    periodic.enqueue_due(timezone.now())
    run_due_jobs()
    assert Review.objects.get().sentiment == "positive"
    google.edit("a", 1, "Kahvi oli kylmää ja hinta aivan liian kallis.", timezone.now())
    from palaute.reviews.sync import sync_source

    sync_source(google_source.pk)
    assert Review.objects.get().analysed_at is None
    run_due_jobs()
    review = Review.objects.get()
    assert review.sentiment == "negative"
    assert set(review.themes.values_list("theme_key", flat=True)) >= {"price_value"}
