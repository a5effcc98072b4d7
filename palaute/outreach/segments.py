"""Segments: saved filters over contacts, evaluated in the database.

Conditions on attributes are written one per line:

    customer_type = private
    region != Lapland
    product contains sauna
    vip exists
    churned missing

Values compare as text (a CSV import stores text), case-sensitively for ``=`` and ``!=`` and
case-insensitively for ``contains``. All lines must hold (AND).
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from palaute.outreach.contacts import attribute_key
from palaute.outreach.models import Contact, Segment

OPERATORS = ("=", "!=", "contains", "exists", "missing")
LINE_RE = re.compile(
    r"^\s*(?P<key>[^\s=!]+)\s*(?P<op>!=|=|contains\b|exists\b|missing\b)\s*(?P<value>.*)$"
)


def parse_conditions(text: str) -> list[dict[str, str]]:
    """Condition lines → ``[{"key", "op", "value"}]``; raises ValueError naming the line."""
    conditions = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = LINE_RE.match(line)
        if match is None:
            raise ValueError(
                f"line {number}: write “key = value”, “key != value”, “key contains text”, "
                "“key exists” or “key missing”"
            )
        try:
            key = attribute_key(match["key"])
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
        op, value = match["op"], match["value"].strip()
        if op in ("exists", "missing"):
            if value:
                raise ValueError(f"line {number}: “{op}” takes no value")
        elif not value:
            raise ValueError(f"line {number}: give a value after “{op}”")
        conditions.append({"key": key, "op": op, "value": value})
    return conditions


def condition_lines(conditions: list[dict[str, str]]) -> str:
    return "\n".join(
        f"{c['key']} {c['op']}" + (f" {c['value']}" if c.get("value") else "") for c in conditions
    )


def members(segment: Segment) -> QuerySet[Contact]:
    """The segment's contacts, as one query."""
    contacts = Contact.objects.filter(organisation_id=segment.organisation_id)
    if segment.language:
        contacts = contacts.filter(language=segment.language)
    if segment.account_id:
        contacts = contacts.filter(account_id=segment.account_id)
    if segment.sector:
        contacts = contacts.filter(account__sector__iexact=segment.sector)
    for index, condition in enumerate(segment.conditions or []):
        contacts = _apply(contacts, index, condition)
    return contacts


def _apply(contacts: QuerySet[Contact], index: int, condition: dict) -> QuerySet[Contact]:
    key = attribute_key(condition["key"])  # stored keys were checked; check again anyway
    op, value = condition["op"], condition.get("value", "")
    if op == "exists":
        return contacts.filter(attributes__has_key=key)
    if op == "missing":
        return contacts.exclude(attributes__has_key=key)
    alias = f"segment_attr_{index}"
    # Cast: a bare KT() keeps JSON comparison semantics for "=", which SQLite rejects for text.
    contacts = contacts.alias(**{alias: Cast(KT(f"attributes__{key}"), TextField())})
    if op == "=":
        return contacts.filter(**{alias: value})
    if op == "!=":
        return contacts.filter(~Q(**{alias: value}) | Q(**{f"{alias}__isnull": True}))
    if op == "contains":
        return contacts.filter(**{f"{alias}__icontains": value})
    raise ValueError(f"unknown operator {op!r}")
