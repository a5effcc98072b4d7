"""CSV of events: checked whole in the upload request (every error by row and column, contact
conflicts included), then recorded and run through the rules by a job in chunks, through the
real worker loop: idempotent per event, resumable, with progress; and the 100,000-row cap."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import make_member
from palaute.outreach.event_imports import run_event_import, start_import
from palaute.outreach.events_csv import MAX_ROWS, read_events
from palaute.outreach.models import (
    BatchStatus,
    Contact,
    Event,
    EventImport,
    EventImportChunk,
    Invitation,
    TriggerRule,
)
from palaute.outreach.tests.helpers import make_contact, upload_events
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.surveys.tests.helpers import make_org, make_survey, make_touchpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    organisation = make_org("kahvila")
    make_touchpoint(organisation, key="private-event")
    TriggerRule.objects.create(
        organisation=organisation,
        name="After the event",
        event_name="booking.completed",
        survey=make_survey(organisation=organisation),
        delay_amount=2,
        delay_unit="hours",
    )
    return organisation


@pytest.fixture
def manager(client, org):
    user = make_member(org, "manager", role=Role.MANAGER)
    client.force_login(user)
    return user


def en(client, url, **kwargs):
    with translation.override("en"):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="en", **kwargs)


CSV = (
    b"event;id;ends_at;customer_id;email;phone;name;language;guests\n"
    b"booking.completed;b-1;14.6.2099 18:00;C-1;maija@example.com;;Maija;fi;24\n"
    b"booking.completed;b-2;2099-06-15 12:00;C-2;;040 123 4567;Pekka;en;\n"
    b"booking.completed;b-3;2099-06-16T10:00:00+00:00;C-1;;;;;2\n"
)


def test_csv_events_are_recorded_by_the_job_and_trigger_rules(org):
    upload = upload_events(org, CSV)
    batch = upload.batch
    assert batch.status == BatchStatus.DONE, batch.last_error
    assert (batch.planned, batch.processed, batch.created, batch.invitations) == (3, 3, 3, 2)
    # C-1 has an open invitation from b-1 when b-3 arrives: that one is skipped.
    assert Invitation.objects.filter(status="skipped", skip_reason="already_invited").count() == 1
    first = Event.objects.get(external_id="b-1")
    assert first.ends_at.isoformat() == "2099-06-14T15:00:00+00:00"  # 18:00 Helsinki
    assert first.attributes == {"guests": "24"} and first.source == "csv"
    assert Contact.objects.get(external_id="C-2").phone == "+358401234567"
    assert not EventImportChunk.objects.exists()  # staged rows go once recorded
    again = upload_events(org, CSV).batch
    assert (again.created, again.repeated, again.invitations) == (0, 3, 0)
    assert Event.objects.count() == 3 and Invitation.objects.count() == 3


def test_csv_without_ids_or_event_column_is_idempotent_by_content(org):
    data = b"email,ends_at\nmaija@example.com,2099-06-14 18:00\n"
    assert upload_events(org, data).errors[0].column == "event"
    first = upload_events(org, data, default_event="booking.completed").batch
    second = upload_events(org, data, default_event="booking.completed").batch
    assert (first.created, second.repeated) == (1, 1) and Event.objects.count() == 1


def test_every_error_names_row_and_column_and_nothing_is_stored(org):
    make_contact(org, "taken@example.com", external_id="C-7")
    make_contact(org, "other@example.com")
    data = (
        b"event;id;ends_at;customer_id;email;phone;language;touchpoint;account\n"
        b"booking.completed;x-1;2099-06-14 18:00;;maija@example.com;;fi;;\n"
        b"booking.completed;x-2;14.13.2099;;pekka@example.com;;fi;;\n"
        b"Booking!;x-3;;;aino@example.com;;fi;;\n"
        b"booking.completed;x-4;;;;12;fi;;\n"
        b"booking.completed;x-5;;;eino@example.com;;sv;;\n"
        b"booking.completed;x-6;;;tiina@example.com;;fi;nowhere;\n"
        # in the database C-7 and other@ are two different people
        b"booking.completed;x-7;;C-7;other@example.com;;fi;;\n"
        # rows 9 and 10 create C-8 and ville@ as two people; row 11 says they are one
        b"booking.completed;x-8;;C-8;;040 111 2222;fi;;\n"
        b"booking.completed;x-9;;C-9;ville@example.com;;fi;;\n"
        b"booking.completed;x-10;;C-8;ville@example.com;;fi;;\n"
        b"booking.completed;x-11;;C-10;;;fi;;\n"
        b"booking.completed;x-12;;;kalle@example.com;;fi;;" + b"A" * 201 + b"\n"
    )
    upload = upload_events(org, data)
    assert upload.batch is None
    assert [(e.row, e.column) for e in upload.errors] == [
        (3, "ends_at"),
        (4, "event"),
        (5, "phone"),
        (6, "language"),
        (7, "touchpoint"),
        (8, "email"),
        (11, "email"),
        (12, ""),
        (13, "account"),
    ]
    assert str(upload.errors[0]).startswith("row 3, column ends_at:")
    assert upload.errors[5].message == upload.errors[6].message == "belongs to another contact"
    assert upload.errors[7].message == "a new contact needs an email or a phone number"
    assert not EventImport.objects.exists() and Event.objects.count() == 0
    assert Contact.objects.count() == 2 and Invitation.objects.count() == 0
    assert not DBTaskResult.objects.exists()


def test_rows_that_repeat_a_stored_event_are_not_checked_again(org):
    """As record_event: an event id seen before returns the first event whatever the row says,
    so a re-upload of a file whose contacts have changed since is not refused."""
    assert upload_events(org, b"id,customer_id,email\nr-1,C-1,a@example.com\n", default_event="x")
    Contact.objects.filter(external_id="C-1").update(external_id="C-X")
    make_contact(org, "b@example.com", external_id="C-1")
    data = b"id,customer_id,email\nr-1,C-1,a@example.com\n"
    assert read_events(org, data, default_event="x").ok
    batch = upload_events(org, data, default_event="x").batch
    assert (batch.created, batch.repeated, batch.failed) == (0, 1, 0)


def test_file_level_errors(org):
    assert read_events(org, b"").errors[0].message == "the file is empty"
    assert "UTF-8" in read_events(org, "email\nä".encode("latin-1")).errors[0].message
    assert "customer_id, email or phone" in read_events(org, b"name\nx\n").errors[0].message
    assert read_events(org, b"email,email\na@b.fi,c@d.fi\n").errors[0].column == "email"


def test_row_cap_is_100000(org):
    assert MAX_ROWS == 100_000
    rows = ["email"] + [f"c{i}@example.com" for i in range(MAX_ROWS + 1)]
    result = read_events(org, "\n".join(rows).encode(), default_event="x")
    assert [str(e) for e in result.errors] == [f"row {MAX_ROWS + 2}: at most 100,000 rows per file"]
    assert not result.rows and Event.objects.count() == 0


def test_chunks_run_through_the_worker_and_a_rerun_changes_nothing(org, settings):
    settings.OUTREACH_BATCH_CHUNK = 2
    settings.OUTREACH_BATCH_RUN_SECONDS = 0  # one chunk per run, then a continuation job
    rows = [b"id;customer_id;email;ends_at"] + [
        f"e-{i};C-{i};c{i}@example.com;2099-06-14 18:00".encode() for i in range(5)
    ]
    upload = start_import(
        org,
        b"\n".join(rows),
        file_name="five.csv",
        default_event="booking.completed",
        key=uuid.uuid4().hex,
        user=None,
    )
    batch = upload.batch
    staged = [[number for number, _ in chunk.rows] for chunk in EventImportChunk.objects.all()]
    assert (batch.status, batch.planned, staged) == ("queued", 5, [[2, 3], [4, 5], [6]])
    assert Event.objects.count() == 0  # nothing recorded by the request itself
    # One run: the first chunk, committed with its cursor, counts and staged rows gone.
    assert run_event_import(batch.pk, budget=0).startswith("continues")
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.last_row, batch.created) == ("running", 2, 3, 2)
    assert EventImportChunk.objects.count() == 2 and Event.objects.count() == 2
    run_due_jobs()
    batch.refresh_from_db()
    assert (batch.status, batch.processed, batch.created, batch.invitations) == ("done", 5, 5, 5)
    # The upload's job and the continuations, one chunk each (a duplicate found less to do).
    runs = DBTaskResult.objects.filter(task_path__endswith="event_import_job")
    assert runs.count() >= 3 and set(runs.values_list("status", flat=True)) == {"SUCCESSFUL"}
    # A re-run of a finished import (a duplicated job) does nothing.
    assert run_event_import(batch.pk) == "already done"
    # A chunk staged again (as if its bookkeeping had been lost) stores no event twice.
    EventImportChunk.objects.create(batch=batch, first_row=99, rows=[[99, _row(org, "e-1")]])
    EventImport.objects.filter(pk=batch.pk).update(status="running")
    run_event_import(batch.pk)
    batch.refresh_from_db()
    assert (batch.processed, batch.created, batch.repeated) == (6, 5, 1)
    assert Event.objects.count() == 5 and Invitation.objects.count() == 5


def _row(org, external_id):
    from palaute.outreach.event_imports import row_data

    parsed = read_events(
        org,
        f"id;customer_id;email\n{external_id};C-1;c1@example.com\n".encode(),
        default_event="booking.completed",
    )
    return row_data(parsed.rows[0][1])


def test_a_row_whose_contacts_changed_after_the_upload_is_refused_alone(org):
    data = b"id;customer_id;email\nk-1;C-1;new@example.com\nk-2;C-2;fine@example.com\n"
    upload = start_import(
        org, data, file_name="e.csv", default_event="booking.completed", key="a" * 32, user=None
    )
    assert upload.batch is not None
    # Between the upload and the job, C-1 and new@ become two different people.
    make_contact(org, "someone@example.com", external_id="C-1")
    make_contact(org, "new@example.com")
    run_due_jobs()
    batch = EventImport.objects.get()
    assert (batch.status, batch.created, batch.failed) == ("done", 1, 1)
    assert batch.errors == [{"row": 2, "column": "email", "message": "belongs to another contact"}]
    assert list(Event.objects.values_list("external_id", flat=True)) == ["k-2"]


def test_upload_page_double_click_progress_and_tenancy(client, org, manager):
    page = en(client, reverse("event_import")).content.decode()
    assert 'name="batch"' in page and "At most 100000 rows per file" in page
    key = uuid.uuid4().hex
    form = {"file": SimpleUploadedFile("e.csv", CSV), "event": "", "batch": key}
    first = client.post(reverse("event_import"), form)
    form = {"file": SimpleUploadedFile("e.csv", CSV), "event": "", "batch": key}
    second = client.post(reverse("event_import"), form)
    batch = EventImport.objects.get()  # the double click recorded one import, one job
    url = reverse("event_import_detail", args=[batch.pk])
    assert first.url == second.url == url
    assert DBTaskResult.objects.filter(task_path__endswith="event_import_job").count() == 1
    assert AuditEntry.objects.get(action="event.import").detail == {"batch": batch.pk, "rows": 3}
    waiting = en(client, url).content.decode()
    assert 'hx-trigger="every 2s"' in waiting and "Waiting for the worker" in waiting
    assert '<meta http-equiv="refresh" content="2">' in waiting  # inside <noscript>
    run_due_jobs()
    done = en(client, url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in done and "The events have been recorded" in done
    assert "<html" not in done  # the progress part alone
    assert "e.csv" in en(client, reverse("event_import")).content.decode()  # recent uploads
    bad = client.post(
        reverse("event_import"),
        {"file": SimpleUploadedFile("e.csv", b"email\nnope\n"), "event": "x", "batch": key[::-1]},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert bad.status_code == 200 and "row 2, column email" in bad.content.decode()
    assert EventImport.objects.count() == 1
    other = make_org("other")
    theirs = EventImport.objects.create(organisation=other, key="b" * 32, file_name="x.csv")
    assert client.get(reverse("event_import_detail", args=[theirs.pk])).status_code == 404
    assert "x.csv" not in en(client, reverse("event_import")).content.decode()


def test_viewers_see_progress_but_cannot_upload(client, org):
    viewer = make_member(org, "viewer", role=Role.VIEWER)
    client.force_login(viewer)
    batch = EventImport.objects.create(organisation=org, key="c" * 32, file_name="v.csv")
    assert client.get(reverse("event_import_detail", args=[batch.pk])).status_code == 200
    assert client.get(reverse("event_import")).status_code == 403
