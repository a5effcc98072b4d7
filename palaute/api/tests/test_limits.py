"""Body size, list size and rate limits; the error shape of unexpected failures."""

import pytest
from django.http import HttpRequest

from palaute.accounts.tokens import create_token
from palaute.api.errors import PayloadTooLarge
from palaute.api.limits import MAX_ANSWER_KEYS, MAX_BODY_BYTES, check_body_size
from palaute.api.tests.conftest import ApiClient, fields
from palaute.surveys.models import Response

pytestmark = pytest.mark.django_db


def test_a_body_over_256_kb_is_413(write_api, survey):
    body = {"survey": "feedback", "answers": {"nps": 9, "why": "x" * MAX_BODY_BYTES}}
    response = write_api.post("/responses", body, headers={"Idempotency-Key": "big"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert not Response.objects.exists()


def test_a_body_without_content_length_is_measured():
    # Under ASGI a chunked body arrives whole with no Content-Length; its real size counts.
    request = HttpRequest()
    request._body = b"x" * (MAX_BODY_BYTES + 1)
    with pytest.raises(PayloadTooLarge):
        check_body_size(request)
    request._body = b"x" * MAX_BODY_BYTES
    check_body_size(request)
    request.META["CONTENT_LENGTH"] = str(MAX_BODY_BYTES + 1)  # declared: refused unread
    with pytest.raises(PayloadTooLarge):
        check_body_size(request)


def test_a_body_just_under_the_limit_is_accepted(write_api, survey):
    body = {"survey": "feedback", "answers": {"nps": 3, "why": "x" * 4000}}
    response = write_api.post("/responses", body, headers={"Idempotency-Key": "ok"})
    assert response.status_code == 201


def test_answers_have_at_most_200_keys(write_api, survey):
    answers = {f"q{i}": 1 for i in range(MAX_ANSWER_KEYS + 1)}
    response = write_api.post(
        "/responses", {"survey": "feedback", "answers": answers}, headers={"Idempotency-Key": "k"}
    )
    assert response.status_code == 422
    assert fields(response) == {"answers": f"at most {MAX_ANSWER_KEYS} answers"}


def test_token_rate_limit_answers_429_with_retry_after(write_api, org, settings):
    settings.RATE_LIMIT_API_TOKEN = "3/min"
    assert all(write_api.get("/touchpoints").status_code == 200 for _ in range(3))
    limited = write_api.get("/touchpoints")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Another token of the same organisation has its own budget.
    _token, plain = create_token(org, name="second", scope="read")
    assert ApiClient(plain).get("/touchpoints").status_code == 200


def test_ip_rate_limit_covers_all_tokens_and_anonymous_calls(write_api, read_api, settings):
    settings.RATE_LIMIT_API_IP = "4/min"
    statuses = [
        write_api.get("/touchpoints").status_code,
        read_api.get("/touchpoints").status_code,
        ApiClient(None).get("/touchpoints").status_code,
        ApiClient("pal_00000000_wrong").get("/touchpoints").status_code,
        read_api.get("/touchpoints").status_code,
    ]
    assert statuses == [200, 200, 401, 401, 429]
    assert int(read_api.get("/health")["Retry-After"]) >= 1
    # The IP is only a hashed cache key; it is not kept anywhere else.
    from django.core.cache import cache

    assert not any("127.0.0.1" in str(key) for key in cache._cache)  # locmem internals


def test_an_unexpected_failure_is_a_json_500_without_details(write_api, survey, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("database password is hunter2")

    monkeypatch.setattr("palaute.api.responses.queries.filtered", explode)
    response = write_api.get("/responses")
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal_error", "message": "Something went wrong.", "fields": []}
    }
    assert b"hunter2" not in response.content and b"Traceback" not in response.content


def test_bad_json_is_400(write_api, survey):
    response = write_api.post("/responses", "{nope", headers={"Idempotency-Key": "k"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_unknown_paths_answer_in_the_error_shape(write_api):
    response = write_api.get("/nothing/here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
