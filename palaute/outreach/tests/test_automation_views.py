"""Back-office pages for automation: rules, events, the webhook secret, schedules, SMS templates
and sending settings — who may do what, and that another organisation sees nothing."""

import uuid
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member
from palaute.outreach.events import ContactRef, EventData, record_event
from palaute.outreach.models import (
    Event,
    Invitation,
    OutreachSettings,
    Schedule,
    ScheduleRound,
    Segment,
    SmsTemplate,
    TriggerRule,
)
from palaute.outreach.tests.helpers import make_contact
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.surveys.tests.helpers import make_org, make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return make_org("kahvila")


@pytest.fixture
def survey(org):
    return make_survey(organisation=org, key="visit")


@pytest.fixture
def manager(client, org):
    user = make_member(org, "manager", role=Role.MANAGER)
    client.force_login(user)
    return user


def en(client, url, **kwargs):
    with translation.override("en"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en", **kwargs)


RULE_FORM = {
    "name": "After the event",
    "event_name": "booking.completed",
    "is_active": "on",
    "action": "survey",
    "channel_preference": "email_first",
    "delay_amount": "2",
    "delay_unit": "hours",
    "delay_from": "ends",
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "time_zone": "Europe/Helsinki",
    "conditions_text": "type = private",
}


def test_manager_creates_a_rule_with_validation(client, org, survey, manager):
    url = reverse("rule_create")
    assert en(client, url).status_code == 200
    bad = client.post(url, {**RULE_FORM, "event_name": "Booking Done!", "quiet_end": ""})
    assert bad.status_code == 200 and TriggerRule.objects.count() == 0
    assert set(bad.context["form"].errors) == {"event_name", "survey", "quiet_end"}
    ok = client.post(url, {**RULE_FORM, "survey": survey.pk})
    assert ok.status_code == 302
    rule = TriggerRule.objects.get()
    assert rule.conditions == [{"key": "type", "value": "private"}]
    assert (rule.quiet_start.hour, rule.quiet_end.hour, rule.delay_from) == (21, 8, "ends")
    listing = en(client, reverse("rule_list")).content.decode()
    assert "booking.completed" in listing and "21:00–08:00" in listing


def test_message_rule_needs_a_message_with_known_placeholders(client, org, manager):
    url = reverse("rule_create")
    data = {**RULE_FORM, "action": "message", "message_body_fi": ""}
    assert "message_body_fi" in client.post(url, data).context["form"].errors
    data["message_body_fi"] = "Hei {{ first_name }}, asentaja tulee {{ event.window }}. {{ link }}"
    assert "message_body_fi" in client.post(url, data).context["form"].errors
    data["message_body_fi"] = "Hei {{ first_name }}, asentaja tulee klo {{ event.window }}."
    assert client.post(url, data).status_code == 302
    assert TriggerRule.objects.get().action == "message"


def test_viewers_see_but_do_not_change(client, org, survey):
    viewer = make_member(org, "viewer", role=Role.VIEWER)
    client.force_login(viewer)
    assert en(client, reverse("rule_list")).status_code == 200
    assert en(client, reverse("schedule_list")).status_code == 200
    assert en(client, reverse("event_list")).status_code == 200
    assert en(client, reverse("sms_template_list")).status_code == 200
    assert client.get(reverse("rule_create")).status_code == 403
    assert (
        client.post(reverse("rule_create"), {**RULE_FORM, "survey": survey.pk}).status_code == 403
    )
    assert client.post(reverse("event_webhook_settings"), {"action": "rotate"}).status_code == 404
    assert TriggerRule.objects.count() == 0
    assert (
        OutreachSettings.objects.filter(organisation=org).exclude(events_webhook_key="").count()
        == 0
    )


def test_another_organisation_sees_nothing(client, org, survey):
    rule = TriggerRule.objects.create(organisation=org, name="R", event_name="x", survey=survey)
    recorded = record_event(
        org, EventData(name="x", contact=ContactRef(email="a@example.com")), source="api"
    )
    schedule = Schedule.objects.create(
        organisation=org, name="S", survey=survey, start_date=date(2025, 1, 1)
    )
    other = make_org("studio")
    client.force_login(make_member(other, "intruder", role=Role.OWNER))
    for url in (
        reverse("rule_edit", args=[rule.pk]),
        reverse("event_detail", args=[recorded.event.pk]),
        reverse("schedule_detail", args=[schedule.pk]),
        reverse("schedule_edit", args=[schedule.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("rule_delete", args=[rule.pk])).status_code == 404
    assert (
        client.post(
            reverse("schedule_round", args=[schedule.pk]), {"batch": uuid.uuid4().hex}
        ).status_code
        == 404
    )
    assert client.post(reverse("schedule_delete", args=[schedule.pk])).status_code == 404
    listing = en(client, reverse("event_list")).content.decode()
    assert "a@example.com" not in listing
    assert TriggerRule.objects.filter(pk=rule.pk).exists() and ScheduleRound.objects.count() == 0


def test_event_pages_and_csv_upload(client, org, survey, manager):
    TriggerRule.objects.create(
        organisation=org, name="R", event_name="delivery.done", survey=survey
    )
    bad = client.post(
        reverse("event_import"),
        {"file": SimpleUploadedFile("e.csv", b"email\nnope\n"), "event": "delivery.done"},
    )
    assert bad.status_code == 200 and "row 2, column email" in bad.content.decode()
    ok = client.post(
        reverse("event_import"),
        {
            "file": SimpleUploadedFile("e.csv", b"email\nmaija@example.com\n"),
            "event": "delivery.done",
            "batch": uuid.uuid4().hex,
        },
    )
    assert ok.status_code == 302
    run_due_jobs()  # the upload's job records the events (test_event_imports.py)
    event = Event.objects.get()
    listing = en(client, reverse("event_list")).content.decode()
    assert "delivery.done" in listing and "maija@example.com" in listing
    detail = en(client, reverse("event_detail", args=[event.pk])).content.decode()
    assert survey.name in detail and "Scheduled" in detail


def test_webhook_secret_is_shown_once_and_can_be_rotated_and_turned_off(client, org, manager):
    page = en(client, reverse("event_webhook_settings")).content.decode()
    assert "/hooks/events/kahvila" in page and "whsec_" not in page
    created = client.post(reverse("event_webhook_settings"), {"action": "rotate"})
    secret = created.context["secret"]
    assert secret.startswith("whsec_") and secret in created.content.decode()
    assert secret not in en(client, reverse("event_webhook_settings")).content.decode()
    rotated = client.post(reverse("event_webhook_settings"), {"action": "rotate"}).context["secret"]
    assert rotated != secret
    client.post(reverse("event_webhook_settings"), {"action": "disable"})
    assert OutreachSettings.objects.get(organisation=org).events_webhook_key == ""


def test_schedule_form_and_rounds_by_hand(client, org, survey, manager):
    panel = Segment.objects.create(organisation=org, name="Panel")
    make_contact(org, "panel@example.com")
    url = reverse("schedule_create")
    data = {
        "name": "Customer panel",
        "kind": "panel",
        "survey": survey.pk,
        "audience": "all",
        "channel_preference": "email_first",
        "frequency": "months",
        "interval": "30",
        "start_date": "2030-01-15",
        "send_time": "09:00",
        "time_zone": "Europe/Helsinki",
        "is_active": "on",
    }
    bad = client.post(url, data)
    assert set(bad.context["form"].errors) == {"audience", "interval"}
    created = client.post(
        url, {**data, "audience": "segment", "segment": panel.pk, "interval": "3"}
    )
    assert created.status_code == 302
    schedule = Schedule.objects.get()
    assert schedule.next_run_at is not None and schedule.next_run_at.year == 2030
    batch = uuid.uuid4().hex
    round_url = reverse("schedule_round", args=[schedule.pk])
    client.post(round_url, {"batch": batch})
    client.post(round_url, {"batch": batch})  # a double submit
    assert ScheduleRound.objects.count() == 1 and Invitation.objects.count() == 1
    detail = en(client, reverse("schedule_detail", args=[schedule.pk])).content.decode()
    assert "Start a round now" in detail
    # A segment in use by a schedule cannot be deleted.
    client.post(reverse("segment_delete", args=[panel.pk]))
    assert Segment.objects.filter(pk=panel.pk).exists()


def test_sms_template_editor_counts_segments(client, org, manager, settings):
    settings.SITE_URL = "https://palaute.example.com"
    settings.SMS_FROM = "+358451234567"
    url = reverse("sms_template_edit", args=["invitation", "fi"])
    page = en(client, url).content.decode()
    assert "1 SMS segment" in page and "GSM-7" in page
    count = client.post(
        reverse("sms_count"), {"body": "Hei – {{ link }} " + "x" * 100, "language": "fi"}
    )
    body = count.content.decode()
    assert count.status_code == 200 and "UCS-2" in body and "<code>–</code>" in body
    bad = client.post(url, {"body": "No link here", "action": "save"})
    assert bad.status_code == 200 and SmsTemplate.objects.count() == 0
    saved = client.post(url, {"body": "Moi {{ first_name }}! {{ link }}", "action": "save"})
    assert saved.status_code == 302
    assert SmsTemplate.objects.get().body == "Moi {{ first_name }}! {{ link }}"
    client.post(url, {"action": "reset"})
    assert SmsTemplate.objects.count() == 0


def test_sending_settings_frequency_cap_and_sms_sender(client, org, manager):
    url = reverse("sending_settings")
    base = {"action": "settings", "reminders": "1", "reminder_after_days": "3"}
    bad = client.post(url, {**base, "frequency_cap_days": "30", "sms_sender": "Too long a name"})
    assert "sms_sender" in bad.context["settings_form"].errors
    client.post(url, {**base, "frequency_cap_days": "30", "sms_sender": "Kahvila"})
    settings_row = OutreachSettings.objects.get(organisation=org)
    assert (settings_row.frequency_cap_days, settings_row.sms_sender) == (30, "Kahvila")
    client.post(url, {**base, "frequency_cap_days": "0", "sms_sender": "040 123 4567"})
    assert OutreachSettings.objects.get(organisation=org).sms_sender == "+358401234567"


def test_send_form_offers_sms_and_shows_its_segments(client, org, survey, manager, settings):
    settings.SMS_BACKEND = "memory"
    settings.SMS_FROM = "+358451234567"
    make_contact(org, "", phone="+358401234567")
    page = en(client, reverse("survey_invitations", args=[survey.key])).content.decode()
    assert "SMS invitation:" in page and "1 segment" in page
    client.post(
        reverse("survey_send", args=[survey.key]),
        {"channel": "sms_first", "batch": uuid.uuid4().hex},
    )
    run_due_jobs()
    assert Invitation.objects.get().channel == "sms"
