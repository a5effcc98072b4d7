"""One organisation's token never reads or changes another organisation's data."""

import pytest

from palaute.api.tests.conftest import fields
from palaute.journeys.models import Touchpoint
from palaute.surveys.models import Response, Survey
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import NPS_WHY, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def theirs(org, survey):
    """Organisation A (``org``) has a survey with a response; B is ``other_api``'s."""
    response, _ = record_response(
        survey,
        answers={"nps": 2, "why": "secret"},
        channel="web",
        language="fi",
        idempotency_key="a1",
    )
    return response


def test_b_cannot_read_a(other_api, theirs):
    assert other_api.get("/touchpoints").json() == []
    assert other_api.get("/touchpoints/counter").status_code == 404
    assert other_api.get("/surveys").json() == []
    assert other_api.get("/surveys/feedback").status_code == 404
    assert other_api.get("/responses").json() == {"items": [], "next_cursor": None}
    assert other_api.get(f"/responses/{theirs.pk}").status_code == 404
    assert fields(other_api.get("/responses", {"survey": "feedback"})) == {
        "survey": "No survey with key 'feedback'."
    }
    assert other_api.get("/metrics").json()["summary"] is None
    assert other_api.get("/metrics", {"kind": "nps"}).json()["summary"]["n"] == 0
    assert "survey" in fields(other_api.get("/metrics", {"survey": "feedback"}))


def test_b_cannot_write_to_a(other_api, theirs, survey):
    assert other_api.patch("/touchpoints/counter", {"name": "Hacked"}).status_code == 404
    assert other_api.put("/surveys/feedback/definition", {"definition": NPS_WHY}).status_code == 404
    assert other_api.post("/surveys/feedback/deactivate").status_code == 404
    assert other_api.patch("/surveys/feedback", {"name": "Hacked"}).status_code == 404
    posted = other_api.post(
        "/responses",
        {"survey": "feedback", "answers": {"nps": 0}},
        headers={"Idempotency-Key": "a1"},  # even A's idempotency key reveals nothing
    )
    assert posted.status_code == 422 and "survey" in fields(posted)
    created = other_api.post(
        "/surveys", {"key": "mine", "name": "Mine", "touchpoint": "counter", "definition": NPS_WHY}
    )
    assert fields(created) == {"touchpoint": "No touchpoint with key 'counter'."}
    survey.refresh_from_db()
    assert (survey.name, survey.is_active, survey.versions.count()) == ("Feedback", True, 1)
    assert Touchpoint.objects.get(organisation=survey.organisation).name == "Counter"
    assert Response.objects.count() == 1
    assert not Survey.objects.filter(key="mine").exists()


def test_the_same_keys_in_two_organisations_stay_apart(write_api, other_api, other_org, theirs):
    make_survey(NPS_WHY, organisation=other_org)  # B's own "feedback" survey and "counter"
    body = {"survey": "feedback", "answers": {"nps": 10}}
    mine = other_api.post("/responses", body, headers={"Idempotency-Key": "a1"})
    assert mine.status_code == 201  # A's response with the same key is not a replay for B
    assert Response.objects.get(pk=mine.json()["id"]).organisation == other_org
    assert [r["id"] for r in other_api.get("/responses").json()["items"]] == [mine.json()["id"]]
    assert [r["id"] for r in write_api.get("/responses").json()["items"]] == [theirs.pk]
    assert other_api.get("/metrics").json()["summary"]["n"] == 1
    assert write_api.get("/metrics").json()["summary"]["distribution"][2]["n"] == 1
