"""The closed loop: new and worsened reviews go to the LOW_REVIEW rules (default ≤ 2★)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palaute.loop.models import Case
from palaute.reviews.incoming import IncomingReview
from palaute.reviews.models import Review
from palaute.reviews.store import record_review
from palaute.reviews.sync import sync_source

pytestmark = pytest.mark.django_db


def _incoming(external_id, rating, *, days_ago=1, text="Kahvi oli kylmää.", updated=None):
    written = timezone.now() - timedelta(days=days_ago)
    return IncomingReview(
        external_id=external_id,
        reviewed_at=written,
        rating=rating,
        text=text,
        author_name="Pekka",
        updated_at=updated or written,
    )


def test_a_new_two_star_review_opens_a_case(google, google_source):
    google.add("low", 2, "Jouduin odottamaan muurikkalettua 20 minuuttia.", timezone.now())
    google.add("high", 5, "Ihana paikka", timezone.now())
    sync_source(google_source.pk)
    low = Review.objects.get(external_id="low")
    assert low.case is not None
    assert low.case.touchpoint == google_source.touchpoint
    assert low.case.severity == "high"
    assert Review.objects.get(external_id="high").case is None
    assert Case.objects.count() == 1


def test_history_from_a_first_sync_opens_no_cases(google, google_source):
    google.add("old", 1, "Huono", timezone.now() - timedelta(days=60))
    sync_source(google_source.pk)
    assert Review.objects.get().case is None and not Case.objects.exists()


def test_a_rating_drop_opens_a_case_and_a_rise_does_not(org, google_source):
    outcome = record_review(google_source, _incoming("r", 4))
    assert outcome.review.case is None
    dropped = record_review(google_source, _incoming("r", 1, updated=timezone.now()))
    assert dropped.changed and dropped.review.case is not None
    case = dropped.review.case
    # Rising again changes nothing in the loop; the same review dropping again while its
    # case is open opens no second case.
    record_review(google_source, _incoming("r", 3, updated=timezone.now()))
    record_review(google_source, _incoming("r", 1, updated=timezone.now()))
    assert Case.objects.count() == 1
    assert Review.objects.get().case == case


def test_the_review_page_links_its_case(google, google_source, org):
    from django.test import Client

    from palaute.accounts.tests.helpers import PASSWORD, make_member

    google.add("low", 1, "Kylmää kahvia.", timezone.now())
    sync_source(google_source.pk)
    review = Review.objects.get()
    user = make_member(org, "johanna", role="agent")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=PASSWORD)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert f'href="/cases/{review.case.number}/"' in page
    inbox = client.get("/reviews/").content.decode()
    assert f"Case #{review.case.number}" in inbox
    # The case keeps the review's link, so the loop's page leads back here.
    assert review.case.source_url == f"http://testserver/reviews/{review.pk}/"
