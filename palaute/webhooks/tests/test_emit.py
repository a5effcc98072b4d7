"""emit(): deliveries for subscribed active endpoints only, queued with the change, and cheap
when nobody listens."""

from __future__ import annotations

import json

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from palaute.accounts.tests.helpers import make_org
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.webhooks import signing
from palaute.webhooks.events import emit
from palaute.webhooks.models import Delivery
from palaute.webhooks.tests.helpers import make_endpoint

pytestmark = pytest.mark.django_db


def test_one_delivery_per_active_subscribed_endpoint(receiver):
    org = make_org("kahvila")
    wanted = make_endpoint(org, receiver.url, name="Helpdesk", events=["case.opened"])
    make_endpoint(org, receiver.url, name="Other event", events=["response.created"])
    off = make_endpoint(org, receiver.url, name="Off", events=["case.opened"])
    off.disable("user")
    off.save()
    make_endpoint(make_org("toinen"), receiver.url, name="Another org", events=["case.opened"])

    with transaction.atomic():
        emit(org, "case.opened", {"id": 7, "url": "http://testserver/cases/7/"})

    delivery = Delivery.objects.get()
    assert delivery.endpoint == wanted
    assert delivery.organisation == org
    assert delivery.status == Delivery.Status.PENDING
    assert DBTaskResult.objects.filter(args_kwargs__args=[delivery.pk]).count() == 1


def test_nothing_is_queued_when_the_transaction_rolls_back(receiver):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    with pytest.raises(RuntimeError), transaction.atomic():
        emit(org, "case.opened", {"id": 1})
        raise RuntimeError("the change failed")
    assert not Delivery.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_signed_delivery_reaches_the_receiver(receiver):
    org = make_org("kahvila")
    endpoint = make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 7, "title": "Kylmä kahvi", "url": "http://testserver/c/7"})

    assert run_due_jobs() == 1

    [request] = receiver.requests
    # Verified independently of our signing module: Stripe's scheme, by hand.
    parts = dict(item.split("=", 1) for item in request.headers["Palaute-Signature"].split(","))
    import hashlib
    import hmac

    expected = hmac.new(
        endpoint.secret.encode(), parts["t"].encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    body = json.loads(request.body)
    delivery = Delivery.objects.get()
    assert body == {
        "id": str(delivery.event_id),
        "type": "case.opened",
        "created_at": body["created_at"],
        "organisation": "kahvila",
        "data": {"id": 7, "title": "Kylmä kahvi", "url": "http://testserver/c/7"},
    }
    assert body["created_at"].endswith("+00:00")
    assert request.headers["Palaute-Event"] == "case.opened"
    assert request.headers["Palaute-Delivery"] == str(delivery.event_id)
    assert request.headers["Content-Type"] == "application/json"
    assert signing.verify(endpoint.secret, request.headers["Palaute-Signature"], request.body)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == 1
    assert delivery.response_status == 200
    assert delivery.response_excerpt == '{"ok":true}'
    assert delivery.delivered_at is not None


def test_no_endpoints_costs_one_query_then_none(receiver):
    org = make_org("kahvila")
    with CaptureQueriesContext(connection) as first:
        emit(org, "response.created", {"id": 1})
    with CaptureQueriesContext(connection) as again:
        emit(org, "response.created", {"id": 2})
    assert len(first) == 1
    assert len(again) == 0


def test_a_new_endpoint_is_seen_at_once_by_this_process(receiver):
    org = make_org("kahvila")
    emit(org, "case.opened", {"id": 1})  # remembers "none"
    make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 2})
    assert Delivery.objects.get().payload == {"id": 2}


def test_a_payload_that_is_not_json_is_dropped_not_raised(receiver, caplog):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": object()})
    assert not Delivery.objects.exists()
    assert "not JSON" in caplog.text


def test_the_verification_example_in_the_docs_accepts_a_real_delivery(receiver):
    """docs/webhooks.md's five-line verifier, run as written, against what was sent."""
    from pathlib import Path

    docs = (Path(__file__).resolve().parents[3] / "docs" / "webhooks.md").read_text()
    example = docs.split("```python\n", 1)[1].split("```", 1)[0]
    namespace: dict = {}
    exec(example, namespace)  # noqa: S102 - our own documentation
    verify = namespace["verify"]

    org = make_org("kahvila")
    endpoint = make_endpoint(org, receiver.url)
    emit(org, "case.opened", {"id": 7})
    run_due_jobs()
    [request] = receiver.requests
    header = request.headers["Palaute-Signature"]
    assert verify(endpoint.secret, header, request.body)
    assert not verify(endpoint.secret, header, request.body + b" ")
    assert not verify("whsec_wrong", header, request.body)
    assert not verify(endpoint.secret, header, request.body, tolerance=-1)
