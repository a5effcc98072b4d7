"""The counter kiosk (BRIEF §2): which surveys a kiosk can show, and storing its taps.

A kiosk shows the survey's first question, which must be a ``smiley`` question (four faces).
After a tap it may ask one free-text "why?": the first ``text`` question that the survey's
branching (``definition.visible_keys``, the same rules as the hosted page) shows for that
face. Nothing else is asked, so no other question may be required.

Taps are queued on the tablet and reach the server in batches (``sync_taps``), possibly long
after they were made and possibly more than once. Each tap carries a UUID that is its
idempotency key and the time it was made, which becomes the response's ``submitted_at``
(corrected by the tablet's clock error, measured from the batch's ``sent_at``).
A batch is stored in one transaction; every tap gets its own result:

- ``created``: stored now;
- ``duplicate``: stored earlier (a retry), nothing changed;
- ``invalid``: can never be stored (errors name the field); the kiosk drops it.

Button-mashing is judged per device over the stored and new taps (``mashing.py``).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palaute.channels import mashing
from palaute.journeys.models import Channel, Touchpoint
from palaute.surveys.definition import SurveyDefinition, visible_keys
from palaute.surveys.models import Response, Survey
from palaute.surveys.publishing import current_definition
from palaute.surveys.submission import AnswersInvalid, check_answers, record_response

MAX_TAPS = 100
MAX_BODY_BYTES = 256 * 1024
MAX_FUTURE = timedelta(minutes=5)
MAX_AGE = timedelta(days=30)
CLOCK_TOLERANCE = timedelta(minutes=1)
DEVICE_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
TAP_FIELDS = {"id", "tapped_at", "answers", "language", "touchpoint"}
FACES = (1, 2, 3, 4)


# ------------------------------------------------------------------ what a kiosk can show


@dataclass(frozen=True)
class KioskQuestions:
    """The smiley question, and for each face the follow-up text question (or None)."""

    smiley: Any
    follow_up: dict[int, Any]

    @property
    def asked_keys(self) -> set[str]:
        return {self.smiley.key} | {q.key for q in self.follow_up.values() if q is not None}


class KioskUnsupported(Exception):
    """The survey cannot run on a kiosk; the message says why and how to fix it."""


def kiosk_questions(definition: SurveyDefinition) -> KioskQuestions:
    """What the kiosk asks for ``definition``. Raises KioskUnsupported."""
    questions = definition.questions
    if not questions or questions[0].type != "smiley":
        raise KioskUnsupported(
            _(
                "The first question must be a smiley question (four faces). "
                "Edit the survey and put a smiley question first."
            )
        )
    smiley = questions[0]
    follow_up: dict[int, Any] = {}
    for face in FACES:
        shown = visible_keys(definition, {smiley.key: face})
        texts = [definition.question(k) for k in shown if definition.question(k).type == "text"]
        follow_up[face] = texts[0] if texts else None
    for question in questions[1:]:
        if question.required:
            raise KioskUnsupported(
                _(
                    "Question “%(key)s” is required, but a kiosk asks only the smiley and an "
                    "optional text question. Make it optional or use another survey."
                )
                % {"key": question.key}
            )
    return KioskQuestions(smiley=smiley, follow_up=follow_up)


def skipped_questions(definition: SurveyDefinition, asked: KioskQuestions) -> list[str]:
    """Keys of the survey's questions a kiosk never asks (for the back office)."""
    return [q.key for q in definition.questions if q.key not in asked.asked_keys]


# ---------------------------------------------------------------------------- the batch


class BatchInvalid(Exception):
    """The request as a whole is malformed (nothing stored); ``errors`` name the fields."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


class KioskClosed(Exception):
    """The survey accepts no responses now (closed or never published); keep the taps."""


@dataclass
class TapResult:
    id: Any
    status: str  # created, duplicate, invalid
    errors: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "status": self.status}
        if self.errors:
            data["errors"] = self.errors
        return data


@dataclass(frozen=True)
class Tap:
    key: str  # the canonical UUID, stored as the idempotency key
    tapped_at: datetime
    answers: dict[str, Any]
    language: str
    touchpoint_key: str


@dataclass(frozen=True)
class Batch:
    device_id: str
    taps: list[Any]
    sent_at: datetime | None  # the tablet's clock when it sent the batch

    def clock_offset(self, now: datetime) -> timedelta:
        """How far the tablet's clock is behind the server's, when that is more than
        CLOCK_TOLERANCE (a tablet whose clock is a day off still has its taps stored at the
        right time); otherwise zero, as network delay is no clock error."""
        if self.sent_at is None:
            return timedelta(0)
        offset = now - self.sent_at
        return offset if abs(offset) > CLOCK_TOLERANCE else timedelta(0)


def parse_batch(data: Any) -> Batch:
    """A sync request body. Raises BatchInvalid."""
    if not isinstance(data, dict):
        raise BatchInvalid({"body": "must be a JSON object"})
    errors = {}
    unknown = sorted(set(data) - {"device_id", "taps", "sent_at"})
    if unknown:
        errors[unknown[0]] = "unknown field"
    device_id = data.get("device_id")
    if not isinstance(device_id, str) or not DEVICE_RE.match(device_id):
        errors["device_id"] = "must be 8–64 characters of A–Z, a–z, 0–9, _ and -"
    taps = data.get("taps")
    if not isinstance(taps, list) or not 1 <= len(taps) <= MAX_TAPS:
        errors["taps"] = f"must be a list of 1–{MAX_TAPS} taps"
    sent_at = None
    if data.get("sent_at") is not None:
        sent_at = _aware_time(data["sent_at"])
        if sent_at is None:
            errors["sent_at"] = "must be an ISO 8601 time with a time zone"
    if errors or not isinstance(device_id, str) or not isinstance(taps, list):
        raise BatchInvalid(errors)
    return Batch(device_id, taps, sent_at)


def sync_taps(survey: Survey, batch: Batch, *, now=None) -> list[TapResult]:
    """Store a kiosk's taps. Returns one TapResult per raw tap, in order.

    Raises KioskClosed, or KioskUnsupported when the survey no longer suits a kiosk (the
    kiosk keeps its taps and retries later)."""
    current = current_definition(survey) if survey.is_active else None
    if current is None:
        raise KioskClosed
    definition = current[1]
    asked = kiosk_questions(definition)
    now = now or timezone.now()
    offset = batch.clock_offset(now)
    device_id = batch.device_id

    results: list[TapResult] = []
    valid: list[tuple[TapResult, Tap]] = []
    for raw in batch.taps:
        tap_or_errors = _parse_tap(raw, definition, asked, now, offset)
        result = TapResult(id=_echo_id(raw), status="invalid")
        results.append(result)
        if isinstance(tap_or_errors, Tap):
            valid.append((result, tap_or_errors))
        else:
            result.errors = tap_or_errors

    if not valid:
        return results
    touchpoints = _touchpoints(survey, {tap.touchpoint_key for _, tap in valid})
    with transaction.atomic():
        _lock_device(survey, device_id)
        keys = [tap.key for _, tap in valid]
        stored = set(
            Response.objects.filter(survey=survey, idempotency_key__in=keys).values_list(
                "idempotency_key", flat=True
            )
        )
        new: dict[str, Tap] = {}
        for result, tap in valid:
            if tap.key in stored or tap.key in new:
                result.status = "duplicate"
            else:
                new[tap.key] = tap
        plan = mashing.plan(
            survey, device_id, [mashing.TapTime(t.tapped_at, t.key) for t in new.values()]
        )
        for result, tap in valid:
            if result.status == "duplicate":
                continue
            try:
                _response, created = record_response(
                    survey,
                    answers=tap.answers,
                    channel=Channel.KIOSK,
                    language=tap.language,
                    touchpoint=touchpoints.get(tap.touchpoint_key),
                    idempotency_key=tap.key,
                    submitted_at=tap.tapped_at,
                    device_id=device_id,
                    flagged=mashing.MASHING if tap.key in plan.new_flagged else "",
                )
            except AnswersInvalid as exc:  # validated above; raised before anything is written
                result.errors = exc.errors
                continue
            result.status = "created" if created else "duplicate"
        mashing.flag(survey, plan.stored_to_flag)
    return results


# ------------------------------------------------------------------------- one tap


def _echo_id(raw: Any) -> Any:
    """The tap's id as the kiosk sent it, so that it can match the result to its queue."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value[:64] if isinstance(value, str) else None


def _parse_tap(
    raw: Any, definition: SurveyDefinition, asked: KioskQuestions, now: datetime, offset
) -> Tap | dict[str, str]:
    if not isinstance(raw, dict):
        return {"tap": "must be a JSON object"}
    errors: dict[str, str] = {}
    for name in sorted(set(raw) - TAP_FIELDS):
        errors[str(name)[:60]] = "unknown field"
    key = _tap_key(raw.get("id"))
    if key is None:
        errors["id"] = "must be a UUID"
    tapped_at, message = _tap_time(raw.get("tapped_at"), now, offset)
    if message:
        errors["tapped_at"] = message
    language = raw.get("language", definition.default_language)
    if language not in definition.languages:
        errors["language"] = f"must be one of {', '.join(definition.languages)}"
    touchpoint_key = raw.get("touchpoint") or ""
    if not isinstance(touchpoint_key, str) or len(touchpoint_key) > 60:
        errors["touchpoint"] = "must be a touchpoint key"
    answers = raw.get("answers")
    if not isinstance(answers, dict):
        errors["answers"] = "must be an object of answers by question key"
    else:
        errors.update(_answer_errors(answers, definition, asked))
    if errors or key is None or tapped_at is None or not isinstance(answers, dict):
        return errors
    return Tap(key, tapped_at, answers, language, touchpoint_key)


def _tap_key(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _aware_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _tap_time(value: Any, now: datetime, offset: timedelta) -> tuple[datetime | None, str]:
    when = _aware_time(value)
    if when is None:
        if isinstance(value, str) and len(value) <= 40 and _naive(value):
            return None, "must include a time zone (e.g. Z or +02:00)"
        return None, "must be an ISO 8601 time with a time zone"
    when += offset
    if when > now + MAX_FUTURE:
        return None, "must not be more than 5 minutes in the future"
    if when < now - MAX_AGE:
        return None, "must not be more than 30 days in the past"
    return when, ""


def _naive(value: str) -> bool:
    try:
        return datetime.fromisoformat(value).tzinfo is None
    except ValueError:
        return False


def _answer_errors(
    answers: Mapping[str, Any], definition: SurveyDefinition, asked: KioskQuestions
) -> dict[str, str]:
    errors = {
        f"answers.{str(key)[:60]}": "a kiosk does not ask this question"
        for key in answers
        if key not in asked.asked_keys
    }
    if answers.get(asked.smiley.key) in (None, "", [], {}):
        errors[f"answers.{asked.smiley.key}"] = "the face is missing"
    if errors:
        return errors
    try:
        cleaned = check_answers(definition, answers)
    except AnswersInvalid as exc:
        return {f"answers.{key}": message for key, message in exc.errors.items()}
    if asked.smiley.key not in cleaned:
        return {f"answers.{asked.smiley.key}": "the face is missing"}
    return {}


# ---------------------------------------------------------------------------- helpers


def _touchpoints(survey: Survey, keys: set[str]) -> dict[str, Touchpoint]:
    """Touchpoints of the survey's own organisation by key. A key that is unknown (renamed or
    deleted while the taps waited) is left out: such taps go to the survey's touchpoint
    rather than being lost."""
    keys.discard("")
    if not keys:
        return {}
    rows = Touchpoint.objects.filter(organisation_id=survey.organisation_id, key__in=keys)
    return {tp.key: tp for tp in rows}


def _lock_device(survey: Survey, device_id: str) -> None:
    """Serialise syncs of one device, so that two concurrent batches see each other's taps
    when judging a burst. SQLite already runs one write transaction at a time (IMMEDIATE);
    PostgreSQL takes a transaction-scoped advisory lock."""
    if connection.vendor != "postgresql":
        return
    digest = hashlib.blake2b(f"kiosk:{survey.pk}:{device_id}".encode(), digest_size=8).digest()
    lock_id = int.from_bytes(digest, "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
