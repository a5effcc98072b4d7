"""Kiosk HTTP: the public page, service worker and manifest (no cookies, right headers), the
tap sync endpoint with its errors and rate limit, and the back-office page with tenancy,
roles and "count these anyway"."""

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import PASSWORD, make_member
from palaute.channels.tests.test_kiosk import KIOSK, smiley_summary
from palaute.surveys.models import Response
from palaute.surveys.tests.helpers import NPS_WHY, make_org, make_survey, make_touchpoint

pytestmark = pytest.mark.django_db
DEVICE = "0f6c3c1e-5c1b-4c55-9a53-1d0c4f0c1a01"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def survey():
    return make_survey(KIOSK)


def page(survey, query=""):
    return reverse("kiosk_page", args=[survey.public_key]) + query


def config_of(response):
    html = response.content.decode()
    return json.loads(
        re.search(r'id="kiosk-config" type="application/json">(.*?)</script>', html).group(1)
    )


def tap(face=4, seconds_ago=1, **extra):
    at = timezone.now() - timedelta(seconds=seconds_ago)
    return {
        "id": str(uuid.uuid4()),
        "tapped_at": at.isoformat(),
        "answers": {"smiley": face},
        **extra,
    }


def post_taps(survey, body, client=None, **headers):
    client = client or Client(enforce_csrf_checks=True)
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        reverse("kiosk_taps", args=[survey.public_key]),
        data,
        content_type=headers.pop("content_type", "application/json"),
        **headers,
    )


# ------------------------------------------------------------------------------ the page


def test_the_page_shows_four_labelled_faces_and_sets_no_cookie(survey):
    response = Client().get(page(survey, "?lang=en&reset=0.2&why_timeout=1"))
    assert response.status_code == 200
    assert not response.cookies
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "no-cache"
    html = response.content.decode()
    assert '<html lang="en">' in html and "smiley en" in html
    assert re.findall(r'class="face f\d" data-score="(\d)"', html) == ["1", "2", "3", "4"]
    assert ">Very unhappy</span>" in html and ">Very happy</span>" in html
    assert "<script>" not in html  # no inline script: the config is JSON data
    config = config_of(response)
    assert config["followUp"] == {"1": "why", "2": "why", "3": None, "4": None}
    assert config["resetSeconds"] == 0.2 and config["whyTimeoutSeconds"] == 1.0
    assert config["texts"]["fi"]["followUps"] == {"why": "why fi"}
    assert config["texts"]["en"]["thankYou"] == "Thank you for your feedback!"
    assert config["syncUrl"] == reverse("kiosk_taps", args=[survey.public_key])


def test_timings_are_bounded(survey):
    config = config_of(Client().get(page(survey, "?reset=0&why_timeout=99999&sync=nan")))
    assert config["resetSeconds"] == 0.1
    assert config["whyTimeoutSeconds"] == 300
    assert config["syncSeconds"] == 15


def test_a_survey_without_a_smiley_first_says_so():
    survey = make_survey(NPS_WHY)
    response = Client().get(page(survey, "?lang=en"))
    assert response.status_code == 409
    assert "first question must be a smiley question" in response.content.decode()


def test_closed_and_unknown_kiosks(survey):
    assert Client().get("/k/nosuchkey123/").status_code == 404
    survey.is_active = False
    survey.save()
    response = Client().get(page(survey, "?lang=en"))
    assert response.status_code == 410
    assert "This kiosk is closed" in response.content.decode()


def test_tp_must_be_a_touchpoint_of_the_same_organisation(survey):
    make_touchpoint(survey.organisation, "terrace")
    make_touchpoint(make_org("other"), "stranger")
    response = Client().get(page(survey, "?tp=terrace"))
    assert config_of(response)["touchpoint"] == "terrace"
    response = Client().get(page(survey, "?tp=stranger&lang=en"))
    assert response.status_code == 404
    assert "tp=stranger" in response.content.decode()
    assert Client().get(page(survey, "manifest.webmanifest?tp=stranger")).status_code == 404


def test_service_worker_and_manifest(survey):
    response = Client().get(reverse("kiosk_sw"))
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/k/"
    body = response.content.decode()
    assert "__VERSION__" not in body and "__ASSETS__" not in body
    assert '"/static/channels/kiosk.js"' in body
    assert not response.cookies

    response = Client().get(page(survey, "manifest.webmanifest?tp=counter&lang=en"))
    manifest = json.loads(response.content)
    assert response["Content-Type"] == "application/manifest+json"
    assert manifest["display"] == "fullscreen"
    assert manifest["start_url"] == page(survey, "?tp=counter&lang=en")
    assert manifest["scope"] == page(survey)
    assert manifest["name"] == "How did we do?"


# --------------------------------------------------------------------------------- sync


def test_sync_stores_taps_without_csrf_or_cookies(survey):
    taps = [tap(4), tap(1, answers={"smiley": 1, "why": "Hidas"}, language="en")]
    response = post_taps(survey, {"device_id": DEVICE, "taps": taps})
    assert response.status_code == 200
    assert not response.cookies
    assert response.json() == {
        "results": [{"id": t["id"], "status": "created"} for t in taps],
    }
    again = post_taps(survey, {"device_id": DEVICE, "taps": taps}).json()["results"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
    assert Response.objects.filter(channel="kiosk", device_id=DEVICE).count() == 2


def test_sync_reports_invalid_taps(survey):
    old = tap(4, seconds_ago=31 * 86400)
    response = post_taps(survey, {"device_id": DEVICE, "taps": [old, tap(3)]})
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["invalid", "created"]
    assert results[0]["errors"] == {"tapped_at": "must not be more than 30 days in the past"}


@pytest.mark.parametrize(
    "body, content_type, status, field",
    [
        ({"device_id": DEVICE, "taps": []}, "application/json", 400, "taps"),
        ({"device_id": "short", "taps": [{}]}, "application/json", 400, "device_id"),
        ("{not json", "application/json", 400, "body"),
        ("device_id=x", "application/x-www-form-urlencoded", 415, "body"),
        ({"device_id": DEVICE, "taps": ["x" * 300_000]}, "application/json", 413, "body"),
    ],
)
def test_malformed_requests_name_the_problem(survey, body, content_type, status, field):
    response = post_taps(survey, body, content_type=content_type)
    assert response.status_code == status
    error = response.json()["error"]
    assert field in [f["field"] for f in error["fields"]]
    assert error["code"] in {"validation_error", "payload_too_large", "unsupported_media_type"}
    assert Response.objects.count() == 0


def test_sync_to_closed_unknown_or_unsuitable_kiosks_keeps_the_taps_queued(survey):
    body = {"device_id": DEVICE, "taps": [tap()]}
    response = Client().post(
        "/k/nosuchkey123/taps", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 404
    survey.is_active = False
    survey.save()
    assert post_taps(survey, body).status_code == 410
    unsuitable = make_survey(NPS_WHY, organisation=survey.organisation, key="nps")
    assert post_taps(unsuitable, body).status_code == 409
    assert Response.objects.count() == 0


def test_sync_is_rate_limited_per_device(survey, settings):
    settings.RATE_LIMIT_PUBLIC_IP = "2/min"
    for _ in range(2):
        assert post_taps(survey, {"device_id": DEVICE, "taps": [tap()]}).status_code == 200
    limited = post_taps(survey, {"device_id": DEVICE, "taps": [tap()]})
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    other = post_taps(survey, {"device_id": "another-tablet-42", "taps": [tap()]})
    assert other.status_code == 200


def test_get_is_not_allowed_on_the_sync_endpoint(survey):
    assert Client().get(reverse("kiosk_taps", args=[survey.public_key])).status_code == 405


# -------------------------------------------------------------------------- back office


def login(user):
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def mashed(survey, taps=7):
    start = timezone.now() - timedelta(minutes=1)
    body = {
        "device_id": DEVICE,
        "taps": [
            {**tap(face), "tapped_at": (start + timedelta(seconds=i)).isoformat()}
            for i, face in enumerate([4, 4, 3, 4, 4, 1, 1][:taps])
        ],
    }
    assert post_taps(survey, body).status_code == 200
    return list(
        Response.objects.filter(survey=survey).exclude(flagged="").values_list("pk", flat=True)
    )


def test_back_office_shows_link_devices_and_flagged_taps(survey):
    flagged = mashed(survey)
    viewer = make_member(survey.organisation, "viewer", Role.VIEWER)
    response = login(viewer).get(
        reverse("survey_kiosk", args=[survey.key]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"/k/{survey.public_key}/" in html
    assert "Add the page to the home screen" in html
    assert f'title="{DEVICE}"' in html  # the device row of today
    assert "Flagged taps in the last 30 days: 2." in html
    assert 'name="response"' not in html  # a viewer may look but not act
    assert len(flagged) == 2


def test_back_office_explains_an_unsuitable_survey():
    survey = make_survey(NPS_WHY)
    owner = make_member(survey.organisation, "owner", Role.OWNER)
    response = login(owner).get(
        reverse("survey_kiosk", args=[survey.key]), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert "This survey cannot run on a kiosk yet" in html
    assert '"type": "smiley"' in html
    assert f"/k/{survey.public_key}/" not in html


def test_count_these_anyway_restores_the_counts_and_is_audited(survey):
    flagged = mashed(survey)
    assert smiley_summary(survey).n == 5
    manager = login(make_member(survey.organisation, "manager", Role.MANAGER))
    html = manager.get(reverse("survey_kiosk", args=[survey.key])).content.decode()
    assert sorted(map(int, re.findall(r'name="response" value="(\d+)"', html))) == sorted(flagged)
    url = reverse("survey_kiosk_unflag", args=[survey.key])
    response = manager.post(url, {"response": [str(pk) for pk in flagged]})
    assert response.status_code == 302
    assert smiley_summary(survey).n == 7
    assert not Response.objects.exclude(flagged="").exists()
    entry = AuditEntry.objects.get(action="kiosk.unflag")
    assert entry.actor.username == "manager" and entry.detail["counted"] == 2


def test_only_managers_may_count_flagged_taps(survey):
    flagged = mashed(survey)
    agent = make_member(survey.organisation, "agent", Role.AGENT)
    url = reverse("survey_kiosk_unflag", args=[survey.key])
    assert login(agent).post(url, {"response": flagged}).status_code == 403
    assert Response.objects.exclude(flagged="").count() == 2


def test_another_organisation_gets_404_and_cannot_unflag(survey):
    flagged = mashed(survey)
    other = make_org("other")
    make_survey(KIOSK, organisation=other, key="their-kiosk")
    stranger = login(make_member(other, "stranger", Role.OWNER))
    assert stranger.get(reverse("survey_kiosk", args=[survey.key])).status_code == 404
    assert (
        stranger.post(
            reverse("survey_kiosk_unflag", args=[survey.key]), {"response": flagged}
        ).status_code
        == 404
    )
    # Their own survey's form with our response ids changes nothing either.
    stranger.post(reverse("survey_kiosk_unflag", args=["their-kiosk"]), {"response": flagged})
    assert Response.objects.exclude(flagged="").count() == 2
    assert smiley_summary(survey).n == 5
