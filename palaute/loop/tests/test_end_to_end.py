"""The whole closed loop with real components: a detractor answers on the hosted survey page
and asks to be contacted; a case opens and goes to the touchpoint's owner, who is told by
email; the owner replies from the case page and the customer receives it; the owner resolves
the case; the customer gets "Did we fix it?", answers "yes" through the personal link; and the
measures show it. Email goes through a loopback SMTP server, jobs through the real worker loop.
"""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from palaute.accounts.models import Role
from palaute.loop.measures import case_measures
from palaute.loop.models import Case, CaseEvent, CaseMessage
from palaute.outreach.tests.conftest import loopback_smtp
from palaute.outreach.tests.helpers import make_sender
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.surveys.publishing import create_survey
from palaute.surveys.tests.helpers import definition, make_org, make_touchpoint, question

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def mailbox(settings):
    with loopback_smtp(settings) as inbox:
        yield inbox


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def mail_to(mailbox, address: str) -> list:
    return [message for _from, rcpt, message in mailbox.received if address in rcpt]


def submit_page(client: Client, url: str, answers: dict) -> object:
    """GET the survey page at ``url`` and post ``answers`` with the page's own form."""
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    action = re.search(r'<form method="post" action="([^"]+)"', body).group(1)
    idem = re.search(r'name="idem" value="([0-9a-f]{32})"', body).group(1)
    target = urlsplit(url).path + action.replace("&amp;", "&")
    return client.post(target, {**answers, "idem": idem})


def test_detractor_to_recovered_customer(client, mailbox, django_capture_on_commit_callbacks):
    org = make_org("kahvila")
    aino = make_sender(org, "aino", role=Role.AGENT)
    counter = make_touchpoint(org, "counter")
    counter.owner = aino
    counter.save()
    survey = create_survey(
        org,
        key="visit",
        name="Visit",
        touchpoint=counter,
        definition=definition(
            question("nps", "nps", required=True),
            question("why", "text"),
            question("contact", "contact_me"),
        ),
    )

    # --- 1. The customer answers NPS 3 on the hosted page and asks to be contacted.
    customer = Client()
    # Receivers of a new response queue their work once it is committed.
    with django_capture_on_commit_callbacks(execute=True):
        answered = submit_page(
            customer,
            f"/s/{survey.public_key}/?lang=en",
            {
                "nps": "3",
                "why": "The queue was long and nobody said why.",
                "contact": "1",
                "contact.name": "Maija Meikäläinen",
                "contact.email": "maija@example.com",
                "presented": "nps,why,contact",
            },
        )
    assert answered.status_code == 302

    # --- 2. The worker opens the case for the touchpoint's owner, who is told by email.
    run_due_jobs()
    run_due_jobs()  # the notification queued by the opening job
    case = Case.objects.get(organisation=org)
    assert case.owner == aino and case.owner_source == Case.OwnerSource.TOUCHPOINT
    assert case.customer_email == "maija@example.com" and case.status == Case.Status.NEW
    [notification] = mail_to(mailbox, "aino@kahvila.example")
    assert f"/cases/{case.number}/" in text_of(notification)

    # --- 3. The owner replies from the case page.
    client.force_login(aino)
    page = client.get(reverse("case_detail", args=[case.number]), **EN).content.decode()
    key = re.search(r'name="reply-idempotency_key" value="([0-9a-f]{32})"', page).group(1)
    sent = client.post(
        reverse("case_reply", args=[case.number]),
        {
            "reply-channel": "email",
            "reply-subject": "",
            "reply-body": "Hi Maija,\n\nsorry about the queue. We added a second till.",
            "reply-idempotency_key": key,
        },
        **EN,
    )
    assert sent.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.CONTACTED

    # --- 4. The customer receives it from the owner, without their own comment quoted.
    run_due_jobs()
    [reply] = mail_to(mailbox, "maija@example.com")
    assert str(reply["Reply-To"]) == "aino@kahvila.example"
    assert "We added a second till." in text_of(reply)
    assert "nobody said why" not in text_of(reply)
    assert CaseMessage.objects.get(case=case).status == CaseMessage.Status.SENT

    # --- 5. The owner resolves the case on the case page: the recovery survey goes out.
    resolved = client.post(
        reverse("case_status", args=[case.number]),
        {"status": "resolved", "reason": "fixed", "note": "Second till opened."},
        **EN,
    )
    assert resolved.status_code == 302
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED and case.recovery_invitation is not None
    run_due_jobs()
    survey_mail = mail_to(mailbox, "maija@example.com")[-1]
    link = re.search(r"http://testserver(/i/[A-Za-z0-9_\-]+/)", text_of(survey_mail)).group(1)

    # --- 6. The customer answers "yes" through the personal link.
    opened = customer.get(link)
    assert opened.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        yes = submit_page(customer, opened["Location"], {"fixed": "yes", "presented": "fixed"})
    assert yes.status_code == 302
    case.refresh_from_db()
    assert case.recovered is True
    kinds = list(case.events.values_list("kind", flat=True))
    for kind in ("opened", "reply", "status", "recovery_sent", "recovery_answered"):
        assert kind in kinds
    assert kinds.index(CaseEvent.Kind.RECOVERY_SENT) < kinds.index(CaseEvent.Kind.RECOVERY_ANSWERED)

    # --- 7. The measures show a first response within target and a recovered customer.
    [row] = case_measures(org, since=None, until=None, group_by=None)
    first_response = (case.first_response_at - case.opened_at).total_seconds()
    assert 0 <= first_response < 60
    assert row["median_first_response_s"] == pytest.approx(first_response, abs=0.2)
    assert row["within_target_pct"] == 100.0
    assert (row["recovery_asked"], row["recovered"], row["recovery_rate_pct"]) == (1, 1, 100.0)
    [by_owner] = case_measures(org, since=None, until=None, group_by="owner")
    assert by_owner["label"] == "Aino Virtanen" and by_owner["responded"] == 1
    page = client.get(reverse("case_measures"), **EN).content.decode()
    assert '<th scope="row">Aino Virtanen</th>' in page and "100 %" in page
