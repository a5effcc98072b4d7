"""Slack-compatible endpoints: ``{"text": …}`` with a readable message and a link, escaped."""

from __future__ import annotations

import json

import pytest

from palaute.accounts.models import Organisation
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.webhooks import endpoints
from palaute.webhooks.events import emit
from palaute.webhooks.tests.helpers import make_endpoint

pytestmark = pytest.mark.django_db

CASE = {
    "id": 41,
    "number": 12,
    "title": "Kylmä kahvi <script>",
    "severity": "high",
    "status": "new",
    "trigger": "detractor",
    "owner": {"name": "Aino Virtanen", "email": "aino@kahvila.example"},
    "touchpoint": "counter",
    "opened_at": "2025-03-01T08:00:00+00:00",
    "due_at": "2025-03-01T12:00:00+00:00",
    "first_response_at": None,
    "closed_at": None,
    "close_reason": "",
    "url": "http://testserver/cases/12/?org=kahvila",
}


@pytest.fixture
def org():
    return Organisation.objects.create(name="Kahvila", slug="kahvila", default_language="en")


def sent_text(receiver) -> str:
    run_due_jobs()
    [request] = receiver.requests
    message = json.loads(request.body)
    assert list(message) == ["text"]
    return message["text"]


def test_case_opened(receiver, org):
    make_endpoint(org, receiver.url, kind="slack")
    emit(org, "case.opened", CASE)
    assert sent_text(receiver) == (
        "*Case #12 opened:* Kylmä kahvi &lt;script&gt;\n"
        "Severity: High · Owner: Aino Virtanen · Due: 03/01/2025 2 p.m.\n"
        "<http://testserver/cases/12/?org=kahvila|Open the case>"
    )


def test_case_resolved(receiver, org):
    make_endpoint(org, receiver.url, kind="slack")
    emit(org, "case.resolved", {**CASE, "status": "resolved", "close_reason": "fixed"})
    assert sent_text(receiver) == (
        "*Case #12 resolved:* Kylmä kahvi &lt;script&gt;\n"
        "Reason: Fixed\n"
        "<http://testserver/cases/12/?org=kahvila|Open the case>"
    )


def test_ping(receiver, org):
    endpoint = make_endpoint(org, receiver.url, kind="slack", name="#palaute & co")
    endpoints.send_test(endpoint)
    expected = "Test message from Palaute: the webhook “#palaute &amp; co” works."
    assert sent_text(receiver) == expected


def test_an_event_without_its_own_message(receiver, org):
    endpoint = make_endpoint(org, receiver.url, kind="slack", events=["review.created"])
    endpoint.save()
    emit(org, "review.created", {"id": 3, "url": "http://testserver/reviews/3/"})
    assert sent_text(receiver) == (
        "Palaute event review.created\n<http://testserver/reviews/3/|Open in Palaute>"
    )


def test_a_payload_the_formatter_cannot_read_is_a_failed_attempt(receiver, org):
    from palaute.webhooks.models import Delivery

    make_endpoint(org, receiver.url, kind="slack")
    emit(org, "case.opened", ["not", "a", "case"])  # type: ignore[arg-type]
    run_due_jobs()
    delivery = Delivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == Delivery.Status.FAILED
    assert delivery.last_error.startswith("the message could not be built")
