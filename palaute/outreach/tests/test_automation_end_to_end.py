"""The whole automated path (issue 4, "done means"): an event arrives by the API → a rule waits
two hours → the worker sends the invitation (a real SMTP server, or a Twilio-compatible HTTP
server, on loopback) → the link opens the survey → the answer is recorded against the contact
→ the reminder is cancelled."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from palaute.outreach.models import Invitation, OutboundMessage, OutreachSettings, TriggerRule
from palaute.outreach.sms_webhooks import signature
from palaute.outreach.tests.conftest import api_client
from palaute.outreach.tests.jobs_helpers import make_due, run_due_jobs
from palaute.surveys.tests.helpers import definition, make_org, make_survey, question

pytestmark = [pytest.mark.django_db, pytest.mark.urls("palaute.outreach.tests.events_urls")]


@pytest.fixture
def setup():
    org = make_org("kahvila")
    survey = make_survey(
        definition(question("nps", "nps", required=True)), organisation=org, key="visit"
    )
    OutreachSettings.objects.create(organisation=org, reminders=1, reminder_after_days=3)
    return org, survey


def _rule(org, survey, channel):
    return TriggerRule.objects.create(
        organisation=org,
        name="After the event",
        event_name="booking.completed",
        survey=survey,
        channel_preference=channel,
        delay_amount=2,
        delay_unit="hours",
        delay_from="ends",
    )


def _post_event(org, contact: dict, event_id: str):
    ends_at = (timezone.now() - timedelta(minutes=30)).replace(microsecond=0)
    response = api_client(org).post(
        "/events",
        {
            "id": event_id,
            "name": "booking.completed",
            "ends_at": ends_at.isoformat(),
            "contact": contact,
            "attributes": {"guests": 24},
        },
    )
    return response, ends_at


def _answer_through_link(client, link: str, survey, channel: str):
    opened = client.get(urlsplit(link).path)
    assert opened.status_code == 302
    target = urlsplit(opened["Location"])
    assert target.path == f"/s/{survey.public_key}/"
    assert parse_qs(target.query)["ch"] == [channel]
    page = client.get(opened["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    action = re.search(r'<form method="post" action="([^"]+)"', body).group(1).replace("&amp;", "&")
    idem = re.search(r'name="idem" value="([0-9a-f]{32})"', body).group(1)
    answered = client.post(
        f"/s/{survey.public_key}/{action}", {"nps": "10", "presented": "nps", "idem": idem}
    )
    assert answered.status_code == 302 and "/thanks/" in answered["Location"]


def _time_passes():
    """Two hours later: the invitation and its queued job are due (no sleeping)."""
    past = timezone.now() - timedelta(seconds=1)
    Invitation.objects.filter(status="scheduled").update(scheduled_for=past)
    make_due()


def test_event_to_email_to_answer(client, setup, smtp_inbox):
    org, survey = setup
    _rule(org, survey, "email_first")

    # --- the event arrives by the API; the contact is created from it
    response, ends_at = _post_event(
        org, {"external_id": "C-1", "email": "Maija@Example.com", "name": "Maija M"}, "bk-1"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    [planned] = body["invitations"]
    assert planned["channel"] == "email" and planned["status"] == "scheduled"
    invitation = Invitation.objects.get()
    assert invitation.scheduled_for == ends_at + timedelta(hours=2)
    assert invitation.contact.email == "maija@example.com"
    assert invitation.event_id == body["id"] and invitation.source == "trigger"

    # --- a replay of the event is recognised and changes nothing
    again, _ = _post_event(org, {"external_id": "C-1", "email": "maija@example.com"}, "bk-1")
    assert again.status_code == 200 and again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == body["id"] and Invitation.objects.count() == 1

    # --- before the delay is over the worker sends nothing
    run_due_jobs()
    assert smtp_inbox.received == []
    invitation.refresh_from_db()
    assert invitation.status == "scheduled"

    # --- after it, the worker sends the email to the SMTP server
    _time_passes()
    run_due_jobs()
    assert len(smtp_inbox.received) == 1
    _, rcpt_tos, message = smtp_inbox.received[0]
    assert rcpt_tos == ["maija@example.com"]
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    [link] = re.findall(r"http://testserver/i/[A-Za-z0-9_\-]{44}/", text)
    invitation.refresh_from_db()
    assert invitation.status == "sent" and invitation.next_reminder_at is not None

    # --- the link opens the survey; the answer is recorded against the contact
    _answer_through_link(client, link, survey, "email")
    invitation.refresh_from_db()
    assert invitation.status == "completed"
    assert invitation.response.answers.get().score == 10
    assert invitation.contact.external_id == "C-1"
    assert invitation.next_reminder_at is None

    # --- the reminder never goes out
    make_due()
    run_due_jobs()
    assert len(smtp_inbox.received) == 1


def test_event_to_sms_to_answer(client, setup, twilio):
    org, survey = setup
    _rule(org, survey, "sms_first")

    response, ends_at = _post_event(
        org, {"phone": "040 765 4321", "name": "Pekka V", "language": "en"}, "bk-2"
    )
    assert response.status_code == 201, response.content
    invitation = Invitation.objects.get()
    assert invitation.channel == "sms" and invitation.contact.phone == "+358407654321"
    assert invitation.scheduled_for == ends_at + timedelta(hours=2)

    run_due_jobs()
    assert twilio.requests == 0

    _time_passes()
    run_due_jobs()
    assert twilio.problems == []
    [sms] = twilio.messages
    assert sms["To"] == "+358407654321" and sms["From"] == "+358451234567"
    assert sms["StatusCallback"] == "http://testserver/hooks/sms/status"
    assert sms["Body"].startswith("Hi Pekka! How did we do?")
    assert sms["Body"].endswith("Reply STOP to opt out")
    [link] = re.findall(r"http://testserver/i/[A-Za-z0-9_\-]{33}/", sms["Body"])
    invitation.refresh_from_db()
    assert invitation.status == "sent"
    logged = OutboundMessage.objects.get()
    assert (logged.provider, logged.provider_message_id) == ("sms:twilio", sms["sid"])

    # --- the provider's delivery receipt, signed as Twilio signs it
    receipt = {"MessageSid": sms["sid"], "MessageStatus": "delivered", "To": sms["To"]}
    url = "http://testserver/hooks/sms/status"
    signed = signature(twilio.auth_token, url, sorted(receipt.items()))
    answer = client.post("/hooks/sms/status", receipt, headers={"X-Twilio-Signature": signed})
    assert answer.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == "delivered" and invitation.delivered_at is not None

    # --- the SMS link opens the survey; the answer completes the invitation
    _answer_through_link(client, link, survey, "sms")
    invitation.refresh_from_db()
    assert invitation.status == "completed" and invitation.response.channel == "sms"
    assert invitation.response.answers.get().score == 10
    assert invitation.next_reminder_at is None
    make_due()
    run_due_jobs()
    assert len(twilio.messages) == 1
