"""POST /responses (idempotent) and GET /responses (filters, cursor pages)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palaute.api.tests.conftest import fields
from palaute.insights.models import ScoreCount
from palaute.surveys.models import Response
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import (
    definition,
    make_survey,
    make_touchpoint,
    options,
    question,
)

pytestmark = pytest.mark.django_db

ALL_TYPES = definition(
    question("nps", "nps", required=True),
    question("csat", "csat"),
    question("pair", "expectation_experience"),
    question("pick", "single_choice", options=options("a", "b")),
    question("many", "multiple_choice", options=options("x", "y", "z")),
    question("why", "text"),
    question("ok", "consent"),
    question("call", "contact_me"),
)


def post(api, body, key="k-1"):
    return api.post("/responses", body, headers={"Idempotency-Key": key})


def test_a_response_round_trips_every_answer_type(write_api, org):
    make_survey(ALL_TYPES, organisation=org, key="all")
    answers = {
        "nps": 9,
        "csat": "4",
        "pair": {"expected": 3, "experience": 5},
        "pick": "b",
        "many": ["z", "x"],
        "why": "  Quick service  ",
        "ok": True,
        "call": {"contact": True, "name": "Aino", "email": "aino@example.fi"},
    }
    response = post(write_api, {"survey": "all", "answers": answers, "language": "en"})
    assert response.status_code == 201
    body = response.json()
    assert body["answers"] == {
        "nps": 9,
        "csat": 4,
        "pair": {"expected": 3, "experience": 5},
        "pick": "b",
        "many": ["z", "x"],
        "why": "Quick service",
        "ok": True,
        "call": True,
    }
    assert body["contact"] == {"name": "Aino", "email": "aino@example.fi", "phone": ""}
    assert (body["channel"], body["language"], body["touchpoint"], body["version"]) == (
        "api",
        "en",
        "counter",
        1,
    )
    assert write_api.get(f"/responses/{body['id']}").json() == body


def test_the_same_idempotency_key_stores_one_response(write_api, survey):
    body = {"survey": "feedback", "answers": {"nps": 10}}
    first = post(write_api, body, key="order-1001")
    again = post(write_api, body, key="order-1001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert again.json() == first.json()
    assert Response.objects.count() == 1
    assert sum(ScoreCount.objects.values_list("n", flat=True)) == 1  # counted once

    # A replay answers the stored response even after the survey was closed.
    survey.is_active = False
    survey.save()
    assert post(write_api, body, key="order-1001").status_code == 200
    assert post(write_api, body, key="order-1002").status_code == 409


def test_idempotency_key_is_required_and_bounded(write_api, survey):
    body = {"survey": "feedback", "answers": {"nps": 10}}
    missing = write_api.post("/responses", body)
    assert fields(missing) == {"Idempotency-Key": "This field is required."}
    too_long = post(write_api, body, key="x" * 65)
    assert set(fields(too_long)) == {"Idempotency-Key"}
    assert post(write_api, body, key="x" * 64).status_code == 201
    assert not Response.objects.exclude(idempotency_key="x" * 64).exists()


def test_answer_errors_name_the_answer(write_api, survey):
    response = post(
        write_api,
        {"survey": "feedback", "answers": {"nps": 11, "colour": "blue"}, "language": "sv"},
        key="bad",
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
    assert fields(response) == {"language": "must be one of fi, en"}  # checked before answers
    only_answers = post(
        write_api, {"survey": "feedback", "answers": {"nps": 11, "colour": "blue"}}, key="b2"
    )
    assert fields(only_answers) == {
        "answers.nps": "Choose a number from 0 to 10.",
        "answers.colour": "This survey has no such question.",
    }
    required = post(write_api, {"survey": "feedback", "answers": {"why": "x"}}, key="b3")
    assert fields(required) == {"answers.nps": "This question is required."}
    empty = post(write_api, {"survey": "feedback", "answers": {}}, key="b4")
    assert fields(empty) == {"answers.nps": "This question is required."}
    assert not Response.objects.exists()


def test_body_field_errors(write_api, survey):
    response = post(
        write_api,
        {
            "survey": "nope",
            "answers": {"nps": 1},
            "channel": "pigeon",
            "submitted_at": "2024-05-01T12:00:00",
        },
    )
    assert set(fields(response)) == {"channel", "submitted_at"}  # shape first, then lookups
    unknown = post(write_api, {"survey": "nope", "answers": {"nps": 1}})
    assert fields(unknown) == {"survey": "No survey with key 'nope'."}
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = post(
        write_api, {"survey": "feedback", "answers": {"nps": 1}, "submitted_at": future}
    )
    assert "submitted_at" in fields(response)
    wrong_type = post(write_api, {"survey": "feedback", "answers": ["nps", 1]})
    assert set(fields(wrong_type)) == {"answers"}


def test_channel_touchpoint_and_time_can_be_given(write_api, survey, org):
    make_touchpoint(org, "web", stage_key="pre-purchase")
    response = post(
        write_api,
        {
            "survey": "feedback",
            "answers": {"nps": 5, "why": "Slow"},
            "channel": "email",
            "touchpoint": "web",
            "submitted_at": "2025-03-01T09:30:00+02:00",
        },
    )
    body = response.json()
    assert (body["channel"], body["touchpoint"], body["stage"]) == ("email", "web", "pre-purchase")
    assert body["submitted_at"].startswith("2025-03-01T07:30:00")


# --- listing ---------------------------------------------------------------------------------


@pytest.fixture
def many(org, survey):
    """40 responses, one per hour back from 2025-06-01 12:00 UTC, varied."""
    other_tp = make_touchpoint(org, "web", stage_key="pre-purchase")
    start = datetime(2025, 6, 1, 12, tzinfo=UTC)
    for i in range(40):
        answers = {"nps": i % 11}
        if i % 11 <= 6 and i % 2 == 0:
            answers["why"] = f"comment {i}"
        record_response(
            survey,
            answers=answers,
            channel="kiosk" if i % 3 == 0 else "web",
            language="fi",
            touchpoint=other_tp if i % 4 == 0 else None,
            idempotency_key=f"k{i}",
            submitted_at=start - timedelta(hours=i),
        )
    return start


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def expected_ids(**filters) -> list[int]:
    return list(
        Response.objects.filter(**filters)
        .order_by("-submitted_at", "-id")
        .values_list("id", flat=True)
    )


def test_filters(write_api, many):
    get = write_api.get
    assert ids(get("/responses", {"limit": 500})) == expected_ids()
    assert ids(get("/responses", {"channel": "kiosk", "limit": 500})) == expected_ids(
        channel="kiosk"
    )
    assert ids(get("/responses", {"touchpoint": "web", "limit": 500})) == expected_ids(
        touchpoint__key="web"
    )
    assert ids(get("/responses", {"stage": "pre-purchase", "limit": 500})) == expected_ids(
        stage__key="pre-purchase"
    )
    assert ids(get("/responses", {"survey": "feedback", "limit": 500})) == expected_ids()
    since, until = "2025-06-01T02:00:00Z", "2025-06-01T10:00:00+00:00"
    window = ids(get("/responses", {"since": since, "until": until}))
    assert window == expected_ids(
        submitted_at__gte=datetime(2025, 6, 1, 2, tzinfo=UTC),
        submitted_at__lt=datetime(2025, 6, 1, 10, tzinfo=UTC),
    )
    assert len(window) == 8  # since inclusive, until exclusive


def test_score_and_comment_filters(write_api, many):
    get = write_api.get
    detractors = ids(get("/responses", {"score_max": 6, "limit": 500}))
    assert detractors == expected_ids(answers__kind="nps", answers__score__lte=6)
    promoters = ids(get("/responses", {"question": "nps", "score_min": 9, "limit": 500}))
    assert promoters == expected_ids(answers__question_key="nps", answers__score__gte=9)
    middle = ids(get("/responses", {"score_min": 7, "score_max": 8, "limit": 500}))
    assert middle == expected_ids(answers__score__in=[7, 8])
    commented = ids(get("/responses", {"has_comment": "true", "limit": 500}))
    assert commented == expected_ids(answers__kind="text")
    silent = ids(get("/responses", {"has_comment": "false", "limit": 500}))
    assert sorted(silent + commented) == sorted(expected_ids())
    answered_why = ids(get("/responses", {"question": "why", "limit": 500}))
    assert answered_why == commented
    combined = ids(get("/responses", {"has_comment": "true", "channel": "kiosk", "score_max": 3}))
    assert combined == list(
        Response.objects.filter(channel="kiosk", answers__kind="text")
        .filter(answers__kind="nps", answers__score__lte=3)
        .order_by("-submitted_at", "-id")
        .values_list("id", flat=True)
    )


def test_filter_errors(write_api, many):
    get = write_api.get
    assert fields(get("/responses", {"survey": "nope"})) == {"survey": "No survey with key 'nope'."}
    assert set(fields(get("/responses", {"limit": 501}))) == {"limit"}
    assert set(fields(get("/responses", {"limit": 0}))) == {"limit"}
    assert set(fields(get("/responses", {"since": "yesterday"}))) == {"since"}
    assert set(fields(get("/responses", {"since": "2025-01-01T00:00:00"}))) == {
        "since"
    }  # no offset
    assert fields(get("/responses", {"score_min": 5, "score_max": 1})) == {
        "score_max": "must not be below score_min"
    }
    assert fields(get("/responses", {"surveys": "feedback"})) == {"surveys": "Unknown field."}


def test_cursor_pages_walk_everything_once(write_api, many, survey):
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 7, "channel": "web"}
        if cursor:
            params["cursor"] = cursor
        page = write_api.get("/responses", params).json()
        pages += 1
        seen += [item["id"] for item in page["items"]]
        if pages == 2:  # a response arriving meanwhile (newest) does not shift later pages
            record_response(
                survey, answers={"nps": 1}, channel="web", language="fi", idempotency_key="late"
            )
        cursor = page["next_cursor"]
        if cursor is None:
            break
    web = expected_ids(channel="web", submitted_at__lt=datetime(2025, 6, 2, tzinfo=UTC))
    assert seen == web and len(set(seen)) == len(seen)
    assert pages == -(-len(web) // 7)


def test_responses_with_the_same_time_are_paged_by_id(write_api, survey):
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    for i in range(5):
        record_response(
            survey,
            answers={"nps": 9},
            channel="api",
            language="fi",
            idempotency_key=f"same{i}",
            submitted_at=moment,
        )
    first = write_api.get("/responses", {"limit": 2}).json()
    second = write_api.get("/responses", {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = write_api.get("/responses", {"limit": 2, "cursor": second["next_cursor"]}).json()
    walked = [i["id"] for p in (first, second, third) for i in p["items"]]
    assert walked == expected_ids() and third["next_cursor"] is None


def test_a_tampered_cursor_is_400(write_api, many):
    cursor = write_api.get("/responses", {"limit": 5}).json()["next_cursor"]
    for bad in (cursor[:-1] + ("A" if cursor[-1] != "A" else "B"), "abc", cursor + "x"):
        response = write_api.get("/responses", {"cursor": bad})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "bad_request"
        assert fields(response) == {"cursor": "invalid cursor"}


def test_listing_costs_the_same_queries_for_any_page_size(write_api, many):
    def count(limit):
        with CaptureQueriesContext(connection) as ctx:
            assert write_api.get("/responses", {"limit": limit}).status_code == 200
        return len(ctx.captured_queries)

    count(1)  # the first request also records the token's use
    assert count(2) == count(40) == 3  # token, responses, their answers


def test_get_one(write_api, many):
    newest = Response.objects.order_by("-submitted_at").first()
    body = write_api.get(f"/responses/{newest.pk}").json()
    assert body["id"] == newest.pk and body["answers"] == {"nps": 0, "why": "comment 0"}
    assert write_api.get("/responses/999999").status_code == 404
    assert write_api.get("/responses/0").status_code == 404
    assert write_api.get(f"/responses/{2**70}").status_code == 404  # beyond 64 bits: no 500


def test_a_question_may_share_a_name_with_a_body_field(write_api, org):
    make_survey(
        definition(question("channel", "single_choice", options=options("shop", "web"))),
        organisation=org,
        key="how",
    )
    response = post(write_api, {"survey": "how", "answers": {"channel": "phone"}})
    assert fields(response) == {"answers.channel": "Choose one of the options."}
    ok = post(write_api, {"survey": "how", "answers": {"channel": "web"}}, key="k-2")
    assert ok.json()["answers"] == {"channel": "web"} and ok.json()["channel"] == "api"


def test_nul_characters_are_refused_where_they_are(write_api, survey):
    response = post(write_api, {"survey": "feedback", "answers": {"nps": 1, "why": "a\x00b"}})
    assert fields(response) == {"answers.why": "must not contain NUL characters"}
    deep = {"survey": "feedback", "answers": {"why": [["ok", "x\x00"]]}}
    assert fields(post(write_api, deep, key="k-2")) == {
        "answers.why[0][1]": "must not contain NUL characters"
    }
    assert not Response.objects.exists()
