"""The recovery survey: created on demand, sent as an outreach invitation when a case is
resolved (or by hand), and the customer's answer through the real link put on the case."""

import re
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.utils import timezone, translation

from palaute.accounts.models import Role
from palaute.loop import recovery, workflow
from palaute.loop.models import Case, CaseEvent
from palaute.loop.recovery import RecoveryUnavailable, send_recovery
from palaute.loop.tests.acting_helpers import (
    loop_settings,
    loopback_twilio,
    make_case,
)
from palaute.outreach.models import Contact, Invitation
from palaute.outreach.tests.conftest import loopback_smtp
from palaute.outreach.tests.helpers import make_contact, make_sender
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.surveys.definition import validate_definition
from palaute.surveys.models import Survey
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import make_org

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(settings):
    with loopback_smtp(settings) as inbox:
        yield inbox


@pytest.fixture
def sms_server(settings):
    with loopback_twilio(settings) as fake:
        yield fake


@pytest.fixture
def org():
    return make_org("kahvila")


@pytest.fixture
def aino(org):
    return make_sender(org, "aino", role=Role.AGENT)


def resolved_case(org, owner=None, reason=Case.Reason.FIXED, **fields):
    return make_case(
        org,
        owner=owner,
        status=Case.Status.RESOLVED,
        close_reason=reason,
        closed_at=timezone.now(),
        **fields,
    )


def resolve(case, actor, reason=Case.Reason.FIXED):
    with transaction.atomic():
        workflow.set_status(case, Case.Status.RESOLVED, actor=actor, reason=reason)
    case.refresh_from_db()
    return case


def answer_by_link(client, text: str, choice: str):
    """Follow the personal link in ``text`` and answer the one question."""
    link = re.search(r"http://testserver(/i/[A-Za-z0-9_\-]+/)", text).group(1)
    opened = client.get(link)
    assert opened.status_code == 302
    page = client.get(opened["Location"])
    body = page.content.decode()
    assert "Did we fix it?" in body or "Saimmeko asian korjattua?" in body
    action = re.search(r'<form method="post" action="([^"]+)"', body).group(1)
    idem = re.search(r'name="idem" value="([0-9a-f]{32})"', body).group(1)
    target = urlsplit(opened["Location"]).path + action.replace("&amp;", "&")
    return client.post(target, {"fixed": choice, "presented": "fixed", "idem": idem})


def test_the_survey_is_made_once_and_is_valid(org):
    definition, errors = validate_definition(recovery.recovery_definition())
    assert errors == [] and definition.question("fixed").type == "single_choice"
    first = recovery.recovery_survey(org)
    assert recovery.recovery_survey(org) == first
    assert first.is_active and first.current_version is not None
    assert Survey.objects.filter(organisation=org, key="recovery").count() == 1


def test_sending_makes_a_contact_and_an_invitation_from_the_owner(org, aino):
    case = resolved_case(org, owner=aino, customer_name="Maija", language="en")
    invitation = send_recovery(case, actor=aino)
    case.refresh_from_db()
    contact = Contact.objects.get(organisation=org)
    assert (contact.email, contact.name, contact.language) == ("maija@example.com", "Maija", "en")
    assert contact.attributes == {"source": "case"}
    assert case.contact == contact
    assert invitation.status == Invitation.Status.SCHEDULED and invitation.channel == "email"
    assert invitation.survey.key == "recovery" and invitation.source_ref == f"case:{case.pk}"
    invitation.refresh_from_db()
    assert invitation.sender == aino
    assert case.recovery_invitation == invitation and case.recovery_sent_at is not None
    event = case.events.get(kind=CaseEvent.Kind.RECOVERY_SENT)
    assert event.actor == aino and event.text == "maija@example.com"
    assert event.data["automatic"] is False
    # A double click: the same invitation.
    assert send_recovery(case, actor=aino) == invitation
    assert Invitation.objects.count() == 1


def test_an_existing_contact_and_its_opt_out_are_respected(org, aino):
    contact = make_contact(org, "maija@example.com", email_opt_out_at=timezone.now())
    case = resolved_case(org, owner=aino)
    with translation.override("en"):
        invitation = send_recovery(case, actor=aino)
    case.refresh_from_db()
    assert invitation.contact == contact and Contact.objects.count() == 1
    assert invitation.status == Invitation.Status.SKIPPED
    assert invitation.skip_reason == Invitation.SkipReason.OPTED_OUT
    assert case.recovery_sent_at is None and case.recovery_invitation == invitation
    event = case.events.get(kind=CaseEvent.Kind.RECOVERY_SENT)
    assert event.text == "Not sent: The contact has opted out of this channel"
    # After a skip the owner may try again (say, once the customer asks to be contacted).
    Contact.objects.filter(pk=contact.pk).update(email_opt_out_at=None)
    again = send_recovery(case, actor=aino)
    assert again.pk != invitation.pk and again.status == Invitation.Status.SCHEDULED


def test_what_cannot_be_sent(org, aino):
    with translation.override("en"):
        open_case = make_case(org)
        with pytest.raises(RecoveryUnavailable, match="once the case is resolved"):
            send_recovery(open_case, actor=aino)
        nowhere = resolved_case(org, customer_email="", customer_phone="")
        with pytest.raises(RecoveryUnavailable, match="no email address or phone"):
            send_recovery(nowhere, actor=aino)
        answered = resolved_case(org, recovered=True)
        with pytest.raises(RecoveryUnavailable, match="already answered"):
            send_recovery(answered, actor=aino)
    assert Invitation.objects.count() == 0


def test_an_sms_customer_is_asked_by_sms(org, aino, sms_server):
    case = resolved_case(
        org, owner=aino, customer_email="", customer_phone="040 123 4567", reply_channel="sms"
    )
    invitation = send_recovery(case, actor=aino)
    assert invitation.channel == "sms" and invitation.contact.phone == "+358401234567"
    run_due_jobs()
    assert len(sms_server.messages) == 1 and "/i/" in sms_server.messages[0]["Body"]


def test_resolving_sends_it_automatically_when_the_organisation_wants_it(org, aino):
    case = resolve(make_case(org, owner=aino), aino)
    assert case.recovery_invitation is not None
    event = case.events.get(kind=CaseEvent.Kind.RECOVERY_SENT)
    assert event.data["automatic"] is True and event.actor is None
    assert case.recovery_invitation.source == Invitation.Source.TRIGGER


def test_no_automatic_survey_for_spam_when_switched_off_or_without_an_address(org, aino):
    spam = resolve(make_case(org, owner=aino), aino, reason=Case.Reason.SPAM)
    assert spam.recovery_invitation is None
    nowhere = resolve(make_case(org, customer_email=""), aino)
    assert nowhere.status == Case.Status.RESOLVED and nowhere.recovery_invitation is None
    loop_settings(org, recovery_survey_enabled=False)
    off = resolve(make_case(org, owner=aino), aino)
    assert off.recovery_invitation is None
    assert Invitation.objects.count() == 0
    # By hand it still goes.
    assert send_recovery(off, actor=aino).status == Invitation.Status.SCHEDULED


def test_the_answer_through_the_link_lands_on_the_case(
    org, aino, client, mailbox, django_capture_on_commit_callbacks
):
    case = resolve(make_case(org, owner=aino, language="en"), aino)
    assert run_due_jobs() == 1
    [(_from, rcpt, message)] = mailbox.received
    assert rcpt == ["maija@example.com"]
    text = message.get_body(("plain",)).get_content()
    with django_capture_on_commit_callbacks(execute=True):
        answered = answer_by_link(client, text, "yes")
    assert answered.status_code == 302
    case.refresh_from_db()
    assert case.recovered is True and case.recovery_answered_at is not None
    event = case.events.get(kind=CaseEvent.Kind.RECOVERY_ANSWERED)
    assert event.data["recovered"] is True and event.actor is None
    # The same link again: "already answered", and nothing changes.
    again = client.get(re.search(r"http://testserver(/i/\S+/)", text).group(1))
    assert again.status_code == 200
    assert case.events.filter(kind=CaseEvent.Kind.RECOVERY_ANSWERED).count() == 1


def test_a_no_is_kept_as_not_recovered(
    org, aino, client, mailbox, django_capture_on_commit_callbacks
):
    case = resolve(make_case(org, owner=aino, language="fi"), aino)
    run_due_jobs()
    text = mailbox.received[0][2].get_body(("plain",)).get_content()
    with django_capture_on_commit_callbacks(execute=True):
        answer_by_link(client, text, "no")
    case.refresh_from_db()
    assert case.recovered is False
    event = case.events.get(kind=CaseEvent.Kind.RECOVERY_ANSWERED)
    assert event.data == {"recovered": False, "response_id": case.recovery_invitation.response_id}


def test_an_answer_without_the_invitation_touches_no_case(
    org, aino, django_capture_on_commit_callbacks
):
    case = resolved_case(org, owner=aino)
    send_recovery(case, actor=aino)
    survey = recovery.recovery_survey(org)
    with django_capture_on_commit_callbacks(execute=True):
        # Someone who found the survey's public page, even guessing the invitation's key.
        record_response(
            survey,
            answers={"fixed": "yes"},
            channel="web",
            language="fi",
            idempotency_key=f"invitation-{case.recovery_invitation_id}",
        )
    case.refresh_from_db()
    assert case.recovered is None


def test_another_organisations_invitation_cannot_answer_for_a_case(org, aino):
    case = resolved_case(org, owner=aino)
    other = make_org("muu")
    stranger = make_contact(other, "x@example.com")
    survey = recovery.recovery_survey(other)
    response, _ = record_response(
        survey, answers={"fixed": "yes"}, channel="email", language="fi", idempotency_key="o1"
    )
    Invitation.objects.create(
        organisation=other,
        survey=survey,
        contact=stranger,
        channel="email",
        dedup_key="forged",
        source_ref=f"case:{case.pk}",
        scheduled_for=timezone.now(),
        response=response,
    )
    assert recovery.record_answer(response.pk) is None
    case.refresh_from_db()
    assert case.recovered is None
