"""Interview and "why?" conversation notes (BRIEF §2, seeds/001: talk with customers, ask
"why?" again and again; qualitative matters as much as numbers).

A note is an ordinary ``Response`` on the organisation's notes survey (key
``interview-notes``), channel ``interview``, recorded by a member of staff. Because it goes
through ``record_response``, its optional NPS/CSAT/CES scores land in the score counts and the
notes text among the latest comments, next to what customers typed themselves.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from palaute.insights.metrics import LABELS
from palaute.journeys.models import Channel, Touchpoint
from palaute.surveys.models import Response, Survey
from palaute.surveys.publishing import create_survey, parsed_definition
from palaute.surveys.submission import record_response

NOTES_SURVEY_KEY = "interview-notes"
SCORE_KEYS = ("nps", "csat", "ces")
NOTE_LANGUAGES = ("fi", "en")
MAX_CONTACT_NAME = 120  # Response.contact_name

PERIODS = {
    "all": (None, _("All time")),
    "30": (30, _("Last 30 days")),
    "90": (90, _("Last 90 days")),
    "365": (365, _("Last 365 days")),
}


def _t(fi: str, en: str) -> dict[str, str]:
    return {"fi": fi, "en": en}


def notes_definition() -> dict[str, Any]:
    """The notes survey: free-text notes (required) and the three optional scores, asked the
    way the hosted surveys ask them so the numbers mean the same."""
    return {
        "format": "palaute.survey/1",
        "languages": ["fi", "en"],
        "default_language": "fi",
        "title": _t("Haastattelumuistiinpanot", "Interview notes"),
        "questions": [
            {
                "key": "notes",
                "type": "text",
                "required": True,
                "text": _t("Mitä asiakas kertoi, ja miksi?", "What did the customer say, and why?"),
            },
            {
                "key": "nps",
                "type": "nps",
                "text": _t(
                    "Kuinka todennäköisesti asiakas suosittelisi meitä?",
                    "How likely is the customer to recommend us?",
                ),
            },
            {
                "key": "csat",
                "type": "csat",
                "text": _t("Kuinka tyytyväinen asiakas oli?", "How satisfied was the customer?"),
            },
            {
                "key": "ces",
                "type": "ces",
                "text": _t(
                    "Kuinka vaivalloista asiointi oli asiakkaalle?",
                    "How much effort did it take the customer?",
                ),
            },
        ],
    }


def notes_survey_name(organisation) -> str:
    """The survey's name in the organisation's own language (the list shows one name)."""
    title = notes_definition()["title"]
    return title.get(organisation.default_language, title["en"])


def notes_survey(organisation, user=None) -> Survey:
    """The organisation's notes survey, created on first use.

    It is closed to the public (``is_active=False``): notes are written by staff only, and a
    closed survey's hosted page answers 410, so no one can post into it from outside. Two
    first notes at once both try to create it; the loser of the unique key reads the winner's.
    """
    survey = Survey.objects.filter(organisation=organisation, key=NOTES_SURVEY_KEY).first()
    if survey is not None:
        return survey
    try:
        with transaction.atomic():
            survey = create_survey(
                organisation,
                key=NOTES_SURVEY_KEY,
                name=notes_survey_name(organisation),
                touchpoint=None,
                definition=notes_definition(),
                user=user,
            )
            survey.is_active = False
            survey.save(update_fields=["is_active"])
    except IntegrityError:
        survey = Survey.objects.get(organisation=organisation, key=NOTES_SURVEY_KEY)
    return survey


@dataclass(frozen=True)
class Note:
    """What the form collected, cleaned."""

    touchpoint: Touchpoint
    interviewer: Any
    when: datetime
    notes: str
    language: str
    nps: int | None = None
    csat: int | None = None
    ces: int | None = None
    name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""


def contact_name(name: str, company: str) -> str:
    """Name and company in the one contact-name field: "Aino Virtanen (Asennus Oy)"."""
    name, company = name.strip(), company.strip()
    if name and company:
        return f"{name} ({company})"
    return name or company


def record_note(organisation, note: Note, *, idempotency_key: str) -> tuple[Response, bool]:
    """Store a note as an ``interview`` response. Returns (response, created); a repeated
    ``idempotency_key`` returns the first note. Raises ``submission.AnswersInvalid``."""
    survey = notes_survey(organisation, user=note.interviewer)
    answers: dict[str, Any] = {"notes": note.notes}
    answers.update({key: getattr(note, key) for key in SCORE_KEYS})
    with transaction.atomic():
        response, created = record_response(
            survey,
            answers=answers,
            channel=Channel.INTERVIEW,
            language=note.language,
            touchpoint=note.touchpoint,
            idempotency_key=idempotency_key,
            submitted_at=note.when,
            recorded_by=note.interviewer,
        )
        if created:
            response.contact_name = contact_name(note.name, note.company)
            response.contact_email = note.email.strip()
            response.contact_phone = note.phone.strip()
            response.save(update_fields=["contact_name", "contact_email", "contact_phone"])
    return response, created


# --- reading notes --------------------------------------------------------------------------


def notes_for(organisation) -> QuerySet[Response]:
    """Every interview-channel response of the organisation, newest first."""
    return (
        Response.objects.filter(organisation=organisation, channel=Channel.INTERVIEW)
        .select_related("touchpoint", "recorded_by", "version")
        .order_by("-submitted_at", "-id")
    )


def period_start(organisation, period: str, today: date | None = None) -> datetime | None:
    """Midnight (organisation time) at the start of ``period``; None for all time."""
    days = PERIODS[period][0]
    if days is None:
        return None
    tz = zoneinfo.ZoneInfo(organisation.time_zone)
    today = today or timezone.now().astimezone(tz).date()
    return datetime.combine(today - timedelta(days=days - 1), time.min, tzinfo=tz)


def filtered(
    notes: QuerySet[Response], *, touchpoint: Touchpoint | None, since: datetime | None
) -> QuerySet[Response]:
    if touchpoint is not None:
        notes = notes.filter(touchpoint=touchpoint)
    if since is not None:
        notes = notes.filter(submitted_at__gte=since)
    return notes


@dataclass(frozen=True)
class NoteAnswer:
    key: str
    kind: str
    label: str
    score: int | None
    text: str


def note_answers(response: Response) -> list[NoteAnswer]:
    """The note's answers in question order, labelled in the UI language. Works for any
    interview response, also one recorded on another survey (API, import)."""
    definition = parsed_definition(response.version)
    lang = (get_language() or definition.default_language)[:2]
    order = {q.key: i for i, q in enumerate(definition.questions)}
    rows = sorted(response.answers.all(), key=lambda a: (order.get(a.question_key, 999), a.id))
    result = []
    for answer in rows:
        question = definition.question(answer.question_key)
        label = definition.text(question.text, lang) if question else answer.question_key
        result.append(
            NoteAnswer(
                key=answer.question_key,
                kind=answer.kind,
                label=label,
                score=answer.score,
                text=answer.text,
            )
        )
    return result


def score_label(kind: str) -> str:
    return str(LABELS.get(kind, kind))
