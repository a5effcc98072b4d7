"""The reply form, thread, recovery button and measures page through the real views: roles,
tenancy, htmx and no-JavaScript paths, and errors that name the field."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member
from palaute.loop.models import Case, CaseMessage
from palaute.loop.tests.acting_helpers import make_case
from palaute.outreach.models import Invitation
from palaute.outreach.tests.helpers import make_sender
from palaute.surveys.tests.helpers import make_org

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {"HTTP_HX_REQUEST": "true", **EN}


@pytest.fixture
def org():
    return make_org("kahvila")


@pytest.fixture
def aino(org):
    return make_sender(org, "aino", role=Role.AGENT)


@pytest.fixture
def case(org, aino):
    return make_case(org, owner=aino, language="en")


@pytest.fixture
def agent(client, aino):
    client.force_login(aino)
    return client


def form_key(html: str) -> str:
    return re.search(r'name="reply-idempotency_key" value="([0-9a-f]{32})"', html).group(1)


def post_reply(client, case, body="Sorry, we fixed it.", key="a" * 32, headers=EN, **extra):
    data = {
        "reply-channel": "email",
        "reply-subject": "",
        "reply-body": body,
        "reply-idempotency_key": key,
        **extra,
    }
    return client.post(reverse("case_reply", args=[case.number]), data, **headers)


def test_the_case_page_has_the_thread_and_the_reply_form(agent, case):
    page = agent.get(reverse("case_detail", args=[case.number]), **EN)
    body = page.content.decode()
    assert page.status_code == 200
    assert 'id="case-thread"' in body and "Messages with the customer" in body
    assert "Email (maija@example.com)" in body and "SMS (no address)" in body
    assert 'name="reply-body"' in body and len(form_key(body)) == 32
    assert 'id="case-recovery"' in body and "Did we fix it?" in body


def test_a_viewer_reads_the_thread_but_cannot_reply(client, org, case, aino):
    post_reply(client.__class__(), case)  # anonymous: nothing happens
    CaseMessage.objects.create(
        organisation=org, case=case, direction="out", channel="email", to="maija@example.com",
        body="Hello from Aino", author=aino, status="sent", idempotency_key="x",
        created_at=timezone.now(),
    )  # fmt: skip
    viewer = make_member(org, "ville", role=Role.VIEWER)
    client.force_login(viewer)
    body = client.get(reverse("case_detail", args=[case.number]), **EN).content.decode()
    assert "Hello from Aino" in body and 'name="reply-body"' not in body
    assert post_reply(client, case).status_code == 403
    assert client.get(reverse("case_thread", args=[case.number])).status_code == 200
    assert CaseMessage.objects.count() == 1


def test_replying_without_javascript(agent, case):
    response = post_reply(agent, case)
    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", args=[case.number]) + "#case-thread"
    case.refresh_from_db()
    assert case.status == Case.Status.CONTACTED and case.first_response_at is not None
    message = CaseMessage.objects.get()
    assert (message.body, message.status, message.idempotency_key) == (
        "Sorry, we fixed it.",
        "queued",
        "a" * 32,
    )
    # The same form sent twice (a double click, a reload): still one message.
    assert post_reply(agent, case).status_code == 302
    assert CaseMessage.objects.count() == 1
    page = agent.get(response["Location"], **EN).content.decode()
    assert "Sorry, we fixed it." in page and "Queued" in page
    assert "every 3s" in page  # the list refreshes itself while the message is on its way


def test_replying_with_htmx(agent, case):
    first = post_reply(agent, case, headers=HTMX)
    assert first.status_code == 200 and first["HX-Refresh"] == "true"  # status changed
    body = first.content.decode()
    assert body.lstrip().startswith("<section") and "Sorry, we fixed it." in body
    second = post_reply(agent, case, body="One more thing.", key="b" * 32, headers=HTMX)
    assert second.status_code == 200 and "HX-Refresh" not in second
    assert form_key(second.content.decode()) not in ("a" * 32, "b" * 32)  # a fresh form
    assert CaseMessage.objects.count() == 2


def test_errors_name_the_field(agent, org):
    no_address = make_case(org, customer_email="")
    response = post_reply(agent, no_address, body="  ")
    assert response.status_code == 422
    body = response.content.decode()
    assert "Reply to the customer: Write the reply." in body
    assert "Send by: The customer left no email address" in body
    assert "<html" in body  # a whole page without JavaScript
    response = post_reply(agent, no_address, headers=HTMX, **{"reply-channel": "fax"})
    assert response.status_code == 422 and "<html" not in response.content.decode()
    assert "Select a valid choice" in response.content.decode()
    long_sms = make_case(org, customer_phone="+358401234567")
    response = post_reply(agent, long_sms, body="x" * 1600, **{"reply-channel": "sms"})
    assert "As an SMS this takes 11 messages" in response.content.decode()
    assert CaseMessage.objects.count() == 0


def test_another_organisation_cannot_reply_or_read_the_thread(client, org, case):
    other = make_org("muu")
    stranger = make_member(other, "outsider", role=Role.OWNER)
    # The other organisation has a case with the same number: theirs is what they get.
    theirs = make_case(other, number=case.number, customer_email="their@example.com")
    client.force_login(stranger)
    response = post_reply(client, case)
    assert response.status_code == 302
    message = CaseMessage.objects.get()
    assert message.case == theirs and message.to == "their@example.com"
    Case.objects.filter(pk=theirs.pk).delete()
    assert post_reply(client, case, key="c" * 32).status_code == 404
    assert client.get(reverse("case_thread", args=[case.number])).status_code == 404
    assert client.post(reverse("case_recovery", args=[case.number])).status_code == 404
    resend_url = reverse("case_message_resend", args=[case.number, message.pk])
    assert client.post(resend_url).status_code == 404
    assert not CaseMessage.objects.filter(case=case).exists()


def test_resending_a_failed_message(agent, case, aino):
    failed = CaseMessage.objects.create(
        organisation=case.organisation, case=case, direction="out", channel="email",
        to="maija@example.com", body="Hello", author=aino, status="failed", error="550 gone",
        idempotency_key="x", created_at=timezone.now(),
    )  # fmt: skip
    page = agent.get(reverse("case_detail", args=[case.number]), **EN).content.decode()
    assert "Not delivered: 550 gone" in page and "Send again" in page
    url = reverse("case_message_resend", args=[case.number, failed.pk])
    response = agent.post(url, **HTMX)
    assert response.status_code == 200
    assert CaseMessage.objects.filter(status="queued", body="Hello").count() == 1
    agent.post(url, **HTMX)
    assert CaseMessage.objects.count() == 2


def test_the_tone_guard_reads_the_reply(agent, case):
    url = reverse("case_reply_tone", args=[case.number])
    flagged = agent.post(url, {"reply-body": "It was your own fault."}, **HTMX).content.decode()
    assert "The tone guard found 1 thing to reconsider" in flagged
    assert '<mark class="tone-flag tone-blame"' in flagged
    fine = agent.post(url, {"reply-body": "Thank you, we fixed it."}, **HTMX).content.decode()
    assert "No wording to reconsider" in fine


def test_the_recovery_button(agent, org, aino):
    open_case = make_case(org, owner=aino)
    response = agent.post(reverse("case_recovery", args=[open_case.number]), **HTMX)
    assert response.status_code == 422 and "once the case is resolved" in response.content.decode()
    resolved = make_case(
        org, owner=aino, status="resolved", close_reason="fixed", closed_at=timezone.now()
    )
    page = agent.get(reverse("case_detail", args=[resolved.number]), **EN).content.decode()
    assert "Ask the customer: “Did we fix it?”" in page
    response = agent.post(reverse("case_recovery", args=[resolved.number]), **HTMX)
    assert response.status_code == 200
    assert "at maija@example.com" in response.content.decode()
    assert Invitation.objects.get().source_ref == f"case:{resolved.pk}"
    again = agent.post(reverse("case_recovery", args=[resolved.number]))
    assert again.status_code == 302 and again["Location"].endswith("#case-recovery")
    assert Invitation.objects.count() == 1
