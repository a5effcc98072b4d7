import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from palaute.accounts.models import AuditEntry, Membership, Role
from palaute.accounts.tests.helpers import make_member
from palaute.outreach.email_channel import answer_url, unsubscribe_url
from palaute.outreach.models import (
    Contact,
    EmailTemplate,
    Invitation,
    OutreachSettings,
    Segment,
    SenderProfile,
)
from palaute.outreach.tests.helpers import invitation_for, make_account, make_contact, make_sender
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.surveys.tests.helpers import make_org, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return make_org("kahvila")


@pytest.fixture
def manager(client, org):
    user = make_member(org, "manager", role=Role.MANAGER)
    client.force_login(user)
    return user


def en(client, url, **kwargs):
    with translation.override("en"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en", **kwargs)


def test_contact_list_search_and_segment_filter(client, org, manager):
    make_contact(org, "maija@example.com", attributes={"tier": "gold"})
    make_contact(org, "pekka@example.com", name="Pekka")
    segment = Segment.objects.create(
        organisation=org, name="Gold", conditions=[{"key": "tier", "op": "=", "value": "gold"}]
    )
    body = en(client, reverse("contact_list")).content.decode()
    assert "maija@example.com" in body and "pekka@example.com" in body
    body = en(client, reverse("contact_list") + "?q=pekka").content.decode()
    assert "pekka@example.com" in body and "maija@example.com" not in body
    body = en(client, reverse("contact_list") + f"?segment={segment.pk}").content.decode()
    assert "maija@example.com" in body and "pekka@example.com" not in body


def test_create_and_edit_a_contact_with_validation(client, org, manager):
    url = reverse("contact_create")
    bad = client.post(url, {"name": "X", "email": "nope", "phone": "12", "language": "fi"})
    assert bad.status_code == 200
    assert Contact.objects.count() == 0
    account = make_account(org)
    ok = client.post(
        url,
        {
            "name": "Maija",
            "email": "Maija@Example.com",
            "phone": "040 123 4567",
            "language": "en",
            "account": account.pk,
            "attributes_text": "tier = gold\nregion = Uusimaa",
        },
    )
    assert ok.status_code == 302
    contact = Contact.objects.get()
    assert (contact.email, contact.phone, contact.account) == (
        "maija@example.com",
        "+358401234567",
        account,
    )
    assert contact.attributes == {"tier": "gold", "region": "Uusimaa"}
    duplicate = client.post(url, {"email": "maija@example.com", "language": "fi"})
    assert duplicate.status_code == 200 and Contact.objects.count() == 1
    edit = client.post(
        reverse("contact_detail", args=[contact.pk]),
        {"name": "Maija M", "email": "maija@example.com", "language": "fi", "attributes_text": ""},
    )
    assert edit.status_code == 302
    contact.refresh_from_db()
    assert contact.name == "Maija M" and contact.attributes == {} and contact.phone == ""
    assert AuditEntry.objects.filter(action="contact.update").exists()


def test_staff_can_opt_a_contact_out_and_back_in(client, org, manager):
    contact = make_contact(org)
    url = reverse("contact_consent", args=[contact.pk])
    client.post(url, {"channel": "email", "action": "opt_out"})
    contact.refresh_from_db()
    assert contact.email_opt_out_at is not None
    client.post(url, {"channel": "email", "action": "opt_in"})
    contact.refresh_from_db()
    assert contact.email_opt_out_at is None
    assert AuditEntry.objects.filter(action="contact.opt_in").count() == 1


def test_import_page_all_or_nothing(client, org, manager):
    url = reverse("contact_import")
    bad = client.post(
        url, {"file": SimpleUploadedFile("c.csv", b"email\nok@example.com\nbroken\n")}
    )
    assert bad.status_code == 200
    assert "row 3, column email: not a valid email address" in bad.content.decode()
    assert not Contact.objects.exists()
    good = client.post(url, {"file": SimpleUploadedFile("c.csv", b"email\nok@example.com\n")})
    assert good.status_code == 302 and Contact.objects.count() == 1


def test_segment_editor_shows_members_and_errors(client, org, manager):
    make_contact(org, "gold@example.com", attributes={"tier": "gold"})
    bad = client.post(reverse("segment_create"), {"name": "Gold", "conditions_text": "tier gold"})
    assert bad.status_code == 200 and not Segment.objects.exists()
    ok = client.post(reverse("segment_create"), {"name": "Gold", "conditions_text": "tier = gold"})
    segment = Segment.objects.get()
    assert ok.status_code == 302
    page = en(client, reverse("segment_edit", args=[segment.pk])).content.decode()
    assert "1 contact" in page and "Maija Meikäläinen" in page


def test_template_editor_validates_previews_saves_and_resets(client, org, manager):
    url = reverse("template_edit", args=["invitation", "en"])
    page = en(client, url).content.decode()
    assert "{{ organisation }}: how did we do?" in page  # the default, editable
    bad = client.post(url, {"subject": "Hi {{ nam }}", "body": "no link", "action": "save"})
    assert bad.status_code == 200 and not EmailTemplate.objects.exists()
    preview = client.post(
        url, {"subject": "Hi {{ first_name }}", "body": "Go: {{ link }}", "action": "preview"}
    )
    body = preview.content.decode()
    assert "Hi Maija" in body and "srcdoc=" in body and not EmailTemplate.objects.exists()
    client.post(url, {"subject": "Hi {{ first_name }}", "body": "Go: {{ link }}", "action": "save"})
    saved = EmailTemplate.objects.get()
    assert (saved.kind, saved.language, saved.subject) == (
        "invitation",
        "en",
        "Hi {{ first_name }}",
    )
    client.post(url, {"action": "reset"})
    assert not EmailTemplate.objects.exists()
    assert client.get(reverse("template_edit", args=["bogus", "en"])).status_code == 404


def test_sending_settings_and_sender_profile(client, org, manager):
    sender = make_sender(org, "aino")
    url = reverse("sending_settings")
    response = client.post(
        url,
        {
            "action": "settings",
            "default_sender": sender.pk,
            "reminders": 2,
            "reminder_after_days": 4,
        },
    )
    assert response.status_code == 302
    settings = OutreachSettings.objects.get(organisation=org)
    assert (settings.default_sender, settings.reminders, settings.reminder_after_days) == (
        sender,
        2,
        4,
    )
    too_many = client.post(url, {"action": "settings", "reminders": 9, "reminder_after_days": 4})
    assert too_many.status_code == 200
    insecure = client.post(url, {"action": "profile", "photo_url": "http://x.example/a.jpg"})
    assert insecure.status_code == 200
    saved = client.post(
        url,
        {
            "action": "profile",
            "title": "Owner",
            "phone": "040 123 4567",
            "photo_url": "https://x.example/a.jpg",
            "reply_to": "me@x.fi",
        },
    )
    assert saved.status_code == 302
    membership = Membership.objects.get(organisation=org, user=manager)
    assert (membership.title, membership.phone) == ("Owner", "+358401234567")
    profile = SenderProfile.objects.get(organisation=org, user=manager)
    assert (profile.photo_url, profile.reply_to) == ("https://x.example/a.jpg", "me@x.fi")


def test_send_to_a_segment_creates_invitations(client, org, manager):
    survey = make_survey(organisation=org)
    make_contact(org, "gold@example.com", attributes={"tier": "gold"})
    make_contact(
        org, "out@example.com", attributes={"tier": "gold"}, email_opt_out_at="2024-01-01T00:00Z"
    )
    make_contact(org, "silver@example.com", attributes={"tier": "silver"})
    segment = Segment.objects.create(
        organisation=org, name="Gold", conditions=[{"key": "tier", "op": "=", "value": "gold"}]
    )
    batch = uuid.uuid4().hex
    url = reverse("survey_send", args=[survey.key])
    form = {"segment": segment.pk, "channel": "email", "send_at": "", "batch": batch}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # a double submit creates nothing more
    assert Invitation.objects.count() == 0  # the worker creates them (test_send_batches.py)
    run_due_jobs()  # creates the invitations, then sends the one that may go
    statuses = dict(Invitation.objects.values_list("contact__email", "status"))
    assert statuses == {"gold@example.com": "sent", "out@example.com": "skipped"}
    page = en(client, reverse("survey_invitations", args=[survey.key])).content.decode()
    assert "Sent (1)" in page and "Skipped (1)" in page
    assert "The contact has opted out of this channel" in page


def test_viewers_read_but_cannot_change(client, org):
    viewer = make_member(org, "viewer", role=Role.VIEWER)
    client.force_login(viewer)
    contact = make_contact(org)
    survey = make_survey(organisation=org)
    assert client.get(reverse("contact_list")).status_code == 200
    assert client.get(reverse("contact_detail", args=[contact.pk])).status_code == 200
    assert client.get(reverse("survey_invitations", args=[survey.key])).status_code == 200
    assert client.get(reverse("template_list")).status_code == 200
    assert client.get(reverse("contact_create")).status_code == 403
    assert client.get(reverse("contact_import")).status_code == 403
    assert (
        client.post(reverse("contact_detail", args=[contact.pk]), {"name": "x"}).status_code == 403
    )
    assert (
        client.post(reverse("contact_consent", args=[contact.pk]), {"channel": "email"}).status_code
        == 403
    )
    assert client.get(reverse("template_edit", args=["invitation", "fi"])).status_code == 403
    assert client.post(reverse("survey_send", args=[survey.key]), {}).status_code == 403
    sending = client.post(reverse("sending_settings"), {"action": "settings", "reminders": 3})
    assert sending.status_code == 403


def test_another_organisation_gets_404(client, org, manager):
    other = make_org("other")
    contact = make_contact(other, "theirs@example.com")
    account = make_account(other)
    segment = Segment.objects.create(organisation=other, name="Theirs")
    survey = make_survey(organisation=other, key="theirs")
    invitation_for(survey, contact)
    for url in (
        reverse("contact_detail", args=[contact.pk]),
        reverse("account_detail", args=[account.pk]),
        reverse("segment_edit", args=[segment.pk]),
        reverse("survey_invitations", args=[survey.key]),
        reverse("contact_list") + f"?segment={segment.pk}",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (reverse("contact_consent", args=[contact.pk]), {"channel": "email"}),
        (reverse("contact_delete", args=[contact.pk]), {}),
        (reverse("segment_delete", args=[segment.pk]), {}),
        (reverse("survey_send", args=[survey.key]), {"channel": "email", "batch": "0" * 32}),
    ):
        assert client.post(url, data).status_code == 404, url
    listing = client.get(reverse("contact_list")).content.decode()
    assert "theirs@example.com" not in listing
    assert Contact.objects.filter(pk=contact.pk, email_opt_out_at=None).exists()
    assert Invitation.objects.count() == 1


def test_invitation_link_and_unsubscribe_pages(client, org, settings):
    settings.SITE_URL = "http://testserver"
    survey = make_survey(organisation=org)
    contact = make_contact(org, language="en")
    invitation = invitation_for(survey, contact, status="sent")
    assert client.get("/i/" + "x" * 44 + "/").status_code == 404
    link = answer_url(invitation).removeprefix("http://testserver")
    assert client.get(link).status_code == 302
    unsubscribe = unsubscribe_url(invitation).removeprefix("http://testserver")
    # The answer link does not unsubscribe and the unsubscribe link does not answer.
    assert client.get(unsubscribe.replace("/u/", "/i/")).status_code == 404
    assert client.get(link.replace("/i/", "/u/")).status_code == 404
    confirm = client.get(unsubscribe)
    assert confirm.status_code == 200 and '<form method="post"' in confirm.content.decode()
    contact.refresh_from_db()
    assert contact.email_opt_out_at is None  # a GET (a link scanner) changes nothing
    done = client.post(unsubscribe)
    assert "You have unsubscribed" in done.content.decode()
    contact.refresh_from_db()
    assert contact.email_opt_out_at is not None
    assert AuditEntry.objects.get(action="contact.opt_out").detail == {
        "channel": "email",
        "via": "link",
    }
