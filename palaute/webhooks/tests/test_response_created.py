"""response.created end to end: a real submission through record_response reaches the
receiver after the worker runs; Slack-compatible endpoints get a readable message."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palaute.accounts.models import Organisation
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import (
    NPS_WHY,
    definition,
    make_survey,
    options,
    question,
)
from palaute.webhooks import signing
from palaute.webhooks.models import Delivery
from palaute.webhooks.tests.helpers import make_endpoint

pytestmark = pytest.mark.django_db


def submit(survey, answers, key="k1", **extra):
    response, created = record_response(
        survey, answers=answers, channel="web", language="fi", idempotency_key=key, **extra
    )
    assert created
    return response


def test_a_submission_is_delivered_with_its_answers(receiver):
    survey = make_survey(NPS_WHY)
    endpoint = make_endpoint(survey.organisation, receiver.url, events=["response.created"])

    response = submit(survey, {"nps": "3", "why": "Jono oli pitkä & kahvi kylmää"})
    run_due_jobs()  # (the closed loop may queue its own job for a detractor too)

    [request] = receiver.requests
    assert signing.verify(endpoint.secret, request.headers["Palaute-Signature"], request.body)
    body = json.loads(request.body)
    assert body["type"] == "response.created"
    assert body["organisation"] == survey.organisation.slug
    data = body["data"]
    assert data == {
        "id": response.pk,
        "survey": "feedback",
        "survey_name": "Feedback",
        "touchpoint": "counter",
        "touchpoint_name": "Counter",
        "channel": "web",
        "language": "fi",
        "submitted_at": data["submitted_at"],
        "answers": {"nps": 3, "why": "Jono oli pitkä & kahvi kylmää"},
        "contact": None,
        "url": f"http://testserver/api/v1/responses/{response.pk}",
        "survey_url": "http://testserver/surveys/feedback/",
    }
    assert data["submitted_at"].endswith("+00:00")


def test_a_repeated_submission_is_not_announced_twice(receiver):
    survey = make_survey(NPS_WHY)
    make_endpoint(survey.organisation, receiver.url)
    submit(survey, {"nps": 9})
    record_response(survey, answers={"nps": 9}, channel="web", language="fi", idempotency_key="k1")
    assert Delivery.objects.count() == 1


def test_a_flagged_response_is_not_announced(receiver):
    survey = make_survey(NPS_WHY)
    make_endpoint(survey.organisation, receiver.url)
    submit(survey, {"nps": 9}, flagged="mashing")
    assert not Delivery.objects.exists()


def test_endpoints_of_other_events_or_organisations_hear_nothing(receiver):
    survey = make_survey(NPS_WHY)
    make_endpoint(survey.organisation, receiver.url, events=["case.opened"])
    other = Organisation.objects.create(name="Toinen", slug="toinen")
    make_endpoint(other, receiver.url, events=["response.created"])
    submit(survey, {"nps": 9})
    assert not Delivery.objects.exists()


def test_slack_message_is_readable_and_leaves_contact_details_out(receiver):
    survey = make_survey(
        definition(
            question("nps", "nps", required=True),
            question("why", "text"),
            question("what", "multiple_choice", options=options("coffee", "cake")),
            question("call", "contact_me"),
        )
    )
    make_endpoint(survey.organisation, receiver.url, kind="slack", events=["response.created"])
    submit(
        survey,
        {
            "nps": 2,
            "why": "Kahvi <kylmää>\nja jono",
            "what": ["coffee", "cake"],
            "call": {"contact": True, "name": "Maija", "email": "maija@example.fi"},
        },
    )
    run_due_jobs()

    [request] = receiver.requests
    message = json.loads(request.body)
    assert list(message) == ["text"]
    text = message["text"]
    # Finnish: the organisation's default language; question and option texts, not keys.
    assert text.startswith("*Uutta palautetta*") or text.startswith("*New feedback*")
    assert "Feedback · Counter" in text
    assert "nps fi: *2*" in text
    assert "why fi:\n> Kahvi &lt;kylmää&gt;\n> ja jono" in text
    assert "what fi: *coffee fi, cake fi*" in text
    assert "maija@example.fi" not in text and "Maija" not in text
    assert "<http://testserver/surveys/feedback/|" in text


def test_slack_message_in_english_for_an_english_organisation(receiver):
    survey = make_survey(NPS_WHY)
    Organisation.objects.filter(pk=survey.organisation_id).update(default_language="en")
    make_endpoint(survey.organisation, receiver.url, kind="slack")
    submit(survey, {"nps": 10, "best": "Ihana terassi"})
    run_due_jobs()
    text = json.loads(receiver.requests[0].body)["text"]
    assert text.startswith("*New feedback* — Feedback · Counter")
    assert "nps en: *10*" in text
    assert "best en:\n> Ihana terassi" in text
    assert text.endswith("<http://testserver/surveys/feedback/|Open in Palaute>")


def test_no_endpoint_costs_no_query_on_a_submission_after_the_first(receiver):
    survey = make_survey(NPS_WHY)
    submit(survey, {"nps": 9}, key="warm-up")
    with CaptureQueriesContext(connection) as queries:
        submit(survey, {"nps": 9}, key="measured")
    assert not [q for q in queries.captured_queries if "webhooks_endpoint" in q["sql"]]
