"""Events from a CSV of transactions (bookings, deliveries, closed tickets): all rows are
recorded in one transaction, or none.

Columns (header row, any order; comma, semicolon or tab; UTF-8):

- ``event``: the event name; may be left out when the upload form names one for all rows;
- ``id``: your id of the transaction — uploading the same file again then changes nothing.
  Without it, a row's id is a digest of its content, which has the same effect;
- ``occurred_at`` (or ``date``) and ``ends_at``: ``2025-06-14 18:00``, ``14.6.2025 18:00``,
  ``14.6.2025`` or ISO 8601 with an offset; without an offset in the organisation's time zone;
- the contact: ``customer_id`` (your id of the person), ``email``, ``phone``, ``name``,
  ``language`` — at least one of the first three;
- ``account`` (company name) and ``touchpoint`` (a touchpoint key);
- any other column becomes an attribute of the event.

Every error names its row and column; the rows are checked against the database inside the
transaction (contacts, touchpoints) and the transaction is rolled back if any fails.
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from palaute.outreach.contacts import attribute_key
from palaute.outreach.csv_import import RowError, csv_rows
from palaute.outreach.events import ContactRef, EventData, EventInvalid, record_event
from palaute.outreach.models import Event
from palaute.outreach.triggers import EVENT_NAME_RE

MAX_ROWS = 2_000  # each row may trigger rules: about 10 s of work on a small server
MAX_ERRORS = 100
KNOWN = {
    "event", "id", "occurred_at", "ends_at", "customer_id", "email", "phone", "name",
    "language", "account", "touchpoint",
}  # fmt: skip
HEADER_ALIASES = {
    "name_of_event": "event",
    "tapahtuma": "event",
    "date": "occurred_at",
    "time": "occurred_at",
    "päivämäärä": "occurred_at",
    "aika": "occurred_at",
    "external_id": "customer_id",
    "asiakasnumero": "customer_id",
    "nimi": "name",
    "sähköposti": "email",
    "e-mail": "email",
    "puhelin": "phone",
    "kieli": "language",
    "yritys": "account",
    "company": "account",
    "päättyy": "ends_at",
}
FINNISH_DATE_RE = re.compile(
    r"^(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})(?:\s+(?P<H>\d{1,2})[:.](?P<M>\d{2}))?$"
)


@dataclass
class EventImportResult:
    created: int = 0
    repeated: int = 0
    invitations: int = 0  # scheduled by the rules (skipped ones not counted)
    messages: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_moment(text: str, zone: zoneinfo.ZoneInfo) -> datetime:
    """A date or date and time; naive ones are local to ``zone``. Raises ValueError."""
    text = text.strip()
    match = FINNISH_DATE_RE.match(text)
    try:
        if match:
            moment = datetime(
                int(match["y"]),
                int(match["m"]),
                int(match["d"]),
                int(match["H"] or 0),
                int(match["M"] or 0),
            )
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("use e.g. 2025-06-14 18:00 or 14.6.2025 18:00") from None
    if not 1970 <= moment.year <= 2999:
        raise ValueError("the year must be between 1970 and 2999")
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=zone, fold=0)
    return moment


def import_events(organisation, data: bytes, *, default_event: str = "") -> EventImportResult:
    result = EventImportResult()
    rows = _read(data, result)
    if result.errors:
        return result
    zone = _zone(organisation)
    with transaction.atomic():
        for number, values in rows:
            event = _event(number, values, zone, default_event, result)
            if event is None:
                continue
            try:
                recorded = record_event(organisation, event, source=Event.Source.CSV)
            except EventInvalid as exc:
                for name, message in exc.fields.items():
                    column = _column_of(name)
                    result.errors.append(RowError(number, column, message))
                continue
            if recorded.created:
                result.created += 1
                if recorded.triggered is not None:
                    result.invitations += sum(
                        1 for i in recorded.triggered.invitations if i.status == "scheduled"
                    )
                    result.messages += sum(
                        1 for m in recorded.triggered.messages if m.status == "scheduled"
                    )
            else:
                result.repeated += 1
            if len(result.errors) >= MAX_ERRORS:
                break
        if result.errors:
            transaction.set_rollback(True)
    if result.errors:
        result.created = result.repeated = result.invitations = result.messages = 0
    return result


def _zone(organisation) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organisation.time_zone or "Europe/Helsinki")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Helsinki")


def _column_of(field_name: str) -> str:
    """The CSV column an EventInvalid field came from (contact.external_id → customer_id)."""
    name = field_name.removeprefix("contact.")
    return {"external_id": "customer_id", "contact": ""}.get(name, name)


def _read(data: bytes, result: EventImportResult) -> list[tuple[int, dict[str, str]]]:
    reader = csv_rows(data, result.errors)
    if reader is None:
        return []
    header = [_header(raw, result) for raw in next(reader)]
    if result.errors:
        return []
    duplicates = sorted({key for key in header if header.count(key) > 1})
    for key in duplicates:
        result.errors.append(RowError(1, key, "the column appears twice"))
    if not {"customer_id", "email", "phone"} & set(header):
        result.errors.append(RowError(1, "", "the file needs a customer_id, email or phone column"))
    rows: list[tuple[int, dict[str, str]]] = []
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= MAX_ROWS:
            result.errors.append(RowError(number, "", f"at most {MAX_ROWS:,} rows per file"))
            break
        if len(values) > len(header):
            result.errors.append(RowError(number, "", "more values than columns"))
            continue
        rows.append((number, dict(zip(header, (v.strip() for v in values), strict=False))))
    if not rows and not result.errors:
        result.errors.append(RowError(0, "", "the file has no data rows"))
    return rows


def _header(raw: str, result: EventImportResult) -> str:
    name = raw.strip().lower()
    name = HEADER_ALIASES.get(name, name)
    if name in KNOWN:
        return name
    try:
        return attribute_key(raw)
    except ValueError as exc:
        result.errors.append(RowError(1, raw, f"not a usable column name: {exc}"))
        return raw


def _event(number, values, zone, default_event, result) -> EventData | None:
    errors_before = len(result.errors)
    name = values.get("event") or default_event
    if not name:
        result.errors.append(RowError(number, "event", "give the event name"))
    elif not EVENT_NAME_RE.match(name):
        result.errors.append(RowError(number, "event", "use a–z, 0–9, . _ - (e.g. delivery.done)"))
    moments: dict[str, datetime | None] = {}
    for column in ("occurred_at", "ends_at"):
        moments[column] = None
        if values.get(column):
            try:
                moments[column] = parse_moment(values[column], zone)
            except ValueError as exc:
                result.errors.append(RowError(number, column, str(exc)))
    if len(values.get("id", "")) > 100:
        result.errors.append(RowError(number, "id", "at most 100 characters"))
    if len(result.errors) > errors_before:
        return None
    attributes = {k: v for k, v in values.items() if k not in KNOWN and v}
    event_id = values.get("id") or _digest(name, values)
    return EventData(
        name=name,
        external_id=event_id,
        occurred_at=moments["occurred_at"],
        ends_at=moments["ends_at"],
        account=values.get("account", ""),
        touchpoint=values.get("touchpoint", ""),
        attributes=attributes,
        contact=ContactRef(
            external_id=values.get("customer_id", ""),
            email=values.get("email", ""),
            phone=values.get("phone", ""),
            name=values.get("name", ""),
            language=values.get("language", ""),
        ),
    )


def _digest(name: str, values: dict[str, str]) -> str:
    """An id for a row without one: the same row in a later upload is the same event."""
    content = "\x1f".join([name, *(f"{k}={values[k]}" for k in sorted(values))])
    return "csv:" + hashlib.sha256(content.encode()).hexdigest()[:40]
