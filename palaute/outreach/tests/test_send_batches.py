"""Sending a survey to a segment in the background: the request records a send batch with its
job, the job creates the invitations in chunks through the real worker loop (the same skips,
frequency cap and send jobs as before), the page shows progress, a double click is one
batch, and a worker killed in the middle leaves a batch that another worker finishes without
a duplicate invitation (real processes)."""

import signal
import sqlite3
import subprocess
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import make_member
from palaute.outreach.batches import MAX_FAILURES, give_up_after_failures
from palaute.outreach.models import (
    BatchStatus,
    Contact,
    Invitation,
    OutreachSettings,
    Segment,
    SendBatch,
)
from palaute.outreach.send_batches import SEGMENT_DELETED, run_send_batch, start_send
from palaute.outreach.tests.helpers import invitation_for, make_contact
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.outreach.tests.test_worker import PYTHON, REPO, _env, _wait, _worker
from palaute.surveys.tests.helpers import make_org, make_survey

GOLD = [{"key": "tier", "op": "=", "value": "gold"}]


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


def batch_jobs():
    return DBTaskResult.objects.filter(task_path__endswith="send_batch_job")


@pytest.mark.django_db
def test_the_request_records_the_send_and_the_job_creates_the_invitations(
    client, org, survey, manager, smtp_inbox
):
    OutreachSettings.objects.create(organisation=org, frequency_cap_days=30)
    gold = make_contact(org, "gold@example.com", attributes={"tier": "gold"})
    opted_out = {"email_opt_out_at": timezone.now()}
    make_contact(org, "out@example.com", attributes={"tier": "gold"}, **opted_out)
    capped = make_contact(org, "capped@example.com", attributes={"tier": "gold"})
    make_contact(org, "", phone="+358401234567", attributes={"tier": "gold"})
    make_contact(org, "silver@example.com", attributes={"tier": "silver"})
    earlier = invitation_for(
        make_survey(organisation=org, key="earlier"),
        capped,
        status="sent",
        sent_at=timezone.now() - timedelta(days=3),
    )
    segment = Segment.objects.create(organisation=org, name="Gold", conditions=GOLD)
    form = {"segment": segment.pk, "channel": "email", "send_at": "", "batch": uuid.uuid4().hex}
    url = reverse("survey_send", args=[survey.key])

    first = client.post(url, form)
    second = client.post(url, form)  # a double click
    batch = SendBatch.objects.get()
    page_url = reverse("send_batch", args=[survey.key, batch.pk])
    assert first.url == second.url == page_url
    assert (batch.status, batch.planned, batch.audience, batch.segment_name) == (
        "queued",
        4,
        "segment",
        "Gold",
    )
    assert (batch.channel, batch.created_by, batch.key) == ("email", manager, form["batch"])
    assert Invitation.objects.filter(survey=survey).count() == 0  # nothing made in the request
    assert batch_jobs().count() == 1
    assert AuditEntry.objects.get(action="survey.invite").detail == {
        "batch": batch.pk,
        "segment": segment.pk,
        "channel": "email",
        "planned": 4,
    }
    waiting = en(client, page_url).content.decode()
    assert 'hx-trigger="every 2s"' in waiting and "Waiting for the worker" in waiting
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in waiting
    assert "Segment Gold" in waiting and "Email" in waiting

    run_due_jobs()  # the batch job, then (lower priority) the send job it queued

    batch.refresh_from_db()
    assert batch.status == BatchStatus.DONE and batch.finished_at is not None
    assert (batch.processed, batch.invited, batch.skipped, batch.repeated) == (4, 1, 3, 0)
    invitations = Invitation.objects.filter(survey=survey)
    assert dict(invitations.values_list("contact__email", "skip_reason")) == {
        "gold@example.com": "",
        "out@example.com": "opted_out",
        "capped@example.com": "frequency_cap",
        "": "no_address",
    }
    assert invitations.get(contact=capped).earlier_invitation == earlier
    assert invitations.get(contact=gold).status == "sent"
    assert all(i.created_by == manager for i in invitations)
    assert [rcpt for _, rcpt, _ in smtp_inbox.received] == [["gold@example.com"]]
    part = en(client, page_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in part and "<html" not in part
    assert "The invitations have been created" in part and "4 contacts handled." in part
    listing = en(client, reverse("survey_invitations", args=[survey.key])).content.decode()
    assert page_url in listing and "Gold" in listing


@pytest.mark.django_db
def test_send_time_is_read_in_the_organisations_zone_and_kept_for_every_chunk(
    client, org, survey, manager, settings
):
    settings.OUTREACH_BATCH_CHUNK = 2
    for i in range(3):
        make_contact(org, f"c{i}@example.com")
    url = reverse("survey_send", args=[survey.key])
    form = {"channel": "email", "send_at": "2099-06-14T09:00", "batch": uuid.uuid4().hex}
    client.post(url, form)
    run_due_jobs()
    times = set(Invitation.objects.values_list("scheduled_for", flat=True))
    assert times == {datetime(2099, 6, 14, 6, 0, tzinfo=UTC)}  # 09:00 in Helsinki, summer
    assert set(Invitation.objects.values_list("status", flat=True)) == {"scheduled"}


@pytest.mark.django_db
def test_chunks_continue_through_the_worker_and_nothing_is_invited_twice(survey, settings):
    settings.OUTREACH_BATCH_CHUNK = 2
    settings.OUTREACH_BATCH_RUN_SECONDS = 0  # one chunk per run, then a continuation job
    org = survey.organisation
    for i in range(5):
        make_contact(org, f"c{i}@example.com")
    batch, created = start_send(
        survey,
        key=uuid.uuid4().hex,
        segment=None,
        channel="sms_first",
        send_at=datetime(2099, 1, 1, tzinfo=UTC),
        user=None,
    )
    assert created and batch.planned == 5
    # One run does one chunk and commits it with the cursor and the counts.
    assert run_send_batch(batch.pk, budget=0).startswith("continues")
    batch.refresh_from_db()
    # "SMS, else email" to contacts without a phone number: email.
    assert (batch.status, batch.processed, batch.invited, batch.skipped) == ("running", 2, 2, 0)
    assert set(Invitation.objects.values_list("channel", flat=True)) == {"email"}
    first_two = list(Contact.objects.order_by("pk").values_list("pk", flat=True)[:2])
    assert batch.last_contact_id == first_two[-1]
    # A contact added meanwhile is ahead of the cursor: invited too.
    make_contact(org, "late@example.com")
    run_due_jobs()
    batch.refresh_from_db()
    assert (batch.status, batch.processed) == ("done", 6)
    assert Invitation.objects.count() == 6
    assert Invitation.objects.values("contact").distinct().count() == 6
    # The request's job and the continuations (one of them finds the batch done).
    assert set(batch_jobs().values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert batch_jobs().count() == 4

    # Were a chunk's bookkeeping ever lost, the invitations' unique key still holds.
    SendBatch.objects.filter(pk=batch.pk).update(
        status="running", last_contact_id=0, processed=0, invited=0, skipped=0
    )
    run_send_batch(batch.pk, budget=60)
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.repeated) == ("done", 6, 6)
    assert Invitation.objects.count() == 6


@pytest.mark.django_db
def test_a_deleted_segment_fails_the_batch_and_never_falls_back_to_everyone(
    client, org, survey, manager
):
    make_contact(org, "gold@example.com", attributes={"tier": "gold"})
    make_contact(org, "other@example.com")
    segment = Segment.objects.create(organisation=org, name="Gold", conditions=GOLD)
    batch, _ = start_send(
        survey,
        key=uuid.uuid4().hex,
        segment=segment,
        channel="email",
        send_at=timezone.now(),
        user=manager,
    )
    segment.delete()
    run_due_jobs()
    batch.refresh_from_db()
    assert (batch.status, batch.last_error) == ("failed", SEGMENT_DELETED)
    assert Invitation.objects.count() == 0
    page = en(client, reverse("send_batch", args=[survey.key, batch.pk])).content.decode()
    assert "The send stopped" in page and SEGMENT_DELETED in page and "(deleted)" in page


@pytest.mark.django_db
def test_a_batch_fails_for_good_after_repeated_failures(survey):
    batch, _ = start_send(
        survey, key="a" * 32, segment=None, channel="email", send_at=timezone.now(), user=None
    )
    error = RuntimeError("database went away")
    assert not any(
        give_up_after_failures(SendBatch, batch.pk, error) for _ in range(MAX_FAILURES - 1)
    )
    batch.refresh_from_db()
    assert (batch.status, batch.failures, batch.last_error) == (
        "queued",
        MAX_FAILURES - 1,
        "RuntimeError: database went away",
    )
    assert give_up_after_failures(SendBatch, batch.pk, error)
    batch.refresh_from_db()
    assert batch.status == "failed" and batch.finished_at is not None
    assert run_send_batch(batch.pk) == "already failed"


@pytest.mark.django_db
def test_another_organisation_sees_no_send_and_keys_do_not_cross(client, org, survey, manager):
    other = make_org("other")
    theirs_survey = make_survey(organisation=other, key="theirs")
    key = uuid.uuid4().hex
    theirs, _ = start_send(
        theirs_survey, key=key, segment=None, channel="email", send_at=timezone.now(), user=None
    )
    for url in (
        reverse("send_batch", args=[theirs_survey.key, theirs.pk]),
        reverse("send_batch", args=[survey.key, theirs.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 404
    # The same form key in this organisation is a send of its own.
    response = client.post(
        reverse("survey_send", args=[survey.key]), {"channel": "email", "batch": key}
    )
    mine = SendBatch.objects.get(organisation=org)
    assert response.url == reverse("send_batch", args=[survey.key, mine.pk]) and mine != theirs
    listing = en(client, reverse("survey_invitations", args=[survey.key])).content.decode()
    assert reverse("send_batch", args=[theirs_survey.key, theirs.pk]) not in listing


@pytest.mark.django_db
def test_viewers_see_the_progress_but_cannot_send(client, org, survey):
    client.force_login(make_member(org, "viewer", role=Role.VIEWER))
    batch, _ = start_send(
        survey, key="b" * 32, segment=None, channel="sms", send_at=timezone.now(), user=None
    )
    assert client.get(reverse("send_batch", args=[survey.key, batch.pk])).status_code == 200
    response = client.post(
        reverse("survey_send", args=[survey.key]), {"channel": "email", "batch": "c" * 32}
    )
    assert response.status_code == 403 and SendBatch.objects.count() == 1


def test_a_worker_killed_mid_batch_leaves_it_to_another_without_duplicates(worker_database):
    """SIGKILL the worker while it creates a batch's invitations (chunks of 50 of 2,000): the
    chunk under way is rolled back, the job is requeued from the dead worker's stale heartbeat,
    and the second worker continues from the last committed chunk. Runs on its own SQLite
    file in child processes."""
    contacts, chunk = 2000, 50
    env = _env(
        PALAUTE_DATA_DIR=str(worker_database),
        DJANGO_SETTINGS_MODULE="palaute.outreach.tests.worker_settings",
        TEST_BATCH_CHUNK=str(chunk),
    )
    workers: list[subprocess.Popen] = []
    try:
        seeded = subprocess.run(
            [PYTHON, "-m", "palaute.outreach.tests.scenario", "send-batch", str(contacts)],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        batch_id = int(seeded.stdout.strip())
        database = sqlite3.connect(worker_database / "palaute.sqlite3", timeout=20)

        def one(sql):
            return database.execute(sql, [batch_id] if "?" in sql else []).fetchone()

        progress = "SELECT status, processed FROM outreach_sendbatch WHERE id = ?"
        first = _worker(env, "first", "--heartbeat", "0.5", "--stale-after", "2")
        workers.append(first)
        _wait(lambda: one(progress)[1] >= 2 * chunk, 60, "the first chunks")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        status, done_before = one(progress)
        assert status == "running" and done_before < contacts, "killed too late to tell"
        invited_before = one("SELECT COUNT(*) FROM outreach_invitation")[0]
        assert invited_before == done_before  # only committed chunks, each one whole

        second = _worker(env, "second", "--heartbeat", "0.5", "--stale-after", "2")
        workers.append(second)
        _wait(lambda: one(progress)[0] == "done", 90, "the second worker to finish")
        assert one(progress) == ("done", contacts)
        assert one("SELECT COUNT(*), COUNT(DISTINCT contact_id) FROM outreach_invitation") == (
            contacts,
            contacts,
        )
        assert one("SELECT invited, repeated FROM outreach_sendbatch WHERE id = ?") == (
            contacts,
            0,
        )
        jobs = "SELECT worker_ids FROM django_tasks_database_dbtaskresult"
        ran = [row[0] for row in database.execute(jobs + " WHERE task_path LIKE '%send_batch_job'")]
        assert '["first", "second"]' in ran
        database.close()
    finally:
        for process in workers:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
