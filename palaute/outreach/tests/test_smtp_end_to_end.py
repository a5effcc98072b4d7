"""The email path against a real SMTP server on loopback (aiosmtpd): the worker sends, the
message is checked as a mail client would see it, and its links are followed."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from palaute.outreach.invitations import invite
from palaute.outreach.models import Invitation, OutreachSettings
from palaute.outreach.tests.helpers import make_account, make_contact, make_sender
from palaute.outreach.tests.jobs_helpers import make_due, run_due_jobs
from palaute.surveys.tests.helpers import definition, make_org, make_survey, question

pytestmark = pytest.mark.django_db


def _part(message, kind: str) -> str:
    return next(p for p in message.walk() if p.get_content_type() == kind).get_content()


def test_invitation_email_end_to_end(client, smtp_inbox):
    org = make_org("kahvila")
    survey = make_survey(
        definition(question("nps", "nps", required=True)), organisation=org, key="visit"
    )
    owner = make_sender(org, "aino")
    OutreachSettings.objects.create(organisation=org, reminders=1, reminder_after_days=2)
    contact = make_contact(
        org, "maija@example.com", language="en", account=make_account(org, owner=owner)
    )

    invite(survey, [contact], batch_key="visit-2024-06")
    assert run_due_jobs() == 1

    # --- what arrived at the SMTP server
    assert len(smtp_inbox.received) == 1
    mail_from, rcpt_tos, message = smtp_inbox.received[0]
    assert mail_from == "bounces@kahvila.example"  # envelope sender: bounces come back here
    assert rcpt_tos == ["maija@example.com"]
    assert message["From"].addresses[0].display_name == "Aino Virtanen | Kahvila"
    assert message["From"].addresses[0].addr_spec == "kysely@kahvila.example"
    assert str(message["Reply-To"]) == "aino@kahvila.example"
    assert str(message["Subject"]) == "Kahvila: how did we do?"
    assert message["Message-ID"].startswith("<invitation-")
    assert message.get_content_type() == "multipart/alternative"
    text, html = _part(message, "text/plain"), _part(message, "text/html")
    assert text.startswith("Hi Maija,")
    assert "Aino Virtanen, Customer manager" in text and "+358401112223" in text
    links = re.findall(r"http://testserver/i/[A-Za-z0-9_\-]{44}/", text)
    assert len(links) == 1
    link = links[0]
    assert f'href="{link}"' in html and "Answer the survey" in html
    unsubscribe_header = str(message["List-Unsubscribe"])
    https_unsub, mailto_unsub = re.findall(r"<([^>]+)>", unsubscribe_header)
    assert https_unsub.startswith("http://testserver/u/")
    assert mailto_unsub.startswith("mailto:bounces@kahvila.example?subject=unsubscribe%20")
    assert str(message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert https_unsub in text and f'href="{https_unsub}"' in html

    invitation = Invitation.objects.get()
    assert invitation.status == "sent" and invitation.next_reminder_at is not None

    # --- the link opens the survey, in the contact's language, marked opened
    opened = client.get(urlsplit(link).path)
    assert opened.status_code == 302
    target = urlsplit(opened["Location"])
    assert target.path == f"/s/{survey.public_key}/"
    params = parse_qs(target.query)
    assert params["ch"] == ["email"] and params["lang"] == ["en"] and params["inv"]
    invitation.refresh_from_db()
    assert invitation.status == "opened" and invitation.opened_at is not None

    page = client.get(opened["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert 'lang="en"' in body and "inv=" in body
    action = re.search(r'<form method="post" action="([^"]+)"', body).group(1).replace("&amp;", "&")
    idem = re.search(r'name="idem" value="([0-9a-f]{32})"', body).group(1)

    # --- answering records the response against the contact and cancels the reminder
    answered = client.post(
        f"/s/{survey.public_key}/{action}", {"nps": "9", "presented": "nps", "idem": idem}
    )
    assert answered.status_code == 302 and "/thanks/" in answered["Location"]
    invitation.refresh_from_db()
    assert invitation.status == "completed" and invitation.completed_at is not None
    assert invitation.response is not None
    assert invitation.response.channel == "email"
    assert invitation.response.answers.get().score == 9
    assert invitation.contact == contact
    assert invitation.next_reminder_at is None

    # --- the same link again: already answered, and a replayed POST stores nothing new
    again = client.get(urlsplit(link).path)
    assert again.status_code == 200 and "You have already answered" in again.content.decode()
    page_again = client.get(opened["Location"])
    assert "You have already answered" in page_again.content.decode()
    replay = client.post(
        f"/s/{survey.public_key}/{action}", {"nps": "0", "presented": "nps", "idem": "f" * 32}
    )
    assert replay.status_code == 302
    assert survey.responses.count() == 1

    # --- the reminder does not go out even when its time comes
    make_due()
    run_due_jobs()
    assert len(smtp_inbox.received) == 1

    # --- one-click unsubscribe (RFC 8058) from the header
    result = client.post(urlsplit(https_unsub).path, {"List-Unsubscribe": "One-Click"})
    assert result.status_code == 200
    contact.refresh_from_db()
    assert contact.email_opt_out_at is not None


def test_reminder_email_reaches_a_non_responder(client, smtp_inbox):
    org = make_org("kahvila")
    survey = make_survey(organisation=org)
    OutreachSettings.objects.create(organisation=org, reminders=1, reminder_after_days=2)
    contact = make_contact(org, "silent@example.com")
    invite(survey, [contact], batch_key="b")
    run_due_jobs()
    invitation = Invitation.objects.get()
    Invitation.objects.filter(pk=invitation.pk).update(next_reminder_at=timezone.now())
    make_due()
    run_due_jobs()
    assert len(smtp_inbox.received) == 2
    first, reminder = smtp_inbox.received[0][2], smtp_inbox.received[1][2]
    assert str(reminder["Subject"]) == "Muistutus: Miten onnistuimme?"
    link = re.search(r"http://testserver/i/\S+/", _part(first, "text/plain")).group(0)
    assert link in _part(reminder, "text/plain")  # the same personal link
    assert reminder["Message-ID"] != first["Message-ID"]
    invitation.refresh_from_db()
    assert invitation.reminders_sent == 1 and invitation.next_reminder_at is None
