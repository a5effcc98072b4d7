"""Response-time targets: when a case is due, when its owner is reminded, and how its clock
reads on screen.

The target runs in plain hours from the moment the case opened (no business hours): "a reply
within 4 hours" means what the customer experiences. The first response to the customer stops
the clock; a closed case has no clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.translation import gettext as _

from palaute.loop.models import Case, LoopSettings


def deadlines(settings: LoopSettings, severity: str, start: datetime) -> tuple[datetime, datetime]:
    """(due_at, warn_at) for a case of ``severity`` opened at ``start``."""
    target = timedelta(hours=settings.target_hours(severity))
    percent = min(max(settings.warn_at_percent, 1), 100)
    return start + target, start + target * percent / 100


def is_breached(case: Case, now: datetime) -> bool:
    """Past its target without a first response (or answered late)."""
    if case.first_response_at is not None:
        return case.first_response_at > case.due_at
    return case.is_open and now > case.due_at


def span(delta: timedelta) -> str:
    """A short human duration: "45 min", "3 h", "2 d 4 h"."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48 and minutes:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if hours < 48:
        return _("%(h)d h") % {"h": hours}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


@dataclass(frozen=True)
class Clock:
    """How a case's target reads: ``state`` is one of "running", "warning", "overdue",
    "met", "missed", "closed"; ``text`` says it in words."""

    state: str
    text: str


def clock(case: Case, now: datetime) -> Clock:
    if case.first_response_at is not None:
        late = case.first_response_at - case.due_at
        if late > timedelta(0):
            return Clock("missed", _("answered %(span)s late") % {"span": span(late)})
        return Clock("met", _("answered within target"))
    if not case.is_open:
        return Clock("closed", _("closed without a reply"))
    if now > case.due_at:
        return Clock("overdue", _("overdue by %(span)s") % {"span": span(now - case.due_at)})
    state = "warning" if case.warn_at is not None and now >= case.warn_at else "running"
    return Clock(state, _("due in %(span)s") % {"span": span(case.due_at - now)})
