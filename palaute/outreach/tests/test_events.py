"""Events in by the API and the signed webhook: validation, idempotency, signatures and
tenancy. CSV uploads: test_event_imports.py."""

import hashlib
import hmac
import json
import time

import pytest

from palaute.accounts.models import ApiToken
from palaute.outreach import events_webhook
from palaute.outreach.models import Contact, Event, Invitation, OutreachSettings, TriggerRule
from palaute.outreach.tests.conftest import api_client
from palaute.surveys.tests.helpers import make_org, make_survey, make_touchpoint

pytestmark = [pytest.mark.django_db, pytest.mark.urls("palaute.outreach.tests.events_urls")]


@pytest.fixture
def org():
    organisation = make_org("kahvila")
    make_touchpoint(organisation, key="private-event")
    TriggerRule.objects.create(
        organisation=organisation,
        name="After the event",
        event_name="booking.completed",
        survey=make_survey(organisation=organisation),
        delay_amount=2,
        delay_unit="hours",
    )
    return organisation


EVENT = {
    "name": "booking.completed",
    "occurred_at": "2099-06-14T18:00:00+03:00",
    "contact": {"external_id": "C-1", "email": "maija@example.com", "language": "fi"},
    "touchpoint": "private-event",
    "attributes": {"guests": 24, "vip": True, "note": None},
}


def fields(response) -> dict[str, str]:
    return {f["field"]: f["message"] for f in response.json()["error"]["fields"]}


# ------------------------------------------------------------------------------ the API


def test_post_event_stores_it_with_its_contact_and_invitation(org):
    response = api_client(org).post("/events", EVENT, headers={"Idempotency-Key": "bk-1"})
    assert response.status_code == 201, response.content
    body = response.json()
    event = Event.objects.get()
    assert body["id"] == event.pk and body["external_id"] == "bk-1"
    assert event.attributes == {"guests": "24", "vip": "true"}  # text; a null is dropped
    assert event.touchpoint.key == "private-event" and event.source == "api"
    assert body["invitations"][0]["scheduled_for"] == "2099-06-14T17:00:00Z"  # 20:00 Helsinki
    replay = api_client(org).post("/events", EVENT, headers={"Idempotency-Key": "bk-1"})
    assert replay.status_code == 200 and replay["Idempotent-Replayed"] == "true"
    assert Event.objects.count() == 1 and Invitation.objects.count() == 1
    fetched = api_client(org).get(f"/events/{event.pk}")
    assert fetched.status_code == 200 and fetched.json()["invitations"] == body["invitations"]


def test_the_same_id_for_another_event_is_a_conflict(org):
    client = api_client(org)
    assert client.post("/events", {**EVENT, "id": "e-1"}).status_code == 201
    other = client.post("/events", {**EVENT, "id": "e-1", "name": "ticket.closed"})
    assert other.status_code == 409 and fields(other) == {
        "id": "already used for a booking.completed event"
    }
    mismatch = client.post("/events", {**EVENT, "id": "a"}, headers={"Idempotency-Key": "b"})
    assert mismatch.status_code == 422 and "id" in fields(mismatch)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Booking Completed"}, "name"),
        ({"name": ""}, "name"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2025-06-14T18:00:00"}, "occurred_at"),  # no offset
        ({"contact": {}}, "contact"),
        ({"contact": {"external_id": "C-9"}}, "contact"),  # a new contact needs an address
        ({"contact": {"email": "not-an-address"}}, "contact.email"),
        ({"contact": {"phone": "12"}}, "contact.phone"),
        ({"contact": {"email": "a@example.com", "language": "sv"}}, "contact.language"),
        ({"contact": {"email": "a@example.com", "age": 3}}, "contact.age"),
        ({"touchpoint": "nowhere"}, "touchpoint"),
        ({"attributes": {"Bad Key!": "x"}}, "attributes"),
        ({"attributes": {"k": "\x00"}}, "attributes.k"),
        ({"attributes": {f"k{i}": "x" for i in range(31)}}, "attributes"),
        ({"attributes": {"k": [1, 2]}}, "attributes.k"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_events_name_the_field_and_store_nothing(org, change, field):
    response = api_client(org).post("/events", {**EVENT, **change})
    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert any(
        name == field or name.startswith(field + ".") or name.startswith(field + "[")
        for name in fields(response)
    ), fields(response)
    assert Event.objects.count() == 0 and Contact.objects.count() == 0


def test_tokens_are_scoped_to_their_organisation(org):
    other = make_org("studio")
    a_event = api_client(org).post("/events", EVENT).json()
    b_client = api_client(other)
    assert b_client.get(f"/events/{a_event['id']}").status_code == 404
    # B's token posts into B: the event and its contact are B's, A's contact is untouched.
    b_response = b_client.post("/events", {**EVENT, "touchpoint": None})
    assert b_response.status_code == 201
    assert Event.objects.get(pk=b_response.json()["id"]).organisation == other
    assert Contact.objects.filter(email="maija@example.com").count() == 2
    assert Invitation.objects.filter(organisation=other).count() == 0  # B has no rules
    # A touchpoint of A is unknown to B.
    assert b_client.post("/events", EVENT).status_code == 422


def test_read_tokens_cannot_post_events_and_no_token_is_401(org):
    read = api_client(org, ApiToken.Scope.READ)
    assert read.post("/events", EVENT).status_code == 403
    read.token = "pal_00000000_nope"
    assert read.post("/events", EVENT).status_code == 401
    assert Event.objects.count() == 0


# -------------------------------------------------------------------------- the webhook


def _sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    # Written out here, independent of the code under test.
    t = str(timestamp if timestamp is not None else int(time.time()))
    mac = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _hook(client, slug, body: bytes, header: str | None):
    headers = {"X-Palaute-Signature": header} if header is not None else {}
    return client.post(
        f"/hooks/events/{slug}", data=body, content_type="application/json", headers=headers
    )


def test_signed_webhook_good_bad_and_stale(client, org):
    assert _hook(client, org.slug, b"{}", None).status_code == 404  # off until a secret exists
    secret = events_webhook.rotate(org, None)
    assert secret.startswith("whsec_")
    assert secret not in OutreachSettings.objects.get(organisation=org).events_webhook_key
    body = json.dumps({**EVENT, "id": "hook-1"}).encode()

    ok = _hook(client, org.slug, body, _sign(secret, body))
    assert ok.status_code == 201, ok.content
    assert Event.objects.get().source == "webhook"
    assert _hook(client, org.slug, body, _sign(secret, body)).status_code == 200  # same id

    forged = _hook(client, org.slug, body, _sign("whsec_guess", body))
    assert forged.status_code == 401
    assert fields(forged)["X-Palaute-Signature"] == "the signature does not match"
    stale = _hook(client, org.slug, body, _sign(secret, body, int(time.time()) - 301))
    assert stale.status_code == 401 and "5 minutes" in fields(stale)["X-Palaute-Signature"]
    assert _hook(client, org.slug, body, "nonsense").status_code == 401
    tampered = body.replace(b"C-1", b"C-2")
    assert _hook(client, org.slug, tampered, _sign(secret, body)).status_code == 401

    invalid = json.dumps({**EVENT, "name": "Nope!"}).encode()
    bad = _hook(client, org.slug, invalid, _sign(secret, invalid))
    assert bad.status_code == 422 and "name" in fields(bad)

    # Rotating makes the old secret stop at once.
    new_secret = events_webhook.rotate(org, None)
    assert _hook(client, org.slug, body, _sign(secret, body)).status_code == 401
    assert _hook(client, org.slug, body, _sign(new_secret, body)).status_code == 200


def test_webhook_replay_without_an_id_is_recognised_by_its_signature(client, org):
    secret = events_webhook.rotate(org, None)
    body = json.dumps(EVENT).encode()
    header = _sign(secret, body)
    assert _hook(client, org.slug, body, header).status_code == 201
    assert _hook(client, org.slug, body, header).status_code == 200
    assert Event.objects.count() == 1


def test_one_organisations_secret_does_not_open_anothers_webhook(client, org):
    other = make_org("studio")
    secret = events_webhook.rotate(org, None)
    events_webhook.rotate(other, None)
    body = json.dumps(EVENT).encode()
    assert _hook(client, other.slug, body, _sign(secret, body)).status_code == 401
    assert Event.objects.count() == 0


def test_webhook_secret_follows_secret_key_fallbacks(client, org, settings):
    secret = events_webhook.rotate(org, None)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-after-rotation"
    body = json.dumps(EVENT).encode()
    assert _hook(client, org.slug, body, _sign(secret, body)).status_code == 201
