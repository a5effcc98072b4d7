"""A CSV of events, recorded and run through the trigger rules in the background.

The upload request reads and checks the whole file (events_csv.read_events: every error by
row and column, nothing stored when there is one). A clean file becomes an ``EventImport``,
its rows staged as JSON in ``EventImportChunk`` rows of ``conf.batch_chunk_size()`` CSV rows
each, and the import's job, in one transaction; a double click (the same form key) finds the
first import.

The job (batches.run_in_chunks) records the staged chunks in CSV order, one per transaction,
with ``events.record_event`` — the same contact matching, idempotency by event id and trigger
rules as the API — and deletes each chunk with it. A chunk that a
crash interrupted was rolled back whole and runs again; each event is stored once whatever
happens (its id is unique per organisation). A row refused at this point (its contact changed
between upload and job so that its details now contradict each other) is counted and kept
with its error; the other rows go on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import IntegrityError, transaction

from palaute.accounts.models import record_audit
from palaute.outreach import conf
from palaute.outreach.batches import MAX_FAILURES, PRIORITY, give_up_after_failures, run_in_chunks
from palaute.outreach.csv_import import RowError
from palaute.outreach.events import ContactRef, EventData, EventInvalid, Recorded, record_event
from palaute.outreach.events_csv import column_of, read_events, stored_event_ids
from palaute.outreach.jobs import enqueue, retrying
from palaute.outreach.memo import remembering
from palaute.outreach.models import (
    Event,
    EventImport,
    EventImportChunk,
    Invitation,
    JourneyMessage,
)

MAX_ERRORS = 100
STAGE_BATCH = 20  # staged chunks per INSERT


@dataclass
class Upload:
    """What an upload led to: the import (new or the double click's first) or the errors."""

    batch: EventImport | None = None
    created: bool = False
    errors: list[RowError] = field(default_factory=list)


def start_import(
    organisation, data: bytes, *, file_name: str, default_event: str, key: str, user
) -> Upload:
    existing = EventImport.objects.filter(organisation=organisation, key=key).first()
    if existing is not None:
        return Upload(existing)
    parsed = read_events(organisation, data, default_event=default_event)
    if parsed.errors:
        return Upload(errors=parsed.errors)
    with transaction.atomic():
        try:
            with transaction.atomic():
                batch = EventImport.objects.create(
                    organisation=organisation,
                    key=key,
                    file_name=file_name[:255],
                    default_event=default_event,
                    planned=len(parsed.rows),
                    created_by=user,
                )
        except IntegrityError:  # the other click of a double click got there first
            return Upload(EventImport.objects.get(organisation=organisation, key=key))
        size = conf.batch_chunk_size()
        EventImportChunk.objects.bulk_create(
            (
                EventImportChunk(
                    batch=batch,
                    first_row=parsed.rows[start][0],
                    rows=[[number, row_data(event)] for number, event in parsed.rows[start:end]],
                )
                for start, end in _slices(len(parsed.rows), size)
            ),
            batch_size=STAGE_BATCH,
        )
        enqueue(event_import_job, batch.pk)
        record_audit(
            organisation,
            user,
            "event.import",
            file_name,
            {"batch": batch.pk, "rows": len(parsed.rows)},
        )
    return Upload(batch, created=True)


def _slices(total: int, size: int):
    return ((start, min(start + size, total)) for start in range(0, total, size))


def row_data(event: EventData) -> dict:
    """An event as JSON for staging (dates in ISO 8601 with their offset)."""
    return {
        "name": event.name,
        "external_id": event.external_id,
        "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None,
        "ends_at": event.ends_at.isoformat() if event.ends_at else None,
        "account": event.account,
        "touchpoint": event.touchpoint,
        "attributes": event.attributes,
        "contact": vars(event.contact).copy(),
    }


def event_data(data: dict) -> EventData:
    moments = {
        name: datetime.fromisoformat(data[name]) if data.get(name) else None
        for name in ("occurred_at", "ends_at")
    }
    return EventData(
        name=data["name"],
        contact=ContactRef(**data["contact"]),
        occurred_at=moments["occurred_at"],
        ends_at=moments["ends_at"],
        account=data.get("account", ""),
        touchpoint=data.get("touchpoint", ""),
        attributes=data.get("attributes") or {},
        external_id=data.get("external_id", ""),
    )


@retrying(max_attempts=MAX_FAILURES + 1, base_delay=30, max_delay=900, priority=PRIORITY)
def event_import_job(batch_id: int) -> str:
    try:
        return run_event_import(batch_id)
    except Exception as exc:
        if give_up_after_failures(EventImport, batch_id, exc):
            EventImportChunk.objects.filter(batch_id=batch_id).delete()
            return "failed"
        raise


def run_event_import(batch_id: int, *, budget: float | None = None) -> str:
    return run_in_chunks(
        EventImport, batch_id, _record_chunk, continuation=event_import_job, budget=budget
    )


def _record_chunk(batch: EventImport) -> bool:
    chunk = (
        EventImportChunk.objects.filter(batch=batch, first_row__gt=batch.last_row)
        .order_by("first_row")
        .first()
    )
    if chunk is None:
        return False
    organisation = batch.organisation
    # Events stored before (the same file uploaded again): counted without a query each.
    stored = stored_event_ids(organisation, [data["external_id"] for _, data in chunk.rows])
    with remembering():
        for number, data in chunk.rows:
            if data["external_id"] in stored:
                batch.repeated += 1
                continue
            try:
                recorded = record_event(organisation, event_data(data), source=Event.Source.CSV)
            except EventInvalid as exc:
                _refused(batch, number, exc)
                continue
            _count(batch, recorded)
    batch.last_row = chunk.rows[-1][0]
    batch.processed += len(chunk.rows)
    chunk.delete()
    return True


def _count(batch: EventImport, recorded: Recorded) -> None:
    if not recorded.created:
        batch.repeated += 1
        return
    batch.created += 1
    if recorded.triggered is not None:
        batch.invitations += sum(
            1 for i in recorded.triggered.invitations if i.status == Invitation.Status.SCHEDULED
        )
        batch.messages += sum(
            1 for m in recorded.triggered.messages if m.status == JourneyMessage.Status.SCHEDULED
        )


def _refused(batch: EventImport, number: int, exc: EventInvalid) -> None:
    batch.failed += 1
    for name, message in exc.fields.items():
        if len(batch.errors) < MAX_ERRORS:
            batch.errors.append({"row": number, "column": column_of(name), "message": message})


def refused_rows(batch: EventImport) -> list[RowError]:
    """The rows the job refused, as the upload page lists errors."""
    return [RowError(e["row"], e["column"], e["message"]) for e in batch.errors]
