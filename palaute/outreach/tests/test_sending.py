import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from palaute.outreach import links
from palaute.outreach.invitations import invite
from palaute.outreach.models import Invitation, JobFailure, OutboundMessage, OutreachSettings
from palaute.outreach.sending import MAX_SEND_ATTEMPTS, send_invitation, send_reminder
from palaute.outreach.tests.helpers import (
    make_account,
    make_contact,
    make_org,
    make_sender,
    make_survey,
)
from palaute.outreach.tests.jobs_helpers import make_due, run_due_jobs
from palaute.surveys.submission import record_response

pytestmark = pytest.mark.django_db
Status = Invitation.Status


@pytest.fixture
def survey():
    return make_survey()


def test_invite_skips_with_reasons_and_deduplicates(survey):
    org = survey.organisation
    ok = make_contact(org, "ok@example.com")
    opted = make_contact(org, "opted@example.com", email_opt_out_at=timezone.now())
    bounced = make_contact(org, "bounced@example.com", email_bounced_at=timezone.now())
    phone_only = make_contact(org, "", phone="+358401234567")

    result = invite(survey, [ok, opted, bounced, phone_only], batch_key="manual:a")
    assert (result.scheduled, result.skipped, result.repeated) == (1, 3, 0)
    reasons = dict(Invitation.objects.values_list("contact__email", "skip_reason"))
    assert reasons == {
        "ok@example.com": "",
        "opted@example.com": "opted_out",
        "bounced@example.com": "bounced",
        "": "no_address",
    }
    # One send job per scheduled invitation.
    assert DBTaskResult.objects.filter(task_path__endswith="send_invitation_job").count() == 1

    # The same batch again (a double click) creates nothing.
    again = invite(survey, [ok, opted], batch_key="manual:a")
    assert (again.scheduled, again.skipped, again.repeated) == (0, 0, 2)
    # Another batch while the first invitation is still open: skipped, not sent twice.
    other = invite(survey, [ok], batch_key="manual:b")
    assert other.skipped == 1
    assert Invitation.objects.get(dedup_key__startswith="manual:b").skip_reason == "already_invited"


def test_invite_ignores_contacts_of_another_organisation(survey):
    other = make_contact(make_org("other"), "x@example.com")
    assert invite(survey, [other], batch_key="b").scheduled == 0
    assert not Invitation.objects.exists()


def test_worker_sends_once_and_a_second_run_does_nothing(survey):
    contact = make_contact(survey.organisation)
    invite(survey, [contact], batch_key="b")
    assert run_due_jobs() == 1
    invitation = Invitation.objects.get()
    assert invitation.status == Status.SENT and invitation.sent_at is not None
    assert len(mail.outbox) == 1
    assert OutboundMessage.objects.filter(invitation=invitation, sequence=0).count() == 1

    # A duplicated job (or a job rerun after a lost result) finds the invitation sent.
    assert send_invitation(invitation.pk) == "already sent"
    assert len(mail.outbox) == 1


def test_invitation_comes_from_the_account_owner(survey):
    org = survey.organisation
    owner = make_sender(org, "aino")
    default = make_sender(org, "pekka")
    OutreachSettings.objects.create(organisation=org, default_sender=default)
    in_account = make_contact(org, "a@example.com", account=make_account(org, owner=owner))
    plain = make_contact(org, "b@example.com")
    invite(survey, [in_account, plain], batch_key="b")
    run_due_jobs()
    by_to = {m.to[0]: m for m in mail.outbox}
    assert by_to["Maija Meikäläinen <a@example.com>"].reply_to == ["aino@kahvila.example"]
    assert by_to["Maija Meikäläinen <b@example.com>"].reply_to == ["pekka@kahvila.example"]


def test_opt_out_between_scheduling_and_sending_skips(survey):
    contact = make_contact(survey.organisation)
    invite(survey, [contact], batch_key="b")
    contact.email_opt_out_at = timezone.now()
    contact.save()
    run_due_jobs()
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.skip_reason) == (Status.SKIPPED, "opted_out")
    assert mail.outbox == []


def test_a_later_send_time_waits(survey):
    contact = make_contact(survey.organisation)
    invite(survey, [contact], batch_key="b", send_at=timezone.now() + timedelta(hours=2))
    assert run_due_jobs() == 0
    assert Invitation.objects.get().status == Status.SCHEDULED
    Invitation.objects.update(scheduled_for=timezone.now())
    make_due()
    run_due_jobs()
    assert Invitation.objects.get().status == Status.SENT


def test_transient_failure_retries_with_backoff_then_sends(survey):
    contact = make_contact(survey.organisation)
    invite(survey, [contact], batch_key="b")
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("connection lost"),
    ):
        run_due_jobs()
    invitation = Invitation.objects.get()
    assert invitation.status == Status.SCHEDULED and invitation.attempts == 1
    assert "connection lost" in invitation.last_error
    failure = JobFailure.objects.get()
    assert failure.attempt == 1 and failure.retry_at is not None
    # Base 60 s ± 20 % jitter.
    delay = (failure.retry_at - failure.created_at).total_seconds()
    assert 45 <= delay <= 75
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"_attempt": 2}
    assert abs((retry.run_after - failure.retry_at).total_seconds()) < 1

    make_due()
    run_due_jobs()
    assert Invitation.objects.get().status == Status.SENT
    assert len(mail.outbox) == 1


def test_gives_up_after_max_attempts(survey):
    contact = make_contact(survey.organisation)
    invite(survey, [contact], batch_key="b")
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=OSError("no route"),
    ):
        for _ in range(MAX_SEND_ATTEMPTS + 2):
            make_due()
            run_due_jobs()
    invitation = Invitation.objects.get()
    assert invitation.status == Status.FAILED
    assert invitation.attempts == MAX_SEND_ATTEMPTS
    assert "no route" in invitation.last_error
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_recipient_refused_is_a_hard_bounce(survey):
    contact = make_contact(survey.organisation)
    invite(survey, [contact], batch_key="b")
    refused = smtplib.SMTPRecipientsRefused({contact.email: (550, b"5.1.1 User unknown")})
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=refused
    ):
        run_due_jobs()
    invitation = Invitation.objects.get()
    contact.refresh_from_db()
    assert invitation.status == Status.BOUNCED
    assert contact.email_bounced_at is not None and "User unknown" in contact.email_bounce_reason
    assert not DBTaskResult.objects.filter(status="READY").exists()  # no retry


def test_a_claim_is_taken_over_only_after_the_lease(survey, settings):
    settings.OUTREACH_SEND_LEASE_SECONDS = 300
    contact = make_contact(survey.organisation)
    invite(survey, [contact], batch_key="b")
    invitation = Invitation.objects.get()
    # Another worker claimed it a minute ago and may still be talking to the server.
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Status.SENDING, claimed_at=timezone.now() - timedelta(seconds=60)
    )
    run_due_jobs()
    assert mail.outbox == []
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now() + timedelta(seconds=200)
    # That worker died: once the lease is over the step is sent.
    Invitation.objects.filter(pk=invitation.pk).update(
        claimed_at=timezone.now() - timedelta(seconds=301)
    )
    make_due()
    run_due_jobs()
    assert Invitation.objects.get().status == Status.SENT
    assert len(mail.outbox) == 1


def test_reminder_goes_to_non_responders_only_up_to_the_limit(survey):
    org = survey.organisation
    OutreachSettings.objects.create(organisation=org, reminders=2, reminder_after_days=3)
    silent, answering = make_contact(org, "silent@example.com"), make_contact(org, "a@example.com")
    invite(survey, [silent, answering], batch_key="b")
    run_due_jobs()
    sent = Invitation.objects.get(contact=silent)
    due = sent.next_reminder_at - sent.sent_at
    assert timedelta(days=3) - timedelta(seconds=5) < due <= timedelta(days=3)

    # One of them answers through the link: their reminder is cancelled.
    answered = Invitation.objects.get(contact=answering)
    response, _ = record_response(
        survey, answers={"nps": 9}, channel="email", language="fi", idempotency_key="k"
    )
    links.mark_completed(answered, response)

    for _ in range(4):  # the days pass
        Invitation.objects.exclude(next_reminder_at=None).update(next_reminder_at=timezone.now())
        make_due()
        run_due_jobs()
    reminders = [m for m in mail.outbox if m.subject.startswith("Muistutus")]
    assert [m.to[0] for m in reminders] == ["Maija Meikäläinen <silent@example.com>"] * 2
    silent_inv = Invitation.objects.get(contact=silent)
    assert silent_inv.reminders_sent == 2 and silent_inv.next_reminder_at is None
    answered.refresh_from_db()
    assert answered.status == Status.COMPLETED and answered.reminders_sent == 0
    assert answered.response == response
    assert OutboundMessage.objects.filter(kind="reminder").count() == 2
    # A stray duplicate of a reminder job does nothing.
    assert send_reminder(silent_inv.pk, 1) == "no reminder due"


def test_closed_survey_skips(survey):
    contact = make_contact(survey.organisation)
    invite(survey, [contact], batch_key="b")
    survey.is_active = False
    survey.save()
    run_due_jobs()
    invitation = Invitation.objects.get()
    assert (invitation.status, invitation.skip_reason) == (Status.SKIPPED, "survey_closed")
