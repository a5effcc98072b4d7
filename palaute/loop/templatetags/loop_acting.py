"""What the thread and recovery panels of the case page need, built from the case alone: the
case page (``loop/case_detail.html``) includes ``loop/partials/thread.html`` and
``loop/partials/recovery.html`` with ``case`` and ``can_act``, and the acting views render the
same partials with a bound form or an error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django import template

from palaute.loop import recovery, replies
from palaute.loop.acting_forms import ReplyForm
from palaute.loop.models import Case, CaseMessage, LoopSettings
from palaute.loop.targets import span

register = template.Library()


@dataclass
class Thread:
    case: Case
    can_act: bool
    messages: list[CaseMessage]
    form: ReplyForm | None
    notices: list[replies.Notice] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        """A message is still on its way: the list refreshes itself until it is not."""
        return any(m.status == CaseMessage.Status.QUEUED for m in self.messages)


def thread_for(case: Case, can_act: bool, form: ReplyForm | None = None) -> Thread:
    messages = list(case.messages.select_related("author"))
    if can_act and form is None:
        form = ReplyForm(case=case)
    return Thread(
        case=case,
        can_act=can_act,
        messages=messages,
        form=form if can_act else None,
        notices=replies.notices(case) if can_act else [],
    )


@dataclass
class Recovery:
    case: Case
    can_act: bool
    invitation: Any
    unavailable: str | None
    automatic: bool
    error: str = ""

    @property
    def can_send(self) -> bool:
        return self.can_act and self.unavailable is None


def recovery_for(case: Case, can_act: bool, error: str = "") -> Recovery:
    automatic = (
        LoopSettings.objects.filter(organisation_id=case.organisation_id)
        .values_list("recovery_survey_enabled", flat=True)
        .first()
    )
    return Recovery(
        case=case,
        can_act=can_act,
        invitation=case.recovery_invitation,
        unavailable=recovery.unavailable_reason(case),
        automatic=automatic is not False,  # no settings row yet: the default (on)
        error=error,
    )


@register.simple_tag
def reply_thread(case: Case, can_act: bool) -> Thread:
    return thread_for(case, bool(can_act))


@register.simple_tag
def recovery_panel(case: Case, can_act: bool) -> Recovery:
    return recovery_for(case, bool(can_act))


@register.filter
def duration(seconds) -> str:
    """Seconds as a short span ("3 h 20 min"); "—" for nothing."""
    if seconds is None or seconds == "":
        return "—"
    return span(timedelta(seconds=float(seconds)))


@register.filter
def percent(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):.0f} %"
