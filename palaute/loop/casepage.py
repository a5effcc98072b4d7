"""What the case page shows, read in a fixed number of queries: the feedback (each linked
response with its answers labelled by the survey version's own question texts, and a review's
stars and words from the case's history) and the history in words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from palaute.journeys.models import Channel
from palaute.loop.models import Case, CaseEvent, Rule, Severity
from palaute.loop.owners import display_name
from palaute.surveys.models import Response
from palaute.surveys.publishing import parsed_definition

SCALE_MAX = {"nps": 10, "csat": 5, "ces": 7, "smiley": 4}
FACES = {1: "☹☹", 2: "☹", 3: "☺", 4: "☺☺"}


@dataclass
class AnswerLine:
    label: str
    value: str
    kind: str


@dataclass
class FeedbackItem:
    """One piece of feedback behind the case: a response, or a public review."""

    at: datetime | None
    source: str
    touchpoint: str = ""
    lines: list[AnswerLine] = field(default_factory=list)
    review: dict[str, Any] | None = None
    response_id: int | None = None


def events_of(case: Case) -> list[CaseEvent]:
    return list(case.events.select_related("actor"))


def feedback(case: Case, events: list[CaseEvent]) -> list[FeedbackItem]:
    responses = (
        Response.objects.filter(cases=case)
        .select_related("survey", "touchpoint", "version")
        .prefetch_related("answers")
        .order_by("submitted_at", "pk")
    )
    items = [_response_item(response) for response in responses]
    for event in events:
        review = event.data.get("review") if isinstance(event.data, dict) else None
        if review:
            items.append(
                FeedbackItem(
                    at=event.at,
                    source=str(review.get("source", "")),
                    touchpoint=case.touchpoint.name if case.touchpoint is not None else "",
                    review=review,
                )
            )
    return items


def _response_item(response: Response) -> FeedbackItem:
    definition = parsed_definition(response.version)
    language = definition.language_for(response.language)
    lines: list[AnswerLine] = []
    choices: dict[str, AnswerLine] = {}
    for answer in sorted(response.answers.all(), key=lambda a: a.pk):
        question = definition.question(answer.question_key)
        label = definition.text(question.text, language) if question else answer.question_key
        if answer.kind in ("single_choice", "multiple_choice") and question is not None:
            option = next((o for o in question.options if o.key == answer.text), None)
            text = definition.text(option.text, language) if option else answer.text
            if answer.question_key in choices:
                choices[answer.question_key].value += f", {text}"
                continue
            line = AnswerLine(label, text, answer.kind)
            choices[answer.question_key] = line
            lines.append(line)
            continue
        lines.append(AnswerLine(label, _answer_value(answer), answer.kind))
    return FeedbackItem(
        at=response.submitted_at,
        source=f"{response.survey.name} · {Channel(response.channel).label}"
        if response.channel in Channel.values
        else response.survey.name,
        touchpoint=response.touchpoint.name if response.touchpoint is not None else "",
        lines=lines,
        response_id=response.pk,
    )


def _answer_value(answer) -> str:
    kind, score = answer.kind, answer.score
    if kind in ("contact_me", "consent"):
        return _("yes") if score == 1 else _("no")
    if kind == "smiley" and score in FACES:
        return f"{FACES[score]} ({score}/4)"
    if kind in SCALE_MAX and score is not None:
        return f"{score} / {SCALE_MAX[kind]}"
    if kind == "expectation_experience":
        return _("expected %(expected)s, experienced %(score)s") % {
            "expected": answer.expected,
            "score": score,
        }
    if answer.text:
        return answer.text
    return "" if score is None else str(score)


# --- history ---------------------------------------------------------------------------------


@dataclass
class HistoryLine:
    at: datetime
    kind: str
    who: str
    what: str
    text: str


def history(events: list[CaseEvent]) -> list[HistoryLine]:
    """The case's events, oldest first, in words (one query for the people they name)."""
    ids: set[int] = set()
    for event in events:
        for key in ("owner_id", "from_id"):
            if isinstance(event.data.get(key), int):
                ids.add(event.data[key])
        ids.update(i for i in event.data.get("to", []) if isinstance(i, int))
    names = {u.pk: display_name(u) for u in get_user_model().objects.filter(pk__in=ids)}
    return [
        HistoryLine(
            at=event.at,
            kind=event.kind,
            who=display_name(event.actor) if event.actor is not None else _("Palaute"),
            what=_describe(event, names),
            text=event.text,
        )
        for event in events
    ]


def _status(value: str) -> str:
    return str(Case.Status(value).label) if value in Case.Status.values else value


def _describe(event: CaseEvent, names: dict[int, str]) -> str:
    data, kind = event.data, event.kind
    if kind == CaseEvent.Kind.OPENED:
        trigger = data.get("trigger", "")
        rule = str(Rule.Kind(trigger).label) if trigger in Rule.Kind.values else trigger
        if data.get("score") is not None:
            return _("Opened by the rule: %(rule)s (score %(score)s).") % {
                "rule": rule,
                "score": data["score"],
            }
        return _("Opened by the rule: %(rule)s.") % {"rule": rule}
    if kind == CaseEvent.Kind.RESPONSE_LINKED:
        if data.get("review"):
            return _("The review changed: %(stars)s★.") % {"stars": data["review"].get("rating")}
        return _("More feedback from the same customer was linked.")
    if kind == CaseEvent.Kind.ASSIGNED:
        owner = data.get("owner_id")
        if owner is None:
            return _("Unassigned.")
        source = data.get("source", "")
        why = str(Case.OwnerSource(source).label) if source in Case.OwnerSource.values else ""
        name = names.get(owner, "?")
        if why:
            return _("Assigned to %(name)s (%(why)s).") % {"name": name, "why": why.lower()}
        return _("Assigned to %(name)s.") % {"name": name}
    if kind == CaseEvent.Kind.STATUS:
        line = _("Status: %(old)s → %(new)s.") % {
            "old": _status(data.get("from", "")),
            "new": _status(data.get("to", "")),
        }
        reason = data.get("reason")
        if reason in Case.Reason.values:
            line += " " + _("Reason: %(reason)s.") % {"reason": Case.Reason(reason).label}
        return line
    if kind == CaseEvent.Kind.SEVERITY:
        old, new = data.get("from", ""), data.get("to", "")
        return _("Severity: %(old)s → %(new)s.") % {
            "old": Severity(old).label if old in Severity.values else old,
            "new": Severity(new).label if new in Severity.values else new,
        }
    if kind == CaseEvent.Kind.WARNED:
        told = [names.get(i, "?") for i in data.get("to", [])]
        if not told:
            return _("Near the response target; no owner to remind.")
        return _("Near the response target; reminded %(names)s.") % {"names": ", ".join(told)}
    if kind == CaseEvent.Kind.ESCALATED:
        told = [names.get(i, "?") for i in data.get("to", [])]
        return _("Missed the response target; escalated to %(names)s.") % {
            "names": ", ".join(told) or _("nobody (no managers)")
        }
    return str(CaseEvent.Kind(kind).label) if kind in CaseEvent.Kind.values else kind
