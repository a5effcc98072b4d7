"""Journey messages carry the same unsubscribe as invitations: List-Unsubscribe (https and
mailto) with one-click POST, a link at the foot, and the short opt-out link in an SMS from a
name. Exercised through the loopback SMTP server, the real one-click POST, the mailed
unsubscribe command and the worker loop."""

import io
import re
from urllib.parse import unquote

import pytest
from django.core.management import call_command

from palaute.accounts.models import AuditEntry
from palaute.outreach.events import ContactRef, EventData, record_event
from palaute.outreach.invitations import invite
from palaute.outreach.models import Contact, OutreachSettings, TriggerRule
from palaute.outreach.sms_providers import MemoryProvider
from palaute.outreach.tests.helpers import invitation_for, make_contact
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.outreach.tokens import MESSAGE_UNSUBSCRIBE, UNSUBSCRIBE, make_token
from palaute.outreach.unsubscribe import find
from palaute.surveys.tests.helpers import make_org, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    organisation = make_org("kahvila")
    TriggerRule.objects.create(
        organisation=organisation,
        name="Installer on the way",
        event_name="installation.booked",
        action="message",
        channel_preference="email_only",
        delay_amount=0,
        message_subject_en="Your installation",
        message_body_en="Hi {{ first_name }}, the installer comes tomorrow.",
    )
    return organisation


def book(org, external_id: str, **contact):
    contact = {"email": "maija@example.com", "name": "Maija", "language": "en", **contact}
    return record_event(
        org,
        EventData(
            name="installation.booked", contact=ContactRef(**contact), external_id=external_id
        ),
        source="api",
    )


def sent_message(org, smtp_inbox, external_id="b-1"):
    [message] = book(org, external_id).triggered.messages
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent"
    return message, smtp_inbox.received[-1]


def test_message_email_has_one_click_list_unsubscribe_and_a_footer_link(org, smtp_inbox):
    message, (envelope_from, _, mail) = sent_message(org, smtp_inbox)
    token = make_token(message.key, MESSAGE_UNSUBSCRIBE)
    link = f"http://testserver/u/{token}/"
    https, mailto = re.findall(r"<([^>]+)>", str(mail["List-Unsubscribe"]))
    assert https == link
    assert mailto == f"mailto:bounces@kahvila.example?subject=unsubscribe%20{token}"
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert envelope_from == "bounces@kahvila.example"
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_content()
    html = next(p for p in mail.walk() if p.get_content_type() == "text/html").get_content()
    assert text.startswith("Hi Maija, the installer comes tomorrow.")
    assert f"Don't want these emails any more? Unsubscribe: {link}" in text
    assert f'<a href="{link}">Unsubscribe</a>' in html


def test_one_click_post_from_a_message_opts_the_contact_out_of_email(client, org, smtp_inbox):
    message, (_, _, mail) = sent_message(org, smtp_inbox)
    https = re.findall(r"<([^>]+)>", str(mail["List-Unsubscribe"]))[0]
    path = https.removeprefix("http://testserver")
    contact = Contact.objects.get()

    # A link scanner's GET changes nothing; it shows the confirmation.
    confirm = client.get(path)
    assert confirm.status_code == 200 and '<form method="post"' in confirm.content.decode()
    assert "Stop emails from Kahvila to maija@example.com?" in confirm.content.decode()
    contact.refresh_from_db()
    assert contact.email_opt_out_at is None

    # The mail program's one-click request (RFC 8058): no CSRF token, this exact body.
    response = client.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "Kahvila will not send emails to maija@example.com any more." in (
        response.content.decode()
    )
    contact.refresh_from_db()
    assert contact.email_opt_out_at is not None and contact.sms_opt_out_at is None
    assert AuditEntry.objects.get(action="contact.opt_out").detail == {
        "channel": "email",
        "via": "one-click (message)",
    }
    # Everything on email stops: the next journey message and survey invitations.
    [later] = book(org, "b-2").triggered.messages
    assert (later.status, later.skip_reason) == ("skipped", "opted_out")
    [invitation] = invite(make_survey(organisation=org), [contact], batch_key="later").created
    assert (invitation.status, invitation.skip_reason) == ("skipped", "opted_out")
    assert len(smtp_inbox.received) == 1


def test_the_mailto_half_opts_out_through_inbound_email(org, smtp_inbox, tmp_path):
    message, (_, _, mail) = sent_message(org, smtp_inbox)
    mailto = re.search(r"<(mailto:[^>]+)>", str(mail["List-Unsubscribe"])).group(1)
    subject = unquote(mailto.partition("subject=")[2])
    request = tmp_path / "unsubscribe.eml"
    request.write_text(
        f"From: maija@example.com\nTo: bounces@kahvila.example\nSubject: {subject}\n\nx\n"
    )
    output = io.StringIO()
    call_command("inbound_email", str(request), stdout=output)
    assert "unsubscribed: 1" in output.getvalue()
    assert Contact.objects.get().email_opt_out_at is not None


def test_tokens_name_their_own_kind_only_and_other_organisations_are_untouched(
    client, org, smtp_inbox
):
    message, _ = sent_message(org, smtp_inbox)
    # The message's key under the invitations' purpose (and the other way round) is no token.
    assert client.get(f"/u/{make_token(message.key, UNSUBSCRIBE)}/").status_code == 404
    invitation = invitation_for(make_survey(organisation=org), Contact.objects.get())
    assert find(make_token(invitation.key, MESSAGE_UNSUBSCRIBE)) is None
    assert client.post("/u/" + "x" * 44 + "/").status_code == 404
    # The same address in another organisation is another contact, and stays subscribed.
    other = make_contact(make_org("other"), "maija@example.com")
    client.post(f"/u/{make_token(message.key, MESSAGE_UNSUBSCRIBE)}/")
    other.refresh_from_db()
    assert other.email_opt_out_at is None
    assert Contact.objects.get(organisation=org).email_opt_out_at is not None


def test_an_sms_message_from_a_name_carries_the_short_opt_out_link(client, org, memory_sms):
    TriggerRule.objects.filter(organisation=org).update(channel_preference="sms_only")
    OutreachSettings.objects.create(organisation=org, sms_sender="Kahvila")
    [message] = book(org, "s-1", email="", phone="+358401234567").triggered.messages
    run_due_jobs()
    [sms] = MemoryProvider.outbox
    link = re.search(r"http://\S+", sms.body).group(0)
    assert sms.body.startswith("Hi Maija, the installer comes tomorrow.\n")
    assert len(link.rsplit("/", 2)[1]) == 33  # the short token, as invitation SMS
    page = client.get(link.removeprefix("http://testserver"))
    assert "Stop text messages from Kahvila to +358401234567?" in page.content.decode()
    client.post(link.removeprefix("http://testserver"))
    contact = Contact.objects.get()
    assert contact.sms_opt_out_at is not None and contact.email_opt_out_at is None
