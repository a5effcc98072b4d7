"""Events and trigger rules: matching, timing in the rule's zone, contacts from events, journey
messages, and the frequency cap across surveys."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone, translation

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member
from palaute.outreach.events import ContactRef, EventData, EventInvalid, record_event
from palaute.outreach.invitations import invite
from palaute.outreach.models import (
    Contact,
    Event,
    Invitation,
    JourneyMessage,
    OutreachSettings,
    TriggerRule,
)
from palaute.outreach.tests.helpers import make_contact
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.outreach.triggers import conditions_hold, parse_conditions
from palaute.surveys.tests.helpers import make_org, make_survey

pytestmark = pytest.mark.django_db

HELSINKI_SUMMER = timedelta(hours=3)


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def org():
    return make_org("kahvila")


def rule(org, **fields):
    defaults = {
        "organisation": org,
        "name": "Survey after delivery",
        "event_name": "delivery.done",
        "survey": make_survey(organisation=org, key=f"s{TriggerRule.objects.count()}"),
        "delay_amount": 2,
        "delay_unit": "hours",
    }
    return TriggerRule.objects.create(**{**defaults, **fields})


def event(name="delivery.done", *, email="maija@example.com", phone="", **fields):
    return EventData(name=name, contact=ContactRef(email=email, phone=phone), **fields)


def test_conditions():
    conditions = parse_conditions("type = private\nguests = 24\n\n")
    assert conditions == [{"key": "type", "value": "private"}, {"key": "guests", "value": "24"}]
    assert conditions_hold(conditions, {"type": "private", "guests": "24", "x": "y"})
    assert not conditions_hold(conditions, {"type": "business", "guests": "24"})
    assert not conditions_hold(conditions, {"type": "private"})
    with pytest.raises(ValueError, match="line 1"):
        parse_conditions("type private")


def test_only_active_matching_rules_fire(org):
    private = rule(org, name="Private", conditions=[{"key": "type", "value": "private"}])
    rule(org, name="Off", is_active=False)
    rule(org, name="Other event", event_name="ticket.closed")
    now = at(2025, 6, 10, 9, 0)
    recorded = record_event(
        org, event(attributes={"type": "private"}, occurred_at=now), source="api", now=now
    )
    [invitation] = recorded.triggered.invitations
    assert invitation.survey == private.survey
    assert (
        invitation.dedup_key
        == f"rule:{private.pk}:event:{recorded.event.pk}:{invitation.contact_id}"
    )
    business = record_event(
        org, event(attributes={"type": "business"}, occurred_at=now), source="api", now=now
    )
    assert business.triggered.invitations == []


def test_quiet_hours_postpone_to_the_morning_in_the_rules_zone(org):
    rule(org, quiet_start=time(21, 0), quiet_end=time(8, 0), delay_from="ends")
    ends = at(2025, 6, 10, 16, 30)  # 19:30 in Helsinki; +2 h is 21:30: quiet
    recorded = record_event(org, event(ends_at=ends), source="api", now=ends)
    [invitation] = recorded.triggered.invitations
    assert invitation.scheduled_for == at(2025, 6, 11, 5, 0)  # 08:00 Helsinki summer time
    new_york = rule(
        org, quiet_start=time(21, 0), quiet_end=time(8, 0), time_zone="America/New_York"
    )
    other = record_event(
        org, event(occurred_at=ends, email="pekka@example.com"), source="api", now=ends
    )
    by_rule = {i.dedup_key.split(":")[1]: i for i in other.triggered.invitations}
    assert by_rule[str(new_york.pk)].scheduled_for == ends + timedelta(hours=2)  # 14:30 there


def test_days_delay_and_a_late_event(org):
    rule(org, delay_amount=1, delay_unit="days")
    occurred = at(2025, 3, 29, 8, 0)  # 10:00 Helsinki, the day before the clocks change
    recorded = record_event(org, event(occurred_at=occurred), source="api", now=occurred)
    [invitation] = recorded.triggered.invitations
    assert invitation.scheduled_for == at(2025, 3, 30, 7, 0)  # 10:00 summer time, 23 h later
    old = record_event(
        org,
        event(occurred_at=occurred, email="late@example.com"),
        source="csv",
        now=occurred + timedelta(days=30),
    )
    assert old.triggered.invitations == [] and len(old.triggered.too_late) == 1


def test_events_create_and_update_contacts(org):
    first = record_event(
        org,
        EventData(
            name="ticket.closed",
            contact=ContactRef(
                external_id="C-7", email="A@Example.com", name="Aino", language="en"
            ),
            account="Rakennus Oy",
        ),
        source="api",
    )
    assert first.contact_created
    contact = first.event.contact
    assert (contact.email, contact.language, contact.account.name) == (
        "a@example.com",
        "en",
        "Rakennus Oy",
    )
    again = record_event(
        org,
        EventData(name="ticket.closed", contact=ContactRef(external_id="C-7", phone="0401234567")),
        source="api",
    )
    assert again.event.contact_id == contact.pk and not again.contact_created
    contact.refresh_from_db()
    assert contact.phone == "+358401234567" and contact.email == "a@example.com"
    make_contact(org, "b@example.com")
    with pytest.raises(EventInvalid) as conflict:
        record_event(
            org,
            EventData(name="x", contact=ContactRef(external_id="C-7", email="b@example.com")),
            source="api",
        )
    assert conflict.value.fields == {"contact.email": "belongs to another contact"}
    with pytest.raises(EventInvalid) as bad:
        record_event(org, EventData(name="x", contact=ContactRef(phone="12")), source="api")
    assert "contact.phone" in bad.value.fields
    assert Event.objects.count() == 2 and Contact.objects.count() == 2


def test_a_replayed_event_id_runs_no_rule_twice(org):
    rule(org)
    data = event(external_id="delivery-1")
    first = record_event(org, data, source="api")
    second = record_event(org, data, source="webhook")
    assert first.created and not second.created and second.event.pk == first.event.pk
    assert Invitation.objects.count() == 1


def test_event_touchpoint_owner_is_the_sender(org):
    from palaute.outreach.tests.helpers import make_sender
    from palaute.surveys.tests.helpers import make_touchpoint

    installer = make_sender(org, "installer")
    touchpoint = make_touchpoint(org, key="installation")
    touchpoint.owner = installer
    touchpoint.save()
    rule(org)
    recorded = record_event(org, event(touchpoint="installation"), source="api")
    [invitation] = recorded.triggered.invitations
    assert invitation.sender == installer
    with pytest.raises(EventInvalid):
        record_event(org, event(touchpoint="nowhere"), source="api")


# ---------------------------------------------------------------------- journey messages


def test_journey_message_by_email_with_event_placeholders(org, smtp_inbox):
    rule(
        org,
        action="message",
        survey=None,
        event_name="installation.booked",
        delay_amount=0,
        message_subject_fi="Asennus {{ event_date }}",
        message_body_fi="Hei {{ first_name }},\n\nasentaja tulee {{ event_date }} klo "
        "{{ event.window }}. {{ event.missing }}Terveisin {{ organisation }}",
    )
    start = timezone.now() + timedelta(days=1)
    recorded = record_event(
        org,
        EventData(
            name="installation.booked",
            contact=ContactRef(email="maija@example.com", name="Maija M"),
            ends_at=start,
            attributes={"window": "8–10"},
        ),
        source="api",
    )
    [message] = recorded.triggered.messages
    local = start.astimezone(timezone.get_default_timezone())
    assert message.subject == f"Asennus {local.day}.{local.month}.{local.year}"
    assert "asentaja tulee" in message.body and "klo 8–10." in message.body
    run_due_jobs()
    message.refresh_from_db()
    assert message.status == "sent" and message.provider_message_id.startswith("<message-")
    [(_, rcpt, mail)] = smtp_inbox.received
    assert rcpt == ["maija@example.com"] and str(mail["Subject"]) == message.subject
    text = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_content()
    assert text.startswith("Hei Maija,") and "Terveisin Kahvila" in text


def test_journey_message_by_sms_and_delivery_receipt(org, twilio, client):
    from palaute.outreach.sms_webhooks import signature

    rule(
        org,
        action="message",
        survey=None,
        channel_preference="sms_only",
        delay_amount=0,
        message_body_en="Your delivery is delayed: new time {{ event.eta }}. Sorry!",
    )
    recorded = record_event(
        org,
        EventData(
            name="delivery.done",
            contact=ContactRef(phone="+358401234567", language="fi"),
            attributes={"eta": "14:00"},
        ),
        source="api",
    )
    [message] = recorded.triggered.messages
    assert message.language == "fi" and message.body.startswith("Your delivery")  # only en given
    run_due_jobs()
    [sms] = twilio.messages
    assert sms["Body"] == (
        "Your delivery is delayed: new time 14:00. Sorry!\nLopeta: vastaa LOPETA"
    )
    receipt = {"MessageSid": sms["sid"], "MessageStatus": "delivered"}
    signed = signature(
        twilio.auth_token, "http://testserver/hooks/sms/status", sorted(receipt.items())
    )
    client.post("/hooks/sms/status", receipt, headers={"X-Twilio-Signature": signed})
    message.refresh_from_db()
    assert message.status == "delivered"


def test_message_to_an_opted_out_contact_is_skipped(org):
    rule(org, action="message", survey=None, channel_preference="email_only", message_body_fi="x")
    make_contact(org, "maija@example.com", email_opt_out_at=timezone.now())
    recorded = record_event(org, event(), source="api")
    [message] = recorded.triggered.messages
    assert message.status == "skipped" and message.skip_reason == "opted_out"
    assert JourneyMessage.objects.count() == 1


# -------------------------------------------------------------------- frequency cap


def test_frequency_cap_skips_with_the_earlier_invitation(org, client, smtp_inbox):
    OutreachSettings.objects.create(organisation=org, frequency_cap_days=30)
    first_survey = make_survey(organisation=org, key="first")
    second_survey = make_survey(organisation=org, key="second")
    maija = make_contact(org, "maija@example.com")
    pekka = make_contact(org, "pekka@example.com")
    invite(first_survey, [maija], batch_key="a")
    run_due_jobs()
    earlier = Invitation.objects.get()
    assert earlier.status == "sent"

    # At creation: skipped at once, with the reason and the earlier invitation.
    result = invite(second_survey, [maija, pekka], batch_key="b")
    assert (result.scheduled, result.skipped) == (1, 1)
    capped = Invitation.objects.get(survey=second_survey, contact=maija)
    assert capped.skip_reason == "frequency_cap" and capped.earlier_invitation == earlier

    # At send time: an invitation made while the cap allowed it, sent after another one.
    third_survey = make_survey(organisation=org, key="third")
    later = invite(third_survey, [pekka], batch_key="c", send_at=timezone.now())
    assert later.scheduled == 1
    run_due_jobs()
    statuses = dict(
        Invitation.objects.filter(contact=pekka).values_list("survey__key", "skip_reason")
    )
    assert sorted(statuses.values()) == ["", "frequency_cap"]

    # Older than the cap: allowed again.
    Invitation.objects.update(sent_at=timezone.now() - timedelta(days=31))
    assert (
        invite(make_survey(organisation=org, key="fourth"), [maija], batch_key="d").scheduled == 1
    )

    # The invitation list shows the reason and when the person was asked.
    manager = make_member(org, "manager", role=Role.MANAGER)
    client.force_login(manager)
    with translation.override("en"):
        page = client.get(
            reverse("survey_invitations", args=[second_survey.key]), HTTP_ACCEPT_LANGUAGE="en"
        )
    body = page.content.decode()
    assert "The contact was asked too recently" in body and "asked on" in body
    assert first_survey.name in body


def test_frequency_cap_off_by_default(org):
    contact = make_contact(org, "maija@example.com")
    invite(make_survey(organisation=org, key="one"), [contact], batch_key="a")
    Invitation.objects.update(status="sent", sent_at=timezone.now())
    assert invite(make_survey(organisation=org, key="two"), [contact], batch_key="b").scheduled == 1


@override_settings(OUTREACH_SEND_LEASE_SECONDS=300)
def test_an_invitation_being_sent_counts_for_the_cap(org):
    from palaute.outreach.caps import capped_contacts

    OutreachSettings.objects.create(organisation=org, frequency_cap_days=30)
    contact = make_contact(org, "maija@example.com")
    invite(make_survey(organisation=org, key="one"), [contact], batch_key="a")
    Invitation.objects.update(status="sending", claimed_at=timezone.now())
    assert contact.pk in capped_contacts(org, [contact.pk], timezone.now())


def test_of_two_invitations_claimed_at_once_exactly_one_goes_out(org):
    from palaute.outreach.caps import earlier_within_cap

    OutreachSettings.objects.create(organisation=org, frequency_cap_days=30)
    contact = make_contact(org, "maija@example.com")
    invite(make_survey(organisation=org, key="one"), [contact], batch_key="a")
    invite(make_survey(organisation=org, key="two"), [contact], batch_key="b")
    now = timezone.now()
    # Two workers claim one each, at the same moment, before either checks the cap.
    Invitation.objects.update(status="sending", claimed_at=now)
    first, second = Invitation.objects.order_by("pk")
    assert earlier_within_cap(first, now) is None  # claimed first (lower id): it goes out
    assert earlier_within_cap(second, now) == first  # the other is capped
    Invitation.objects.filter(pk=second.pk).update(claimed_at=now - timedelta(seconds=1))
    second.refresh_from_db()
    assert earlier_within_cap(second, now) is None and earlier_within_cap(first, now) == second
