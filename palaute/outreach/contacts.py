"""Contact rules shared by the form, the CSV import and the public unsubscribe page: cleaning
addresses and attributes, and recording consent changes."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from palaute.accounts.models import record_audit
from palaute.outreach.models import ChannelKind, Contact, Invitation
from palaute.outreach.phones import InvalidPhone, normalise_phone

ATTRIBUTE_KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ATTRIBUTE_VALUE = 200
MAX_ATTRIBUTES = 30


def clean_email(raw: str) -> str:
    """Lower-case address or ""; raises ValueError naming the problem."""
    email = (raw or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValueError("not a valid email address") from None
    return email


def clean_phone(raw: str) -> str:
    try:
        return normalise_phone(raw)
    except InvalidPhone as exc:
        raise ValueError(str(exc)) from None


def attribute_key(header: str) -> str:
    """A CSV header or form key as an attribute key ("Customer type" → "customer_type");
    raises ValueError when it cannot be one."""
    key = re.sub(r"[\s\-]+", "_", (header or "").strip().lower())
    if not ATTRIBUTE_KEY_RE.match(key):
        raise ValueError("use letters a–z, digits and _ (start with a letter, at most 40)")
    return key


def clean_attributes(pairs: dict[str, str]) -> dict[str, str]:
    """Attributes as {key: text}; empty values are dropped. Raises ValueError."""
    cleaned: dict[str, str] = {}
    for raw_key, raw_value in pairs.items():
        key = attribute_key(raw_key)
        value = str(raw_value if raw_value is not None else "").strip()
        if len(value) > MAX_ATTRIBUTE_VALUE:
            raise ValueError(f"{key}: at most {MAX_ATTRIBUTE_VALUE} characters")
        if value:
            cleaned[key] = value
    if len(cleaned) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
    return cleaned


def parse_attribute_lines(text: str) -> dict[str, str]:
    """``key = value`` lines (the contact form's attribute box) → attributes."""
    pairs: dict[str, str] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"line {number}: write key = value")
        try:
            pairs[attribute_key(key)] = value.strip()
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return clean_attributes(pairs)


def attribute_lines(attributes: dict) -> str:
    return "\n".join(f"{key} = {value}" for key, value in sorted((attributes or {}).items()))


def opt_out(contact: Contact, channel: str, *, actor=None, via: str) -> bool:
    """Stop ``channel`` for ``contact``; returns False if it was already stopped. Pending
    reminders on that channel are cancelled; scheduled invitations are skipped when due."""
    field = "email_opt_out_at" if channel == ChannelKind.EMAIL else "sms_opt_out_at"
    changed = Contact.objects.filter(pk=contact.pk, **{f"{field}__isnull": True}).update(
        **{field: timezone.now()}
    )
    if changed:
        Invitation.objects.filter(contact=contact, channel=channel).exclude(
            next_reminder_at=None
        ).update(next_reminder_at=None)
        record_audit(
            contact.organisation,
            actor,
            "contact.opt_out",
            f"contact {contact.pk}",
            {"channel": channel, "via": via},
        )
    return bool(changed)


def opt_in(contact: Contact, channel: str, *, actor, via: str) -> bool:
    """Undo an opt-out (staff, when the person asks to be contacted again)."""
    field = "email_opt_out_at" if channel == ChannelKind.EMAIL else "sms_opt_out_at"
    changed = Contact.objects.filter(pk=contact.pk, **{f"{field}__isnull": False}).update(
        **{field: None}
    )
    if changed:
        record_audit(
            contact.organisation,
            actor,
            "contact.opt_in",
            f"contact {contact.pk}",
            {"channel": channel, "via": via},
        )
    return bool(changed)
