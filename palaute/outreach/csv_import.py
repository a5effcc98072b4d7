"""Importing contacts from CSV: every row is checked first, then all are written in one
transaction, or none.

Columns (header row required, any order, comma, semicolon or tab separated, UTF-8):
``name``, ``email``, ``phone``, ``language`` (fi/en), ``account`` (company name; created when
new) and any other column, which becomes an attribute named after its header. A row needs an
email or a phone. Rows are matched to existing contacts by email, then by phone, and update
them (attributes are merged); two rows for the same person in one file are an error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import transaction

from palaute.outreach.contacts import (
    MAX_ATTRIBUTE_VALUE,
    attribute_key,
    clean_email,
    clean_phone,
)
from palaute.outreach.models import Account, Contact

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
KNOWN = {"name", "email", "phone", "language", "account"}
HEADER_ALIASES = {
    "nimi": "name",
    "sähköposti": "email",
    "e-mail": "email",
    "puhelin": "phone",
    "kieli": "language",
    "yritys": "account",
    "company": "account",
}


@dataclass
class RowError:
    row: int  # 1 = the header line, so row numbers match a spreadsheet
    column: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    accounts_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    number: int
    name: str
    email: str
    phone: str
    language: str
    account: str
    attributes: dict[str, str]


def import_contacts(organisation, data: bytes) -> ImportResult:
    """Validate and import ``data``; nothing is written when ``errors`` is not empty."""
    result = ImportResult()
    rows = _parse(organisation, data, result)
    if result.errors:
        return result
    matches = _match_existing(organisation, rows, result)
    if result.errors:
        return result
    with transaction.atomic():
        _write(organisation, rows, matches, result)
    return result


def csv_rows(
    data: bytes, errors: list[RowError], *, max_bytes: int = MAX_BYTES
) -> Iterator[list[str]] | None:
    """The rows of an uploaded CSV file (UTF-8, with or without a BOM; comma, semicolon or
    tab, as the header line shows), or None with the file-level problem added to ``errors``."""
    if len(data) > max_bytes:
        errors.append(RowError(0, "", f"the file is over {max_bytes // 1024 // 1024} MB"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        errors.append(RowError(0, "", "the file is not UTF-8 text"))
        return None
    lines = text.splitlines()
    if not lines:
        errors.append(RowError(0, "", "the file is empty"))
        return None
    delimiter = max((",", ";", "\t"), key=lines[0].count)
    return csv.reader(io.StringIO(text), delimiter=delimiter)


def _parse(organisation, data: bytes, result: ImportResult) -> list[_Row]:
    reader = csv_rows(data, result.errors)
    if reader is None:
        return []
    header = next(reader)
    columns = _columns(header, result)
    if result.errors:
        return []
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for number, values in enumerate(reader, start=2):
        if not any(value.strip() for value in values):
            continue
        if len(rows) >= MAX_ROWS:
            result.errors.append(RowError(number, "", f"at most {MAX_ROWS:,} rows per file"))
            break
        row = _row(organisation, number, columns, values, result)
        if row is None:
            continue
        for address in (row.email, row.phone):
            if address and address in seen:
                result.errors.append(
                    RowError(number, "", f"the same person as row {seen[address]} ({address})")
                )
            elif address:
                seen[address] = number
        rows.append(row)
        if len(result.errors) >= 100:
            break
    if not rows and not result.errors:
        result.errors.append(RowError(0, "", "the file has no data rows"))
    return rows


def _columns(header: list[str], result: ImportResult) -> list[tuple[str, str]]:
    """(kind, key) per column: kind is a known field or "attribute"."""
    columns: list[tuple[str, str]] = []
    for raw in header:
        name = raw.strip().lower()
        name = HEADER_ALIASES.get(name, name)
        if name in KNOWN:
            columns.append((name, name))
            continue
        try:
            columns.append(("attribute", attribute_key(raw)))
        except ValueError as exc:
            result.errors.append(RowError(1, raw, f"not a usable column name: {exc}"))
    kinds = [kind for kind, _ in columns]
    if "email" not in kinds and "phone" not in kinds:
        result.errors.append(RowError(1, "", "the file needs an email or a phone column"))
    duplicates = {key for _, key in columns if [k for _, k in columns].count(key) > 1}
    for key in sorted(duplicates):
        result.errors.append(RowError(1, key, "the column appears twice"))
    return columns


def _row(organisation, number, columns, values, result: ImportResult) -> _Row | None:
    if len(values) > len(columns):
        result.errors.append(RowError(number, "", "more values than columns"))
        return None
    fields: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for (kind, key), value in zip(columns, values, strict=False):
        if kind == "attribute":
            if len(value.strip()) > MAX_ATTRIBUTE_VALUE:
                result.errors.append(
                    RowError(number, key, f"at most {MAX_ATTRIBUTE_VALUE} characters")
                )
            elif value.strip():
                attributes[key] = value.strip()
        else:
            fields[kind] = value.strip()
    errors_before = len(result.errors)
    email = _field(number, "email", fields.get("email", ""), clean_email, result)
    phone = _field(number, "phone", fields.get("phone", ""), clean_phone, result)
    language = fields.get("language", "").lower()
    if language not in ("", "fi", "en"):
        result.errors.append(RowError(number, "language", "use fi or en"))
    name = fields.get("name", "")
    if len(name) > 120:
        result.errors.append(RowError(number, "name", "at most 120 characters"))
    account = fields.get("account", "")
    if len(account) > 200:
        result.errors.append(RowError(number, "account", "at most 200 characters"))
    if not email and not phone and len(result.errors) == errors_before:
        result.errors.append(RowError(number, "", "give an email or a phone number"))
    if len(result.errors) > errors_before:
        return None
    return _Row(number, name, email, phone, language, account, attributes)


def _field(number, column, raw, cleaner, result: ImportResult) -> str:
    try:
        return cleaner(raw)
    except ValueError as exc:
        result.errors.append(RowError(number, column, str(exc)))
        return ""


def _match_existing(organisation, rows: list[_Row], result: ImportResult) -> dict[int, Contact]:
    """Existing contact per row number; a row whose email and phone belong to two different
    contacts is an error."""
    emails = [row.email for row in rows if row.email]
    phones = [row.phone for row in rows if row.phone]
    by_email = _existing(organisation, "email", emails)
    by_phone = _existing(organisation, "phone", phones)
    matches: dict[int, Contact] = {}
    row_of_contact: dict[int, int] = {}
    for row in rows:
        a, b = by_email.get(row.email), by_phone.get(row.phone)
        if a is not None and b is not None and a.pk != b.pk:
            result.errors.append(
                RowError(
                    row.number, "phone", "the email and the phone belong to different contacts"
                )
            )
            continue
        contact = a or b
        if contact is None:
            continue
        earlier = row_of_contact.setdefault(contact.pk, row.number)
        if earlier != row.number:
            result.errors.append(
                RowError(row.number, "", f"the same person as row {earlier} (an existing contact)")
            )
            continue
        matches[row.number] = contact
    return matches


def _existing(organisation, field: str, values: list[str]) -> dict[str, Contact]:
    """Contacts whose ``field`` is one of ``values``, looked up 500 at a time (SQLite limits
    the number of parameters in one query)."""
    found: dict[str, Contact] = {}
    contacts = Contact.objects.filter(organisation=organisation)
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        found.update({getattr(c, field): c for c in contacts.filter(**{f"{field}__in": chunk})})
    return found


def _default_language(organisation) -> str:
    return organisation.default_language if organisation.default_language in ("fi", "en") else "fi"


def _write(organisation, rows: list[_Row], matches: dict[int, Contact], result: ImportResult):
    accounts = {a.name: a for a in Account.objects.filter(organisation=organisation)}
    new_contacts: list[Contact] = []
    for row in rows:
        account = None
        if row.account:
            account = accounts.get(row.account)
            if account is None:
                account = Account.objects.create(organisation=organisation, name=row.account)
                accounts[row.account] = account
                result.accounts_created += 1
        contact = matches.get(row.number)
        if contact is None:
            new_contacts.append(
                Contact(
                    organisation=organisation,
                    account=account,
                    name=row.name,
                    email=row.email,
                    phone=row.phone,
                    language=row.language or _default_language(organisation),
                    attributes=row.attributes,
                )
            )
            continue
        contact.name = row.name or contact.name
        contact.email = row.email or contact.email
        contact.phone = row.phone or contact.phone
        contact.language = row.language or contact.language
        contact.account = account or contact.account
        contact.attributes = {**(contact.attributes or {}), **row.attributes}
        contact.save()
        result.updated += 1
    Contact.objects.bulk_create(new_contacts, batch_size=500)
    result.created = len(new_contacts)
