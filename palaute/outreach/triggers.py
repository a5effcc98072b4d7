"""Trigger rules: an event arrives, the matching rules send a survey or a message after their
delay, outside quiet hours (timing.py).

A rule matches an event by its name and, optionally, attribute conditions that must all hold
(``type = private``: the attribute's text equals the value). Each match creates one
invitation (or journey message) with the dedup key ``rule:<rule>:event:<event>``, so the same
event can never produce a second one, however often it is replayed.

Events far in the past (a CSV of last year's transactions) do not fire: a survey more than
``MAX_LATENESS`` after it was due would ask about something the customer has forgotten.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from palaute.outreach import timing
from palaute.outreach.contacts import attribute_key
from palaute.outreach.invitations import invite
from palaute.outreach.memo import remembered
from palaute.outreach.models import Event, Invitation, TriggerRule

MAX_LATENESS = timedelta(days=7)
DEFAULT_ZONE = "Europe/Helsinki"
EVENT_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,59}$")
SUGGESTED_EVENTS = ("booking.completed", "delivery.done", "ticket.closed")


@dataclass
class TriggerResult:
    invitations: list[Invitation] = field(default_factory=list)
    messages: list = field(default_factory=list)
    too_late: list[int] = field(default_factory=list)  # rule ids that did not fire


def parse_conditions(text: str) -> list[dict[str, str]]:
    """``key = value`` lines → ``[{"key", "value"}]``; raises ValueError naming the line."""
    conditions = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not value.strip():
            raise ValueError(f"line {number}: write key = value")
        try:
            conditions.append({"key": attribute_key(key), "value": value.strip()})
        except ValueError as exc:
            raise ValueError(f"line {number}: {exc}") from None
    return conditions


def condition_lines(conditions: list[dict[str, str]]) -> str:
    return "\n".join(f"{c['key']} = {c['value']}" for c in conditions or [])


def conditions_hold(conditions: list[dict[str, str]], attributes: dict) -> bool:
    return all(str(attributes.get(c["key"], "")) == c["value"] for c in conditions or [])


def zone_of(rule) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(rule.time_zone or DEFAULT_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(DEFAULT_ZONE)


def due_time(rule: TriggerRule, event: Event, now: datetime) -> datetime | None:
    """When ``rule`` sends for ``event``, or None when it is too late to send at all."""
    base = event.occurred_at
    if rule.delay_from == TriggerRule.DelayFrom.ENDS and event.ends_at is not None:
        base = event.ends_at
    zone = zone_of(rule)
    target = timing.add_delay(base, rule.delay_amount, rule.delay_unit, zone)
    if target < now - MAX_LATENESS:
        return None
    return timing.send_time(
        base=base,
        amount=rule.delay_amount,
        unit=rule.delay_unit,
        quiet_start=rule.quiet_start,
        quiet_end=rule.quiet_end,
        zone=zone,
        now=now,
    )


def matching_rules(event: Event):
    rules = remembered(
        ("rules", event.organisation_id, event.name),
        lambda: list(
            TriggerRule.objects.filter(
                organisation_id=event.organisation_id, event_name=event.name, is_active=True
            ).select_related("survey__organisation")
        ),
    )
    return [rule for rule in rules if conditions_hold(rule.conditions, event.attributes)]


def apply_rules(event: Event, *, now: datetime) -> TriggerResult:
    """Create what the event's matching rules send (call inside the event's transaction)."""
    from palaute.outreach.messages import schedule_message

    result = TriggerResult()
    for rule in matching_rules(event):
        when = due_time(rule, event, now)
        if when is None:
            result.too_late.append(rule.pk)
            continue
        batch_key = f"rule:{rule.pk}:event:{event.pk}"
        if rule.action == TriggerRule.Action.MESSAGE:
            message = schedule_message(rule, event, when, dedup_key=batch_key)
            if message is not None:
                result.messages.append(message)
            continue
        if rule.survey is None:
            continue
        invited = invite(
            rule.survey,
            [event.contact],
            preference=rule.channel_preference,
            batch_key=batch_key,
            send_at=when,
            source=Invitation.Source.TRIGGER,
            source_ref=f"{rule.name} · {event.name}",
            event=event,
        )
        result.invitations.extend(invited.created)
    return result
