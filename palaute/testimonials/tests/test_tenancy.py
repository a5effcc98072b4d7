"""One organisation never sees or changes another's testimonials, consent records or public
output; and the publication settings page with the embed code."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import make_member
from palaute.outreach import conf
from palaute.testimonials.models import Publication
from palaute.testimonials.publication import publication_for
from palaute.testimonials.tests.helpers import consent_survey, make_org, manager, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def two():
    first = consent_survey(make_org("rakennus"), key="a")
    second = consent_survey(make_org("kahvila"), key="b")
    published(first, comment="Rakennuksen asiakas")
    published(second, comment="Kahvilan asiakas")
    return first.organisation, second.organisation


def test_public_output_is_per_organisation(two):
    first, second = two
    for org, own, foreign in (
        (first, "Rakennuksen", "Kahvilan"),
        (second, "Kahvilan", "Rakennuksen"),
    ):
        key = publication_for(org).key
        for path in ("testimonials.json", "reviews.jsonld", "reviews-snippet.html"):
            body = Client().get(f"/t/{key}/{path}").content.decode()
            assert own in body and foreign not in body, path
    assert publication_for(first).key != publication_for(second).key


def test_back_office_is_per_organisation(client, two):
    first, second = two
    client.force_login(manager(first))
    listing = client.get(reverse("testimonial_list")).content.decode()
    assert "Rakennuksen asiakas" in listing and "Kahvilan asiakas" not in listing
    settings_page = client.get(reverse("testimonial_settings")).content.decode()
    assert publication_for(first).key in settings_page
    assert publication_for(second).key not in settings_page


def test_settings_page_shows_the_embed_code_and_saves(client):
    org = make_org("rakennus")
    client.force_login(manager(org))
    page = client.get(reverse("testimonial_settings"), HTTP_ACCEPT_LANGUAGE="en")
    key = Publication.objects.get(organisation=org).key
    html = page.content.decode()
    assert f"{conf.site_url()}/t/{key}/widget.js" in html
    assert 'data-layout="grid"' in html and 'data-layout="carousel"' in html
    response = client.post(
        reverse("testimonial_settings"),
        {
            "subject_name": "Rakennus Oy",
            "subject_type": "LocalBusiness",
            "subject_url": "rakennus.example",
            "references_intro": "Asiakkaamme kertovat.",
        },
    )
    assert response.status_code == 302
    publication = Publication.objects.get(organisation=org)
    assert (publication.subject, publication.subject_url, publication.generation) == (
        "Rakennus Oy",
        "https://rakennus.example",
        1,
    )
    assert AuditEntry.objects.filter(
        organisation=org, action="testimonial.settings_changed"
    ).exists()
    bad = client.post(reverse("testimonial_settings"), {"subject_type": "Spaceship"})
    assert bad.status_code == 200 and "subject_type" in bad.content.decode()
    viewer = make_member(org, "vera", role=Role.VIEWER)
    client.force_login(viewer)
    assert client.get(reverse("testimonial_settings")).status_code == 200


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get(reverse("testimonial_list")).status_code == 302
