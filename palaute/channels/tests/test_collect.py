"""The public submission endpoint over HTTP: /c/<key>/survey.json and /c/<key>/responses."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from palaute.channels import collect
from palaute.insights.models import ScoreCount
from palaute.surveys.models import Response
from palaute.surveys.publishing import publish_version
from palaute.surveys.tests.helpers import (
    definition,
    make_org,
    make_survey,
    make_touchpoint,
    options,
    question,
)

SHOP = "https://shop.example"
TEST_IP = "203.0.113.77"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_caches():
    cache.clear()
    collect.clear_cache()
    yield
    collect.clear_cache()


@pytest.fixture
def survey():
    org = make_org("kahvila")
    org.allowed_origins = [SHOP]
    org.save()
    return make_survey(organisation=org)


def post(client, survey, payload=None, *, origin=None, content_type="application/json", **extra):
    if not isinstance(payload, bytes):
        payload = json.dumps({"idempotency_key": uuid.uuid4().hex, **(payload or {})})
    headers = {"Origin": origin} if origin else {}
    return client.post(
        f"/c/{survey.public_key}/responses",
        data=payload,
        content_type=content_type,
        headers=headers,
        **extra,
    )


def fields(response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


# ----------------------------------------------------------------------------- survey.json


def test_survey_json_has_what_a_respondent_needs_in_the_chosen_language(client):
    data = definition(
        question("nps", "nps", required=True),
        question("why", "text", show_if={"question": "nps", "op": "lte", "value": 6}),
        question("topic", "single_choice", options=options("food", "service")),
        question("stars", "rating", scale={"min": 1, "max": 7}),
        intro={"fi": "Hei", "en": "Hello"},
    )
    survey = make_survey(data)
    response = client.get(f"/c/{survey.public_key}/survey.json?lang=en")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["language"] == "en"
    assert body["title"] == "How did we do?"
    assert body["intro"] == "Hello"
    assert body["thank_you"] == "Thank you for your feedback!"
    nps, why, topic, stars = body["questions"]
    assert nps == {
        "key": "nps",
        "type": "nps",
        "text": "nps en",
        "required": True,
        "scale": {"min": 0, "max": 10},
    }
    assert why["show_if"] == {"question": "nps", "op": "lte", "value": 6}
    assert topic["options"] == [
        {"key": "food", "text": "food en"},
        {"key": "service", "text": "service en"},
    ]
    assert stars["scale"] == {"min": 1, "max": 7}
    # Nothing internal: no ids, organisation, version or other languages' texts.
    assert set(body) == {"language", "languages", "title", "intro", "thank_you", "questions"}
    finnish = client.get(f"/c/{survey.public_key}/survey.json?lang=fi").json()
    assert finnish["title"] == "Miten onnistuimme?" and finnish["questions"][0]["text"] == "nps fi"
    # An unknown language falls back to the survey's default.
    assert client.get(f"/c/{survey.public_key}/survey.json?lang=de").json()["language"] == "fi"


def test_unknown_key_is_404_and_inactive_or_unpublished_survey_is_410(client, survey):
    for path in ("/c/nosuchkey123/survey.json", "/c/no$such/survey.json"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert post(client, type(survey)(public_key="nosuchkey123"), {}).status_code == 404

    survey.is_active = False
    survey.save()
    response = client.get(f"/c/{survey.public_key}/survey.json")
    assert response.status_code == 410
    assert response.json()["error"]["code"] == "gone"
    assert post(client, survey, {"answers": {"nps": 9}}).status_code == 410

    survey.is_active = True
    survey.current_version = None
    survey.save()
    assert client.get(f"/c/{survey.public_key}/survey.json").status_code == 410
    assert Response.objects.count() == 0


# ------------------------------------------------------------------------------ responses


def test_post_stores_once_and_a_repeat_returns_the_first_response(client, survey):
    payload = {
        "answers": {"nps": 3, "why": "Jono oli pitkä"},
        "language": "fi",
        "idempotency_key": "2f1c6a57-5f4c-4a51-9b37-3c1d2a9e0d11",
        "channel": "widget",
        "device_id": "d-123",
    }
    first = post(client, survey, payload)
    assert first.status_code == 201
    again = post(client, survey, payload)
    assert again.status_code == 200
    assert first.json() == again.json() == {"id": Response.objects.get().pk}
    response = Response.objects.get()
    assert (response.channel, response.language, response.device_id) == ("widget", "fi", "d-123")
    assert response.touchpoint == survey.touchpoint
    assert {a.question_key: (a.score, a.text) for a in response.answers.all()} == {
        "nps": (3, ""),
        "why": (None, "Jono oli pitkä"),
    }
    assert ScoreCount.objects.get(question_key="nps").n == 1  # counted once
    assert "Set-Cookie" not in first and not first.cookies


def test_defaults_channel_web_and_the_survey_language(client, survey):
    assert post(client, survey, {"answers": {"nps": 10}}).status_code == 201
    response = Response.objects.get()
    assert (response.channel, response.language) == ("web", "fi")


def test_validation_errors_name_each_field(client, survey):
    response = post(
        client,
        survey,
        {"answers": {"nps": 11, "colour": "blue"}, "language": "en", "channel": "email"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    # Top-level fields are checked first, all at once.
    assert fields(response) == {"channel": "Must be one of: widget, web, qr, kiosk."}

    response = post(client, survey, {"answers": {"nps": 11, "colour": "blue"}, "language": "en"})
    assert response.status_code == 422
    assert fields(response) == {
        "answers.nps": "Choose a number from 0 to 10.",
        "answers.colour": "This survey has no such question.",
    }
    response = post(client, survey, {"answers": {"why": "no score"}, "language": "en"})
    assert fields(response) == {"answers.nps": "This question is required."}
    response = post(client, survey, {"answers": {}, "language": "en"})
    assert fields(response) == {"answers.nps": "This question is required."}
    assert Response.objects.count() == 0


def test_messages_follow_the_respondents_language(client, survey):
    response = post(client, survey, {"answers": {"nps": 11}, "language": "fi"})
    assert fields(response) == {"answers.nps": "Valitse luku väliltä 0–10."}


def test_bad_top_level_fields(client, survey):
    response = client.post(
        f"/c/{survey.public_key}/responses",
        data=json.dumps(
            {
                "answers": [9],
                "language": "sv",
                "idempotency_key": "has spaces",
                "device_id": "x" * 65,
                "touchpoint": 5,
                "ip": "1.2.3.4",
            }
        ),
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert set(fields(response)) == {
        "answers",
        "language",
        "idempotency_key",
        "device_id",
        "touchpoint",
        "ip",
    }
    assert fields(response)["ip"] == "Unknown field."


def test_body_must_be_a_json_object(client, survey):
    for body in (b"{not json", b"\xff\xfe", b"[1, 2]", b""):
        response = post(client, survey, body)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "bad_request"
    response = post(client, survey, {"answers": {"nps": 9}}, content_type="multipart/form-data")
    assert response.status_code == 400
    # The widget sends text/plain (no CORS preflight); the body is JSON all the same.
    assert (
        post(client, survey, {"answers": {"nps": 9}}, content_type="text/plain").status_code == 201
    )


def test_a_body_over_64_kb_is_413(client, survey):
    big = {"answers": {"nps": 9, "why": "x" * (64 * 1024)}}
    response = post(client, survey, big)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert Response.objects.count() == 0


@override_settings(RATE_LIMIT_PUBLIC_IP="2/min")
def test_rate_limit_per_client_ip_answers_429_with_retry_after(client, survey):
    statuses = [
        post(client, survey, {"answers": {"nps": 9}}, REMOTE_ADDR=TEST_IP).status_code
        for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
    limited = post(client, survey, {"answers": {"nps": 9}}, REMOTE_ADDR=TEST_IP, origin=SHOP)
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # The widget on an allowed site may read the error and its Retry-After.
    assert limited["Access-Control-Allow-Origin"] == SHOP
    assert "Retry-After" in limited["Access-Control-Expose-Headers"]
    # Another client is counted on its own.
    other = post(client, survey, {"answers": {"nps": 9}}, REMOTE_ADDR="198.51.100.1")
    assert other.status_code == 201
    assert Response.objects.count() == 3


def test_behind_a_trusted_proxy_each_client_is_counted_on_its_own(client, survey, settings):
    settings.TRUSTED_PROXY_HOPS = 1
    settings.RATE_LIMIT_PUBLIC_IP = "2/min"
    proxy = "10.0.0.5"

    def via_proxy(forwarded_for):
        body = {"answers": {"nps": 9}}
        return post(client, survey, body, REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert [via_proxy(TEST_IP).status_code for _ in range(3)] == [201, 201, 429]
    # A client cannot escape its bucket by sending its own X-Forwarded-For in front.
    assert via_proxy(f"198.51.100.99, {TEST_IP}").status_code == 429
    # Another client behind the same proxy has its own budget.
    assert via_proxy("198.51.100.1").status_code == 201


def test_no_ip_address_is_stored_or_kept_in_the_cache(client, survey):
    assert post(client, survey, {"answers": {"nps": 9}}, REMOTE_ADDR=TEST_IP).status_code == 201
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                assert TEST_IP not in repr(row), table
    # The rate-limit counter is named by a keyed hash, not by the address.
    keys = list(getattr(cache, "_cache", {}).keys())
    assert keys and not any(TEST_IP in key for key in keys)


# ------------------------------------------------------------------------------------ CORS


def test_allowed_origin_gets_cors_headers_without_credentials(client, survey):
    response = post(client, survey, {"answers": {"nps": 9}}, origin=SHOP)
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response["Vary"]
    assert not response.has_header("Access-Control-Allow-Credentials")
    got = client.get(f"/c/{survey.public_key}/survey.json", headers={"Origin": SHOP})
    assert got.status_code == 200 and got["Access-Control-Allow-Origin"] == SHOP
    # Our own hosted pages (SITE_URL) are always allowed.
    own = post(client, survey, {"answers": {"nps": 9}}, origin="http://127.0.0.1:8000")
    assert own.status_code == 201


def test_forbidden_origin_is_403_without_cors_headers_and_stores_nothing(client, survey):
    for origin in ("https://evil.example", "http://shop.example", "null"):
        response = post(client, survey, {"answers": {"nps": 9}}, origin=origin)
        assert response.status_code == 403, origin
        assert response.json()["error"]["code"] == "forbidden_origin"
        assert not response.has_header("Access-Control-Allow-Origin")
    got = client.get(f"/c/{survey.public_key}/survey.json", headers={"Origin": "https://x.example"})
    assert got.status_code == 403 and not got.has_header("Access-Control-Allow-Origin")
    assert Response.objects.count() == 0


def test_allowed_origins_are_compared_in_normal_form(client, survey):
    organisation = survey.organisation
    organisation.allowed_origins = ["HTTPS://Shop.Example:443/", "http://127.0.0.1:8123"]
    organisation.save()  # this process forgets the cached survey at once
    assert post(client, survey, {"answers": {"nps": 9}}, origin=SHOP).status_code == 201
    assert (
        post(client, survey, {"answers": {"nps": 9}}, origin="http://127.0.0.1:8123").status_code
        == 201
    )
    assert (
        post(client, survey, {"answers": {"nps": 9}}, origin="http://127.0.0.1:8124").status_code
        == 403
    )


def test_normalise_origin():
    assert collect.normalise_origin("HTTPS://Shop.Example:443/") == SHOP
    assert collect.normalise_origin("http://127.0.0.1:8080") == "http://127.0.0.1:8080"
    assert collect.normalise_origin("http://[::1]:8080") == "http://[::1]:8080"
    for bad in ("null", "shop.example", "ftp://x.example", "https://x.example/path", "", None, 5):
        assert collect.normalise_origin(bad) is None, bad


def test_preflight(client, survey):
    url = f"/c/{survey.public_key}/responses"
    headers = {"Origin": SHOP, "Access-Control-Request-Method": "POST"}
    response = client.options(url, headers=headers)
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(response["Access-Control-Max-Age"]) > 0
    forbidden = client.options(url, headers={**headers, "Origin": "https://evil.example"})
    assert forbidden.status_code == 403
    assert not forbidden.has_header("Access-Control-Allow-Origin")
    assert client.options(f"/c/{survey.public_key}/survey.json", headers=headers).status_code == 204


def test_other_methods_are_405(client, survey):
    assert client.get(f"/c/{survey.public_key}/responses").status_code == 405
    assert client.post(f"/c/{survey.public_key}/survey.json").status_code == 405


# --------------------------------------------------------------------------------- tenancy


def test_touchpoint_must_belong_to_the_surveys_organisation(client, survey):
    other_org = make_org("naapuri")
    make_touchpoint(other_org, "window")
    response = post(client, survey, {"answers": {"nps": 9}, "touchpoint": "window"})
    assert response.status_code == 422
    assert set(fields(response)) == {"touchpoint"}

    own = make_touchpoint(survey.organisation, "terrace", stage_key="post")
    assert post(client, survey, {"answers": {"nps": 9}, "touchpoint": "terrace"}).status_code == 201
    stored = Response.objects.get()
    assert (stored.touchpoint, stored.stage_id) == (own, own.stage_id)


def test_another_organisations_origin_list_does_not_open_this_survey(client, survey):
    other = make_org("naapuri")
    other.allowed_origins = ["https://naapuri.example"]
    other.save()
    response = post(client, survey, {"answers": {"nps": 9}}, origin="https://naapuri.example")
    assert response.status_code == 403


# ------------------------------------------------------------------------ the survey cache


def test_a_new_version_published_in_this_process_is_used_at_once(client, survey):
    assert post(client, survey, {"answers": {"nps": 9}}).status_code == 201
    new = definition(question("csat", "csat", required=True))
    version = publish_version(survey, new)
    assert client.get(f"/c/{survey.public_key}/survey.json").json()["questions"][0]["key"] == "csat"
    assert post(client, survey, {"answers": {"csat": 5}}).status_code == 201
    assert Response.objects.order_by("id").last().version == version


def test_changes_by_another_process_are_seen_after_the_ttl(client, survey, monkeypatch):
    assert post(client, survey, {"answers": {"nps": 9}}).status_code == 201
    type(survey).objects.filter(pk=survey.pk).update(is_active=False)  # no signal here
    assert post(client, survey, {"answers": {"nps": 9}}).status_code == 201  # still cached
    now = collect.time.monotonic()
    monkeypatch.setattr(collect.time, "monotonic", lambda: now + collect.ENTRY_TTL_SECONDS + 1)
    assert post(client, survey, {"answers": {"nps": 9}}).status_code == 410


def test_a_cached_submission_makes_no_query_before_its_inserts(
    client, survey, django_assert_max_num_queries
):
    assert post(client, survey, {"answers": {"nps": 9}}).status_code == 201
    # Only record_response's writes: the response, the answers, the score counts, and the
    # transaction around them (here a savepoint inside the test's own transaction).
    with django_assert_max_num_queries(5) as captured:
        assert post(client, survey, {"answers": {"nps": 3, "why": "hidas"}}).status_code == 201
    sqls = [q["sql"] for q in captured.captured_queries]
    assert not any(sql.lstrip().upper().startswith("SELECT") for sql in sqls), sqls


@pytest.mark.django_db(transaction=True)
def test_a_touchpoint_deleted_by_another_process_is_reloaded_not_a_500(client):
    survey = make_survey()
    assert post(client, survey, {"answers": {"nps": 9}}).status_code == 201  # now cached
    # Another process deletes the touchpoint: no signal reaches this process's cache.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_answer")
        cursor.execute("DELETE FROM surveys_response")
        cursor.execute("UPDATE surveys_survey SET touchpoint_id = NULL")
        cursor.execute("DELETE FROM journeys_touchpoint")
    response = post(client, survey, {"answers": {"nps": 7}})
    assert response.status_code == 201
    assert Response.objects.get().touchpoint is None
