"""Fixtures for the reviews tests: an organisation with a located touchpoint, and the fake
Google and Facebook servers on loopback with sources connected to them."""

from __future__ import annotations

import pytest

from palaute.accounts.tests.helpers import make_location, make_org, make_stage, make_touchpoint
from palaute.journeys.models import Channel
from palaute.reviews.models import ReviewSource, SourceKind
from palaute.reviews.tests.fake_facebook import FakeFacebook
from palaute.reviews.tests.fake_google import FakeGoogle


@pytest.fixture
def org(db):
    return make_org("kotakahvila", "Kotakahvila")


@pytest.fixture
def touchpoint(org):
    stage = make_stage(org, "post_purchase")
    location = make_location(org, "Kota")
    return make_touchpoint(stage, "reviews-kota", channel=Channel.SOCIAL, location=location)


@pytest.fixture
def google():
    fake = FakeGoogle().start()
    yield fake
    fake.stop()


@pytest.fixture
def facebook():
    fake = FakeFacebook().start()
    yield fake
    fake.stop()


@pytest.fixture
def google_source(org, touchpoint, google, settings):
    settings.SITE_URL = "http://testserver"
    source = ReviewSource(
        organisation=org,
        kind=SourceKind.GOOGLE,
        name="Kota on Google",
        touchpoint=touchpoint,
        base_url=google.origin,
        token_url=f"{google.origin}/token",
        google_location=google.location,
        client_id=google.client_id,
    )
    source.client_secret = google.client_secret
    source.access_token = google.first_token
    source.refresh_token = google.refresh_token
    source.save()
    return source


@pytest.fixture
def facebook_source(org, touchpoint, facebook, settings):
    settings.SITE_URL = "http://testserver"
    source = ReviewSource(
        organisation=org,
        kind=SourceKind.FACEBOOK,
        name="Kotakahvila on Facebook",
        touchpoint=touchpoint,
        base_url=facebook.base_url,
        facebook_page_id=facebook.page_id,
    )
    source.access_token = facebook.token
    source.save()
    return source
