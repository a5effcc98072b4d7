from typing import get_args

import pytest

from palaute.accounts.models import AuditEntry
from palaute.api.schemas import ChannelName, TouchpointKind
from palaute.api.tests.conftest import fields
from palaute.journeys.models import Channel, Location, Stage, Touchpoint
from palaute.surveys.tests.helpers import make_touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def journey(org):
    counter = make_touchpoint(org, "counter")
    Stage.objects.create(organisation=org, key="post-purchase", name_fi="Oston jälkeen", position=1)
    Location.objects.create(organisation=org, name="Harbour")
    return counter


def test_list_and_get(write_api, journey):
    listed = write_api.get("/touchpoints").json()
    assert [t["key"] for t in listed] == ["counter"]
    one = write_api.get("/touchpoints/counter").json()
    assert one == {
        "key": "counter",
        "name": "Counter",
        "description": "",
        "stage": "purchase",
        "channel": "web",
        "kind": "direct",
        "location": "Main street",
        "owner": None,
        "position": 0,
    }
    missing = write_api.get("/touchpoints/nope")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_create_with_stage_and_location_by_name(write_api, journey):
    response = write_api.post(
        "/touchpoints",
        {
            "key": "invoice",
            "name": "  Invoice  ",
            "stage": "post-purchase",
            "channel": "email",
            "kind": "indirect",
            "location": "Harbour",
            "description": "The monthly invoice",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["stage"], body["location"], body["position"]) == (
        "Invoice",
        "post-purchase",
        "Harbour",
        0,
    )
    created = Touchpoint.objects.get(key="invoice")
    assert created.stage.key == "post-purchase" and created.kind == "indirect"
    assert AuditEntry.objects.get(action="touchpoint.create").target == "invoice"
    # the next one in the same stage goes last
    second = write_api.post(
        "/touchpoints",
        {"key": "reminder", "name": "Reminder", "stage": "post-purchase", "channel": "sms"},
    )
    assert second.json()["position"] == 1


def test_create_errors_name_the_fields(write_api, journey):
    response = write_api.post(
        "/touchpoints", {"key": "bad key!", "stage": "purchase", "channel": "pigeon", "x": 1}
    )
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert set(fields(response)) == {"key", "name", "channel", "x"}
    assert fields(response)["name"] == "This field is required."
    assert fields(response)["x"] == "Unknown field."

    unknown_stage = write_api.post(
        "/touchpoints", {"key": "k", "name": "K", "stage": "nope", "channel": "web"}
    )
    assert unknown_stage.status_code == 422
    assert fields(unknown_stage) == {"stage": "No stage with key 'nope'."}

    taken = write_api.post(
        "/touchpoints", {"key": "counter", "name": "Again", "stage": "purchase", "channel": "web"}
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "conflict"
    assert fields(taken) == {"key": "already in use"}
    assert Touchpoint.objects.count() == 1


def test_patch_changes_only_given_fields(write_api, journey):
    response = write_api.patch(
        "/touchpoints/counter", {"stage": "post-purchase", "location": None, "name": "Till"}
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["stage"], body["location"], body["channel"]) == (
        "Till",
        "post-purchase",
        None,
        "web",
    )
    journey.refresh_from_db()
    assert journey.stage.key == "post-purchase" and journey.location is None
    entry = AuditEntry.objects.get(action="touchpoint.update")
    assert entry.detail["fields"] == ["location", "name", "position", "stage"]  # last in stage

    assert fields(write_api.patch("/touchpoints/counter", {"name": None})) == {
        "name": "must not be null"
    }
    assert fields(write_api.patch("/touchpoints/counter", {"key": "new"})) == {
        "key": "Unknown field."
    }
    assert write_api.patch("/touchpoints/nope", {"name": "x"}).status_code == 404


def test_the_api_knows_every_channel_and_kind():
    assert set(get_args(ChannelName)) == set(Channel.values)
    assert set(get_args(TouchpointKind)) == set(Touchpoint.Kind.values)
