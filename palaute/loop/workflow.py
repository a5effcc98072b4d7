"""Everything that changes a case after it opened, each change written to its history.

Each change is a guarded UPDATE (``… WHERE status = <what the user saw>``), so a double
submit or two people acting at once change the case once and write one history entry; the
second caller gets False. Call these inside the request's transaction (views wrap them in
``transaction.atomic``) so the case and its history are written together.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from palaute.loop import notifications, owners, targets
from palaute.loop.configuration import settings_for
from palaute.loop.models import Case, CaseEvent, Severity
from palaute.loop.payloads import case_payload
from palaute.loop.rules import more_severe
from palaute.webhooks.events import emit

CLOSED_STATUSES = (Case.Status.RESOLVED, Case.Status.NO_ACTION)


class CaseError(Exception):
    """A change that cannot be made; ``errors`` maps the form field to the reason."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))


def record_event(
    case: Case,
    kind: str,
    *,
    actor=None,
    text: str = "",
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> CaseEvent:
    """Append one entry to the case's history (``actor`` None: the system)."""
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=at or timezone.now(),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        text=text,
        data=data or {},
    )


def set_status(case: Case, status: str, *, actor, reason: str = "", note: str = "") -> bool:
    """Move the case to ``status``; returns False when it already was there (or someone else
    moved it first). Closing sets ``closed_at`` and the reason, reopening clears them; moving
    to "contacted" counts as the first response if none was recorded (a phone call is one).
    Resolving emits ``case.resolved``."""
    if status not in Case.Status.values:
        raise CaseError({"status": _("Choose a valid status.")})
    if reason and reason not in Case.Reason.values:
        raise CaseError({"reason": _("Choose a valid reason.")})
    old = case.status
    if old == status:
        return False
    now = timezone.now()
    closing = status in CLOSED_STATUSES
    changes: dict[str, Any] = {
        "status": status,
        "closed_at": now if closing else None,
        "close_reason": reason if closing else "",
        "updated_at": now,
    }
    if status == Case.Status.CONTACTED:
        changes["first_response_at"] = Coalesce(F("first_response_at"), now)
    if not Case.objects.filter(pk=case.pk, status=old).update(**changes):
        case.refresh_from_db()
        return False
    case.refresh_from_db()
    data = {"from": old, "to": status}
    if closing:
        data["reason"] = reason
    record_event(case, CaseEvent.Kind.STATUS, actor=actor, text=note, data=data, at=now)
    if status == Case.Status.RESOLVED:
        emit(case.organisation, "case.resolved", case_payload(case))
        # "Did we fix it?", in the resolving transaction (recovery imports this module).
        from palaute.loop import recovery

        recovery.send_automatically(case.pk)
    return True


def assign(case: Case, owner_id: int | None, *, actor) -> bool:
    """Give the case to ``owner_id`` (None: unassign). The new owner must be a member who may
    act on cases; they get the "a case is yours" email unless they assigned it to themselves."""
    if owner_id is not None and not owners.can_own(case.organisation, owner_id):
        raise CaseError({"owner": _("Choose a member of this organisation who handles cases.")})
    old = case.owner_id
    if old == owner_id:
        return False
    now = timezone.now()
    source = Case.OwnerSource.MANUAL if owner_id is not None else Case.OwnerSource.NONE
    updated = Case.objects.filter(pk=case.pk, owner_id=old).update(
        owner_id=owner_id, owner_source=source, updated_at=now
    )
    case.refresh_from_db()
    if not updated:
        return False
    record_event(
        case,
        CaseEvent.Kind.ASSIGNED,
        actor=actor,
        data={"from_id": old, "owner_id": owner_id, "source": source},
        at=now,
    )
    if owner_id is not None and owner_id != getattr(actor, "pk", None):
        notifications.case_assigned(case)
    return True


def change_severity(case: Case, severity: str, *, actor, reason: str = "") -> bool:
    """Set the severity; the due and reminder times follow the new target (from when the case
    opened). A system raise (a more severe rule matched later) never moves the due time later."""
    if severity not in Severity.values:
        raise CaseError({"severity": _("Choose a valid severity.")})
    old = case.severity
    if old == severity:
        return False
    settings = settings_for(case.organisation)
    due_at, warn_at = targets.deadlines(settings, severity, case.opened_at)
    if actor is None:
        due_at, warn_at = (
            min(due_at, case.due_at),
            min(warn_at, case.warn_at or warn_at),
        )
    now = timezone.now()
    updated = Case.objects.filter(pk=case.pk, severity=old).update(
        severity=severity, due_at=due_at, warn_at=warn_at, updated_at=now
    )
    case.refresh_from_db()
    if not updated:
        return False
    record_event(
        case,
        CaseEvent.Kind.SEVERITY,
        actor=actor,
        text=reason,
        data={"from": old, "to": severity, "due_at": due_at.isoformat()},
        at=now,
    )
    return True


def raise_severity(case: Case, severity: str, *, reason: str) -> bool:
    """The system's raise: only ever to a more severe level."""
    if not more_severe(severity, case.severity):
        return False
    return change_severity(case, severity, actor=None, reason=reason)


def add_note(case: Case, text: str, *, actor, key: str = "") -> CaseEvent | None:
    """An internal note (never shown to the customer). ``key`` makes a double submit one
    note: a second call with the same key returns None."""
    text = text.strip()
    if not text:
        raise CaseError({"text": _("Write the note first.")})
    if len(text) > 5000:
        raise CaseError({"text": _("A note can be at most 5,000 characters.")})
    # Touch the case first: the UPDATE locks its row (PostgreSQL) or the database (SQLite),
    # so a second submit with the same key waits here and then sees the first note.
    Case.objects.filter(pk=case.pk).update(updated_at=timezone.now())
    notes = CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.NOTE)
    if key and notes.filter(data__key=key).exists():
        return None
    return record_event(
        case, CaseEvent.Kind.NOTE, actor=actor, text=text, data={"key": key} if key else {}
    )
