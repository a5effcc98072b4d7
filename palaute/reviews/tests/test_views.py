"""The review pages through the real URLconf: inbox filters, the review page with its history,
replying with the tone guard (warns, never blocks), trends, sources, import and tenancy."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from palaute.accounts.tests.helpers import PASSWORD, make_member, make_org
from palaute.reviews.importer import import_reviews
from palaute.reviews.incoming import IncomingReview
from palaute.reviews.models import Review, ReviewReply, ReviewSource, ReviewTheme, SourceKind
from palaute.reviews.store import record_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


@pytest.fixture
def manager(org):
    return make_member(org, "johanna", role="manager")


@pytest.fixture
def reviews(org, google_source):
    now = timezone.now()
    low = record_review(
        google_source,
        IncomingReview(
            "low",
            now - timedelta(days=40),
            1,
            "FIVE",
            text="Odotin 20 minuuttia.",
            author_name="Pekka",
        ),
    ).review
    record_review(
        google_source,
        IncomingReview(
            "low",
            now - timedelta(days=40),
            5,
            "FIVE",
            text="Korjasivat asian!",
            author_name="Pekka",
            updated_at=now - timedelta(days=10),
        ),
    )
    high = record_review(
        google_source,
        IncomingReview(
            "high", now - timedelta(days=39), 5, "FIVE", text="Ihana kota.", author_name="Maija"
        ),
    ).review
    ReviewTheme.objects.create(
        organisation=org, review=high, theme_key="staff", sentiment="positive"
    )
    return {"low": low, "high": high}


def test_inbox_filters(client, manager, reviews):
    login(client, manager)
    page = client.get("/reviews/").content.decode()
    assert "Pekka" in page and "Maija" in page and "Edited: 1★ → 5★" in page
    changed = client.get("/reviews/", {"changed": "1"}).content.decode()
    assert "Pekka" in changed and "Maija" not in changed
    themed = client.get("/reviews/", {"theme": "staff"}).content.decode()
    assert "Maija" in themed and "Pekka" not in themed
    assert "Pekka" not in client.get("/reviews/", {"rating": "4"}).content.decode()
    assert "Pekka" in client.get("/reviews/", {"unanswered": "1"}).content.decode()
    bad = client.get("/reviews/", {"rating": "9", "source": "x"})
    assert bad.status_code == 200 and "Choose 1 to 5 stars." in bad.content.decode()


def test_review_page_shows_history_and_the_tone_guard_warns_without_blocking(
    client, manager, reviews, google
):
    login(client, manager)
    review = reviews["low"]
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "Edit history" in page and "Odotin 20 minuuttia." in page
    assert f'hx-post="/reviews/{review.pk}/tone/"' in page

    text = "You should have read the menu. We guarantee it will never happen again."
    tone = client.post(f"/reviews/{review.pk}/tone/", {"body": text}).content.decode()
    assert '<mark class="tone-flag tone-blame"' in tone
    assert "tone-overpromise" in tone and "you can still post" in tone

    posted = client.post(f"/reviews/{review.pk}/reply/", {"body": text, "key": "abc"})
    assert posted.status_code == 302
    reply = ReviewReply.objects.get()
    assert reply.status == ReviewReply.Status.QUEUED and reply.author == manager
    assert {f["category"] for f in reply.tone_flags} == {"blame", "overpromise"}
    # A double submit is the same reply.
    client.post(f"/reviews/{review.pk}/reply/", {"body": text, "key": "abc"})
    assert ReviewReply.objects.count() == 1


def test_viewers_cannot_reply(client, org, reviews):
    viewer = make_member(org, "ville", role="viewer")
    login(client, viewer)
    review = reviews["low"]
    assert client.get(f"/reviews/{review.pk}/").status_code == 200
    assert client.post(f"/reviews/{review.pk}/reply/", {"body": "x", "key": "k"}).status_code == 403
    assert client.get("/reviews/sources/").status_code == 403


def test_replied_elsewhere_for_an_imported_review(client, org, manager):
    import_reviews(org, b"site,external_id,rating,time\nTripadvisor,t1,2,2024-05-01T10:00:00Z\n")
    review = Review.objects.get()
    login(client, manager)
    page = client.get(f"/reviews/{review.pk}/").content.decode()
    assert "Mark as replied elsewhere" in page
    client.post(
        f"/reviews/{review.pk}/replied-elsewhere/",
        {
            "elsewhere-key": "k",
            "elsewhere-replied_on": "2024-05-01T15:00",
            "elsewhere-body": "Vastasimme Tripadvisorissa",
        },
    )
    review.refresh_from_db()
    assert review.replied_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)  # 15:00 Helsinki
    assert review.response_seconds == 2 * 3600


def test_trends_page(client, manager, reviews):
    login(client, manager)
    page = client.get("/reviews/trends/", {"months": "3"}).content.decode()
    assert "Review trends" in page and "<svg" in page and "Kota" in page
    assert client.get("/reviews/trends/", {"months": "x", "kind": "y"}).status_code == 200


def test_sources_page_shows_errors_and_never_tokens(client, manager, google_source):
    ReviewSource.objects.filter(pk=google_source.pk).update(
        last_error="Google answered HTTP 503", last_error_at=timezone.now()
    )
    login(client, manager)
    page = client.get("/reviews/sources/").content.decode()
    assert "Google answered HTTP 503" in page
    edit = client.get(f"/reviews/sources/{google_source.pk}/").content.decode()
    assert google_source.access_token not in edit and google_source.refresh_token not in edit
    assert "An access token is stored." in edit


def test_creating_a_facebook_source_encrypts_the_token(client, org, manager, touchpoint):
    login(client, manager)
    response = client.post(
        "/reviews/sources/new/facebook/",
        {
            "name": "Kotakahvila FB",
            "touchpoint": touchpoint.pk,
            "is_active": "on",
            "facebook_page_id": "1234567",
            "access_token": "EAAG-secret",
        },
    )
    assert response.status_code == 302
    source = ReviewSource.objects.get(kind=SourceKind.FACEBOOK)
    assert source.access_token == "EAAG-secret" and "EAAG" not in source.access_token_encrypted
    bad = client.post("/reviews/sources/new/google/", {"name": "G", "google_location": "x"})
    assert "accounts/&lt;account id&gt;/locations/&lt;id&gt;" in bad.content.decode()


def test_import_page_names_row_and_column(client, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, manager)
    upload = SimpleUploadedFile("r.csv", b"site,external_id,rating,time\nX,1,7,2024-01-01\n")
    page = client.post("/reviews/import/", {"file": upload}).content.decode()
    assert "Nothing was imported" in page and "Row 2, column “rating”" in page


def test_another_organisation_sees_and_changes_nothing(client, reviews, google_source):
    stranger_org = make_org("muu")
    stranger = make_member(stranger_org, "outsider", role="owner")
    login(client, stranger)
    review = reviews["low"]
    assert client.get(f"/reviews/{review.pk}/").status_code == 404
    assert client.post(f"/reviews/{review.pk}/reply/", {"body": "x", "key": "k"}).status_code == 404
    assert client.post(f"/reviews/{review.pk}/tone/", {"body": "x"}).status_code == 404
    assert client.post(f"/reviews/{review.pk}/replied-elsewhere/", {"key": "k"}).status_code == 404
    assert client.get(f"/reviews/sources/{google_source.pk}/").status_code == 404
    assert client.post(f"/reviews/sources/{google_source.pk}/sync/").status_code == 404
    assert client.post(f"/reviews/sources/{google_source.pk}/disconnect/").status_code == 404
    assert "Pekka" not in client.get("/reviews/").content.decode()
    assert "Pekka" not in client.get("/reviews/", {"source": google_source.pk}).content.decode()
    trends = client.get("/reviews/trends/").content.decode()
    assert "Kota" not in trends
    assert not ReviewReply.objects.exists()
    assert ReviewSource.objects.get(pk=google_source.pk).access_token_encrypted


def test_signing_in_with_google_stores_encrypted_tokens(
    client, manager, google, google_source, settings
):
    from urllib.parse import parse_qs, urlsplit

    settings.REVIEWS_GOOGLE_AUTH_URL = f"{google.origin}/o/oauth2/v2/auth"
    ReviewSource.objects.filter(pk=google_source.pk).update(
        access_token_encrypted="", refresh_token_encrypted=""
    )
    login(client, manager)
    start = client.post(f"/reviews/sources/{google_source.pk}/connect-google/")
    consent = urlsplit(start["Location"])
    query = {k: v[0] for k, v in parse_qs(consent.query).items()}
    assert consent.path == "/o/oauth2/v2/auth"
    assert query["client_id"] == google.client_id
    assert query["scope"] == "https://www.googleapis.com/auth/business.manage"
    assert query["access_type"] == "offline" and query["response_type"] == "code"
    redirect_uri = query["redirect_uri"]
    assert redirect_uri == "http://testserver/reviews/oauth/google/callback/"

    google.codes[redirect_uri] = "4/consent-code"
    tampered = client.get(
        "/reviews/oauth/google/callback/", {"state": query["state"] + "x", "code": "4/consent-code"}
    )
    assert tampered.status_code == 302
    assert not ReviewSource.objects.get(pk=google_source.pk).access_token_encrypted
    done = client.get(
        "/reviews/oauth/google/callback/", {"state": query["state"], "code": "4/consent-code"}
    )
    assert done.status_code == 302
    source = ReviewSource.objects.get(pk=google_source.pk)
    assert source.refresh_token == google.refresh_token
    assert source.access_token.startswith("ya29.consented-")
    assert "ya29" not in source.access_token_encrypted
    assert source.access_token_expires_at is not None

    # Another organisation's member cannot use this state.
    stranger = make_member(make_org("muu"), "outsider", role="owner")
    login(client, stranger)
    other = client.get(
        "/reviews/oauth/google/callback/", {"state": query["state"], "code": "4/consent-code"}
    )
    assert other.status_code == 404
