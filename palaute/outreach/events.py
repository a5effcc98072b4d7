"""Recording an event — from the API, the signed webhook or a CSV row — and handing it to the
trigger rules, in one transaction.

The event names its person by ``external_id`` (the id in the organisation's own system),
email or phone; the contact is found by those, in that order, created when new, and updated
with what the event says (name, language, a new address). Details that contradict each other
(the external id is one contact's, the email another's) are an error naming the field, and
nothing is stored.

An event with an id (``external_id``: the body's ``id`` or the ``Idempotency-Key`` header) is
stored once per organisation: the same id again returns the first event and runs no rule a
second time, even when two copies arrive at the same moment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from palaute.accounts.models import Organisation
from palaute.journeys.models import Touchpoint
from palaute.outreach.contacts import clean_attributes, clean_email, clean_phone
from palaute.outreach.models import Account, Contact, Event
from palaute.outreach.triggers import TriggerResult, apply_rules

LANGUAGES = ("fi", "en")


class EventInvalid(ValueError):
    """The event cannot be stored; ``fields`` maps each bad field to what is wrong."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass
class ContactRef:
    external_id: str = ""
    email: str = ""
    phone: str = ""
    name: str = ""
    language: str = ""


@dataclass
class EventData:
    name: str
    contact: ContactRef
    occurred_at: datetime | None = None
    ends_at: datetime | None = None
    account: str = ""
    touchpoint: str = ""
    # Scalars as sent (JSON numbers and booleans too); stored as text.
    attributes: dict[str, object] = field(default_factory=dict)
    external_id: str = ""


@dataclass
class Recorded:
    event: Event
    created: bool
    contact_created: bool = False
    triggered: TriggerResult | None = None


def record_event(organisation, data: EventData, *, source: str, now=None) -> Recorded:
    """Store the event and apply the rules; raises EventInvalid."""
    now = now or timezone.now()
    if data.external_id:
        existing = _existing(organisation, data.external_id)
        if existing is not None:
            return Recorded(existing, created=False)
    ref = clean_ref(data.contact)
    attributes = clean_event_attributes(data.attributes)
    touchpoint = _touchpoint(organisation, data.touchpoint)
    store = _Store(organisation, data, ref, attributes, touchpoint, source, now)
    try:
        return store()
    except IntegrityError:
        # A concurrent request stored the same event id a moment ago: this is a repeat. Or it
        # created the same contact or account: a second attempt finds them.
        repeat = _existing(organisation, data.external_id) if data.external_id else None
        if repeat is not None:
            return Recorded(repeat, created=False)
    try:
        return store()
    except IntegrityError:
        repeat = _existing(organisation, data.external_id) if data.external_id else None
        if repeat is None:
            raise
        return Recorded(repeat, created=False)


@dataclass
class _Store:
    """One attempt at storing the event and applying the rules, in one transaction."""

    organisation: Organisation
    data: EventData
    ref: ContactRef
    attributes: dict[str, str]
    touchpoint: Touchpoint | None
    source: str
    now: datetime

    def __call__(self) -> Recorded:
        data = self.data
        with transaction.atomic():
            account = _account(self.organisation, data.account)
            contact, contact_created = resolve_contact(self.organisation, self.ref, account)
            event = Event.objects.create(
                organisation=self.organisation,
                name=data.name,
                external_id=data.external_id,
                source=self.source,
                occurred_at=data.occurred_at or self.now,
                ends_at=data.ends_at,
                contact=contact,
                account=account,
                touchpoint=self.touchpoint,
                attributes=self.attributes,
            )
            triggered = apply_rules(event, now=self.now)
        return Recorded(event, True, contact_created=contact_created, triggered=triggered)


def _existing(organisation, external_id: str) -> Event | None:
    # The exclude repeats the unique index's condition, so SQLite uses that partial index
    # instead of walking the organisation's events.
    return (
        Event.objects.select_related("contact")
        .filter(organisation=organisation, external_id=external_id)
        .exclude(external_id="")
        .first()
    )


def clean_ref(ref: ContactRef) -> ContactRef:
    """The contact details cleaned (email lower-case, phone E.164); raises EventInvalid."""
    errors: dict[str, str] = {}
    email = phone = ""
    try:
        email = clean_email(ref.email)
    except ValueError as exc:
        errors["contact.email"] = str(exc)
    try:
        phone = clean_phone(ref.phone)
    except ValueError as exc:
        errors["contact.phone"] = str(exc)
    language = (ref.language or "").strip().lower()
    if language and language not in LANGUAGES:
        errors["contact.language"] = "use fi or en"
    external_id = (ref.external_id or "").strip()
    if len(external_id) > 100:
        errors["contact.external_id"] = "at most 100 characters"
    name = (ref.name or "").strip()
    if len(name) > 120:
        errors["contact.name"] = "at most 120 characters"
    if not errors and not (external_id or email or phone):
        errors["contact"] = "give external_id, email or phone"
    if errors:
        raise EventInvalid(errors)
    return ContactRef(external_id, email, phone, name, language)


def clean_event_attributes(attributes: dict) -> dict[str, str]:
    try:
        return clean_attributes({k: _text(v) for k, v in (attributes or {}).items()})
    except ValueError as exc:
        raise EventInvalid({"attributes": str(exc)}) from None


def _text(value) -> str:
    """Attributes are compared as text; JSON true/false read as "true"/"false"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _touchpoint(organisation, key: str) -> Touchpoint | None:
    if not key:
        return None
    touchpoint = Touchpoint.objects.filter(organisation=organisation, key=key).first()
    if touchpoint is None:
        raise EventInvalid({"touchpoint": f"no touchpoint with key {key!r}"})
    return touchpoint


def _account(organisation, name: str) -> Account | None:
    name = check_account_name(name)
    if not name:
        return None
    account, _ = Account.objects.get_or_create(organisation=organisation, name=name)
    return account


def check_account_name(name: str) -> str:
    name = (name or "").strip()
    if len(name) > 200:
        raise EventInvalid({"account": "at most 200 characters"})
    return name


def resolve_contact(organisation, ref: ContactRef, account: Account | None):
    """(contact, created): found by external id, email or phone; updated with the event's
    details; created when none matches. Raises EventInvalid on contradicting details."""
    given = {
        key: value
        for key, value in (
            ("external_id", ref.external_id),
            ("email", ref.email),
            ("phone", ref.phone),
        )
        if value
    }
    # One branch per detail, each with its unique index's condition (non-empty), so SQLite
    # looks the contact up in those partial indexes instead of walking all contacts.
    query = Q()
    for key, value in given.items():
        query |= Q(organisation=organisation, **{key: value}) & ~Q(**{key: ""})
    candidates = list(Contact.objects.filter(query)[:3])
    contact = pick_match(
        {
            key: next((c for c in candidates if getattr(c, key) == value), None)
            for key, value in given.items()
        }
    )
    if contact is None:
        check_new_contact(ref)
        contact = Contact.objects.create(
            organisation=organisation,
            external_id=ref.external_id,
            email=ref.email,
            phone=ref.phone,
            name=ref.name,
            language=ref.language or _default_language(organisation),
            account=account,
        )
        return contact, True
    changed: list[str] = []
    for name in ("external_id", "email", "phone", "name", "language"):
        value = getattr(ref, name)
        if value and getattr(contact, name) != value:
            setattr(contact, name, value)
            changed.append(name)
    if "email" in changed and contact.email_bounced_at is not None:
        # A new address has not bounced.
        contact.email_bounced_at, contact.email_bounce_reason = None, ""
        changed += ["email_bounced_at", "email_bounce_reason"]
    if account is not None and contact.account_id != account.pk:
        contact.account = account
        changed.append("account")
    if changed:
        contact.save(update_fields=[*changed, "updated_at"])
    return contact, False


M = TypeVar("M")


def pick_match(matches: dict[str, M | None]) -> M | None:
    """The contact an event names, from what its external id, email and phone each matched
    (in that order; None: nothing). Raises EventInvalid when they name different contacts.
    Shared with the CSV check (contact_ledger.py), which matches contact ids in memory."""
    found = [match for match in matches.values() if match is not None]
    if not found:
        return None
    conflicts = {
        f"contact.{key}": "belongs to another contact"
        for key, other in matches.items()
        if other is not None and other != found[0]
    }
    if conflicts:
        raise EventInvalid(conflicts)
    return found[0]


def check_new_contact(ref: ContactRef) -> None:
    if not ref.email and not ref.phone:
        raise EventInvalid({"contact": "a new contact needs an email or a phone number"})


def _default_language(organisation) -> str:
    return organisation.default_language if organisation.default_language in LANGUAGES else "fi"
