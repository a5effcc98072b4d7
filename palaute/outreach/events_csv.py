"""Reading a CSV of transactions (bookings, deliveries, closed tickets) into events, checked
whole: every error names its row and column, and a file with any error is refused entire.

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

``read_events`` checks each row as ``events.record_event`` will: the values, the touchpoint,
and the contact (contact_ledger.py: details that name two different contacts, in the database
or through an earlier row). Rows whose event id was stored before, or that repeat an earlier
row's id, will change nothing and are not checked further, as ``record_event`` does. Storing
the events and running the rules is event_imports.py's job, in the background.
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from palaute.journeys.models import Touchpoint
from palaute.outreach.contact_ledger import ContactLedger
from palaute.outreach.contacts import attribute_key
from palaute.outreach.csv_import import RowError, csv_rows
from palaute.outreach.events import (
    ContactRef,
    EventData,
    EventInvalid,
    check_account_name,
    clean_event_attributes,
    clean_ref,
)
from palaute.outreach.models import Event
from palaute.outreach.triggers import EVENT_NAME_RE

MAX_ROWS = 100_000
MAX_BYTES = 32 * 1024 * 1024
MAX_ERRORS = 100
CHUNK = 900  # SQLite allows 999 query parameters
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
class EventFile:
    rows: list[tuple[int, EventData]] = field(default_factory=list)  # (CSV row number, event)
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


def read_events(organisation, data: bytes, *, default_event: str = "") -> EventFile:
    """The file's events, or its errors (at most MAX_ERRORS, in row order)."""
    result = EventFile()
    raw = _read(data, result)
    if result.errors:
        return result
    zone = _zone(organisation)
    for number, values in raw:
        event = _event(number, values, zone, default_event, result)
        if event is not None:
            result.rows.append((number, event))
        if len(result.errors) >= MAX_ERRORS:
            break
    if len(result.errors) < MAX_ERRORS:
        _check_against_database(organisation, result)
    result.errors.sort(key=lambda error: error.row)
    del result.errors[MAX_ERRORS:]
    if result.errors:
        result.rows = []
    return result


def _check_against_database(organisation, result: EventFile) -> None:
    """What record_event would refuse, for the rows that will store a new event."""
    fresh: list[tuple[int, EventData]] = []
    seen = stored_event_ids(organisation, [event.external_id for _, event in result.rows])
    for number, event in result.rows:
        if event.external_id in seen:
            continue  # a repeat: record_event returns the first event and checks nothing
        seen.add(event.external_id)
        fresh.append((number, event))
    touchpoints = _touchpoint_keys(organisation, {event.touchpoint for _, event in fresh})
    cleaned: list[tuple[int, ContactRef]] = []
    for number, event in fresh:
        errors_before = len(result.errors)
        ref = None
        try:
            ref = clean_ref(event.contact)
        except EventInvalid as exc:
            _add_errors(result, number, exc)
        try:
            clean_event_attributes(event.attributes)
            check_account_name(event.account)
        except EventInvalid as exc:
            _add_errors(result, number, exc)
        if event.touchpoint and event.touchpoint not in touchpoints:
            message = f"no touchpoint with key {event.touchpoint!r}"
            result.errors.append(RowError(number, "touchpoint", message))
        if ref is not None and len(result.errors) == errors_before:
            cleaned.append((number, ref))
    ledger = ContactLedger(organisation, (ref for _, ref in cleaned))
    for number, ref in cleaned:
        try:
            ledger.apply(ref)
        except EventInvalid as exc:
            _add_errors(result, number, exc)


def _add_errors(result: EventFile, number: int, exc: EventInvalid) -> None:
    for name, message in exc.fields.items():
        result.errors.append(RowError(number, column_of(name), message))


def stored_event_ids(organisation, ids: list[str]) -> set[str]:
    """Which of these event ids the organisation has stored."""
    stored: set[str] = set()
    for start in range(0, len(ids), CHUNK):
        stored.update(
            Event.objects.filter(
                organisation=organisation, external_id__in=ids[start : start + CHUNK]
            )
            .exclude(external_id="")  # the unique index's condition: SQLite then uses it
            .values_list("external_id", flat=True)
        )
    return stored


def _touchpoint_keys(organisation, keys: set[str]) -> set[str]:
    keys.discard("")
    return set(
        Touchpoint.objects.filter(organisation=organisation, key__in=keys).values_list(
            "key", flat=True
        )
    )


def _zone(organisation) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(organisation.time_zone or "Europe/Helsinki")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("Europe/Helsinki")


def column_of(field_name: str) -> str:
    """The CSV column an EventInvalid field came from (contact.external_id → customer_id)."""
    name = field_name.removeprefix("contact.")
    return {"external_id": "customer_id", "contact": ""}.get(name, name)


def _read(data: bytes, result: EventFile) -> list[tuple[int, dict[str, str]]]:
    reader = csv_rows(data, result.errors, max_bytes=MAX_BYTES)
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


def _header(raw: str, result: EventFile) -> str:
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
