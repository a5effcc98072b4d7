"""Withdrawal takes a testimonial off the feed, the JSON-LD and the reference page at once,
and anything that changes without telling the cache is gone within a minute: checked with the
real cache and a clock moved by hand."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from palaute.outreach.models import Account
from palaute.outreach.tests.helpers import make_account
from palaute.testimonials import public_cache, workflow
from palaute.testimonials.models import ConsentRecord, Testimonial
from palaute.testimonials.publication import publication_for
from palaute.testimonials.tests.helpers import consent_survey, make_org, published

pytestmark = pytest.mark.django_db
QUOTE = "Urakka valmistui sovitusti."


class Clock:
    def __init__(self):
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(public_cache, "clock", fake)
    return fake


@pytest.fixture
def setup():
    org = make_org("rakennus")
    survey = consent_survey(org)
    testimonial = published(
        survey,
        consent={"agreed": True, "naming": "company", "company": "Rakennus Oy"},
        comment=QUOTE,
    )
    workflow.set_reference(
        testimonial, make_account(org, "Rakennus Oy"), sector="Rakentaminen", website="", actor=None
    )
    return publication_for(org), testimonial


def surfaces(key: str) -> dict[str, str]:
    client = Client()
    return {
        path: client.get(f"/t/{key}/{path}").content.decode()
        for path in ("testimonials.json", "reviews.jsonld", "reviews-snippet.html", "references/")
    }


def test_withdrawal_is_visible_on_the_next_request(setup, clock):
    publication, testimonial = setup
    before = surfaces(publication.key)
    assert all(QUOTE in body for body in before.values()), before
    assert surfaces(publication.key) == before  # served from the cache

    workflow.withdraw(testimonial.consent, via="link")
    after = surfaces(publication.key)  # same instant: no time has passed
    assert not [path for path, body in after.items() if QUOTE in body]
    assert "Rakennus Oy" not in after["references/"]


def test_the_widget_revalidates_and_gets_the_change(setup, clock):
    publication, testimonial = setup
    first = Client().get(f"/t/{publication.key}/testimonials.json")
    etag = first["ETag"]
    assert (
        Client()
        .get(f"/t/{publication.key}/testimonials.json", headers={"If-None-Match": etag})
        .status_code
        == 304
    )
    workflow.withdraw(testimonial.consent, via="staff", note="Sähköposti")
    again = Client().get(f"/t/{publication.key}/testimonials.json", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.json()["testimonials"] == []


def test_a_change_the_cache_is_not_told_about_shows_within_a_minute(setup, clock):
    """E.g. an account renamed on the contacts pages, or another process's write: bounded by
    the cache's lifetime plus what browsers and proxies may keep (Cache-Control)."""
    publication, _testimonial = setup
    page = Client().get(f"/t/{publication.key}/references/")
    assert "Rakennus Oy" in page.content.decode()
    max_age = int(re.search(r"max-age=(\d+)", page["Cache-Control"]).group(1))
    assert public_cache.TTL_SECONDS + max_age <= 60

    Account.objects.filter(name="Rakennus Oy").update(name="Rakennus ja Remontti Oy")
    clock.now += public_cache.TTL_SECONDS - 1
    assert "Remontti" not in Client().get(f"/t/{publication.key}/references/").content.decode()
    clock.now += 2
    assert "Remontti" in Client().get(f"/t/{publication.key}/references/").content.decode()


def test_a_status_written_behind_the_workflows_back_is_gone_within_the_ttl(setup, clock):
    publication, testimonial = setup
    assert QUOTE in surfaces(publication.key)["testimonials.json"]
    Testimonial.objects.filter(pk=testimonial.pk).update(status="withdrawn")  # no generation bump
    assert QUOTE in surfaces(publication.key)["testimonials.json"]  # still cached
    clock.now += public_cache.TTL_SECONDS
    assert not [path for path, body in surfaces(publication.key).items() if QUOTE in body]


def test_only_the_organisations_own_cache_changes(setup, clock):
    publication, testimonial = setup
    other = consent_survey(make_org("toinen"), key="toinen")
    published(other, comment="Toisen firman lainaus")
    other_key = publication_for(other.organisation).key
    before = Client().get(f"/t/{other_key}/testimonials.json").content
    workflow.withdraw(testimonial.consent, via="link")
    publication.refresh_from_db()
    assert publication.generation > 0
    assert Client().get(f"/t/{other_key}/testimonials.json").content == before


def test_erasing_the_response_takes_the_testimonial_down_at_once(setup, clock):
    publication, testimonial = setup
    assert QUOTE in surfaces(publication.key)["testimonials.json"]
    testimonial.consent.response.delete()
    assert not ConsentRecord.objects.exists()
    assert not [path for path, body in surfaces(publication.key).items() if QUOTE in body]
