import pytest

from palaute.accounts.models import AuditEntry
from palaute.api.tests.conftest import fields
from palaute.surveys.models import Survey
from palaute.surveys.tests.helpers import definition, make_touchpoint, question

pytestmark = pytest.mark.django_db

CSAT = definition(question("csat", "csat", required=True))


def test_list_and_get_with_the_current_definition(write_api, survey):
    listed = write_api.get("/surveys").json()
    assert [(s["key"], s["version"], s["is_active"]) for s in listed] == [("feedback", 1, True)]
    assert "definition" not in listed[0]
    one = write_api.get("/surveys/feedback").json()
    assert one["touchpoint"] == "counter"
    assert one["public_url"].endswith(f"/s/{survey.public_key}/")
    assert [q["key"] for q in one["definition"]["questions"]] == ["nps", "why", "best"]
    assert write_api.get("/surveys/nope").status_code == 404


def test_create_a_survey(write_api, org):
    make_touchpoint(org, "counter")
    response = write_api.post(
        "/surveys",
        {"key": "csat", "name": "Counter CSAT", "touchpoint": "counter", "definition": CSAT},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["key"], body["version"], body["touchpoint"]) == ("csat", 1, "counter")
    assert body["definition"]["questions"][0]["type"] == "csat"
    assert Survey.objects.get(organisation=org, key="csat").current_version.number == 1
    assert AuditEntry.objects.get(action="survey.create").target == "csat"


def test_definition_errors_carry_the_path(write_api, org):
    bad_scale = definition(
        question("a", "text"), question("nps", "nps", scale={"min": 1, "max": 5})
    )
    response = write_api.post("/surveys", {"key": "s", "name": "S", "definition": bad_scale})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "The survey definition is invalid."
    assert fields(response) == {"definition.questions[1].scale": "must be 0–10 for nps"}
    bad_type = definition(question("x", "nope"))
    response = write_api.post("/surveys", {"key": "s", "name": "S", "definition": bad_type})
    assert fields(response)["definition.questions[0].type"].startswith(
        "unknown question type 'nope'"
    )
    not_object = write_api.post("/surveys", {"key": "s", "name": "S", "definition": []})
    assert "definition" in fields(not_object)
    assert not Survey.objects.exists()


def test_create_conflicts_and_unknown_touchpoints(write_api, survey):
    taken = write_api.post("/surveys", {"key": "feedback", "name": "Again", "definition": CSAT})
    assert taken.status_code == 409 and fields(taken) == {"key": "already in use"}
    unknown = write_api.post(
        "/surveys", {"key": "new", "name": "New", "touchpoint": "nope", "definition": CSAT}
    )
    assert unknown.status_code == 422 and fields(unknown) == {
        "touchpoint": "No touchpoint with key 'nope'."
    }


def test_put_definition_publishes_a_new_version_once(write_api, survey):
    response = write_api.put("/surveys/feedback/definition", {"definition": CSAT})
    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["definition"]["questions"][0]["key"] == "csat"
    again = write_api.put("/surveys/feedback/definition", {"definition": CSAT})
    assert again.json()["version"] == 2  # the same definition again changes nothing
    assert survey.versions.count() == 2
    assert AuditEntry.objects.filter(action="survey.update").count() == 1

    bad = write_api.put("/surveys/feedback/definition", {"definition": {"format": "x"}})
    assert bad.status_code == 422
    assert fields(bad)["definition.format"] == "must be 'palaute.survey/1'"
    assert survey.versions.count() == 2
    assert write_api.put("/surveys/nope/definition", {"definition": CSAT}).status_code == 404


def test_activate_and_deactivate(write_api, survey):
    closed = write_api.post("/surveys/feedback/deactivate")
    assert closed.status_code == 200 and closed.json()["is_active"] is False
    survey.refresh_from_db()
    assert not survey.is_active
    refused = write_api.post(
        "/responses",
        {"survey": "feedback", "answers": {"nps": 9}},
        headers={"Idempotency-Key": "after-close"},
    )
    assert refused.status_code == 409 and fields(refused) == {"survey": "not accepting responses"}
    opened = write_api.post("/surveys/feedback/activate")
    assert opened.json()["is_active"] is True
    assert [e.action for e in AuditEntry.objects.order_by("id")][-2:] == [
        "survey.deactivate",
        "survey.activate",
    ]


def test_patch_renames_and_moves(write_api, survey, org):
    make_touchpoint(org, "web")
    response = write_api.patch("/surveys/feedback", {"name": "Counter NPS", "touchpoint": "web"})
    assert (response.json()["name"], response.json()["touchpoint"]) == ("Counter NPS", "web")
    detached = write_api.patch("/surveys/feedback", {"touchpoint": None})
    assert detached.json()["touchpoint"] is None
    assert fields(write_api.patch("/surveys/feedback", {"name": None})) == {
        "name": "must not be null"
    }
