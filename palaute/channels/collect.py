"""The public submission endpoint's domain: survey lookup, CORS origins, request limits,
payload parsing and the call to ``record_response`` (BRIEF §2, §7).

Used by the website widget, kiosks, QR links and forms that developers build themselves. No
login and no cookies: a survey is addressed by its public key, and a browser page may post
only from the survey's own site (SITE_URL) or an origin its organisation allowed.

Each process keeps the surveys it serves in memory (``survey_entry``): the survey with its
organisation, touchpoint and current version, the parsed definition, the allowed origins and
the rendered survey JSON. A submission then needs no query before the INSERTs. An entry is
dropped when this process saves the survey, its organisation or one of its touchpoints
(signals below), and in any case after ``ENTRY_TTL_SECONDS``: another process that publishes
a new version, deactivates the survey or changes the allowed origins is seen within that time.

Client IP addresses are used only to name a rate-limit counter, as a keyed hash that expires
with the window; they are never stored or logged.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError
from django.db.models.signals import post_delete, post_save
from django.utils import translation
from django.utils.translation import gettext as _

from palaute.accounts.models import Organisation
from palaute.journeys.models import Touchpoint
from palaute.lib import origins, ratelimit
from palaute.surveys.definition import ChoiceQuestion, ConsentQuestion, SurveyDefinition
from palaute.surveys.models import Survey, SurveyVersion
from palaute.surveys.publishing import current_definition
from palaute.surveys.submission import AnswersInvalid, record_response

MAX_BODY_BYTES = 64 * 1024
MAX_ANSWER_KEYS = 200
PUBLIC_CHANNELS = ("widget", "web", "qr", "kiosk")
DEFAULT_CHANNEL = "web"
PAYLOAD_FIELDS = {"answers", "language", "idempotency_key", "channel", "touchpoint", "device_id"}
PUBLIC_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")  # idempotency keys and device ids
TOUCHPOINT_KEY_RE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")
ENTRY_TTL_SECONDS = 10.0
MAX_ENTRIES = 1000
MAX_TOUCHPOINTS_PER_ENTRY = 256


class CollectError(Exception):
    """An error answered as ``{"error": {"code", "message", "fields"}}`` with ``status``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "fields": [{"field": f, "message": m} for f, m in self.fields],
            }
        }


def invalid(fields: list[tuple[str, str]]) -> CollectError:
    return CollectError(422, "validation_error", _("Please check your answers."), fields)


# ------------------------------------------------------------------------ survey entries


@dataclass
class SurveyEntry:
    """What serving one survey needs, kept in memory for ENTRY_TTL_SECONDS."""

    survey: Survey
    active: bool
    expires: float
    version: SurveyVersion | None = None
    definition: SurveyDefinition | None = None
    origins: frozenset[str] = frozenset()
    touchpoints: dict[str, Touchpoint] = field(default_factory=dict)
    public_json: dict[str, bytes] = field(default_factory=dict)


_entries: dict[str, SurveyEntry] = {}


def survey_entry(public_key: str) -> SurveyEntry:
    """The active, published survey with ``public_key``. Raises CollectError 404 / 410."""
    entry = cached_entry(public_key)
    if entry is None:
        entry = _load(public_key)
    if not entry.active:
        raise CollectError(410, "gone", _("This survey is not accepting responses."))
    return entry


def cached_entry(public_key: str) -> SurveyEntry | None:
    """The entry if this process holds a fresh one; never touches the database."""
    entry = _entries.get(public_key)
    if entry is None or entry.expires < time.monotonic():
        return None
    return entry


def clear_cache() -> None:
    _entries.clear()


def _load(public_key: str) -> SurveyEntry:
    survey = None
    if PUBLIC_KEY_RE.match(public_key):
        survey = (
            Survey.objects.select_related("organisation", "touchpoint", "current_version")
            .filter(public_key=public_key)
            .first()
        )
    if survey is None:
        raise CollectError(404, "not_found", _("There is no survey with this key."))
    current = current_definition(survey) if survey.is_active else None
    entry = SurveyEntry(
        survey=survey, active=current is not None, expires=time.monotonic() + ENTRY_TTL_SECONDS
    )
    # The origins are needed for an inactive survey too: its 410 must be readable by the widget.
    entry.origins = allowed_origins(survey.organisation)
    if current is not None:
        entry.version, entry.definition = current
    if len(_entries) >= MAX_ENTRIES:
        _entries.pop(next(iter(_entries)), None)
    _entries[public_key] = entry
    return entry


def _forget_survey(sender, instance: Survey, **kwargs) -> None:
    _entries.pop(instance.public_key, None)


def _forget_organisation(sender, instance, **kwargs) -> None:
    organisation_id = (
        instance.pk if isinstance(instance, Organisation) else instance.organisation_id
    )
    for key, entry in list(_entries.items()):
        if entry.survey.organisation_id == organisation_id:
            _entries.pop(key, None)


# Changes made in this process are seen at once; other processes see them within the TTL.
for _signal in (post_save, post_delete):
    _signal.connect(_forget_survey, sender=Survey, dispatch_uid="collect_forget_survey")
    _signal.connect(_forget_organisation, sender=Organisation, dispatch_uid="collect_forget_org")
    _signal.connect(_forget_organisation, sender=Touchpoint, dispatch_uid="collect_forget_tp")


# ------------------------------------------------------------------------------- origins


def normalise_origin(text: Any) -> str | None:
    """'HTTPS://Shop.example:443/' → 'https://shop.example'; None when it is no web origin."""
    if not isinstance(text, str):
        return None
    try:
        return origins.normalise_origin(text.strip())
    except ValueError:
        return None


def allowed_origins(organisation: Organisation) -> frozenset[str]:
    """SITE_URL's origin (our own hosted pages) and the organisation's allowed origins."""
    listed = organisation.allowed_origins if isinstance(organisation.allowed_origins, list) else []
    candidates = [settings.SITE_URL, *listed]
    return frozenset(o for o in map(normalise_origin, candidates) if o is not None)


def origin_allowed(entry: SurveyEntry, origin: str | None) -> bool:
    """No Origin header (a server, curl, a same-origin GET) is allowed; a browser's must be
    listed. ``Origin: null`` (sandboxed frames, files) never is."""
    if origin is None:
        return True
    return origin in entry.origins or normalise_origin(origin) in entry.origins


def check_origin(entry: SurveyEntry, origin: str | None) -> None:
    if not origin_allowed(entry, origin):
        raise CollectError(
            403,
            "forbidden_origin",
            _("This website may not use this survey: its address is not an allowed origin."),
        )


# -------------------------------------------------------------------------------- limits


def client_bucket(ip: str) -> str:
    """A rate-limit bucket name for ``ip``: a keyed hash, so the cache never holds the IP."""
    return "collect-ip:" + ratelimit.client_key(ip)


def check_rate(ip: str) -> None:
    retry_after = ratelimit.hit(client_bucket(ip), settings.RATE_LIMIT_PUBLIC_IP)
    if retry_after:
        raise CollectError(
            429,
            "rate_limited",
            _("Too many responses from your network. Try again in %(seconds)s seconds.")
            % {"seconds": retry_after},
            headers={"Retry-After": str(retry_after)},
        )


def check_declared_size(content_length: str | None) -> None:
    """413 before anything is read when the declared length is over the limit."""
    try:
        declared = int(content_length or 0)
    except ValueError:
        raise CollectError(400, "bad_request", _("Invalid Content-Length.")) from None
    if declared > MAX_BODY_BYTES:
        raise CollectError(
            413,
            "payload_too_large",
            _("The request is too large (at most %(kb)s KB).") % {"kb": MAX_BODY_BYTES // 1024},
        )


# ------------------------------------------------------------------------ survey as JSON


def public_definition(entry: SurveyEntry, wanted_language: str | None) -> bytes:
    """The survey as the widget renders it, in one language: only what a respondent sees."""
    definition = entry.definition
    assert definition is not None  # an active entry always has one
    language = definition.language_for(wanted_language)
    cached = entry.public_json.get(language)
    if cached is None:
        data = _public_data(definition, language)
        cached = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        entry.public_json[language] = cached
    return cached


def _public_data(definition: SurveyDefinition, language: str) -> dict[str, Any]:
    def text(texts) -> str:
        return definition.text(texts, language)

    questions = []
    for question in definition.questions:
        item: dict[str, Any] = {
            "key": question.key,
            "type": question.type,
            "text": text(question.text),
            "required": question.required,
        }
        if question.bounds is not None:
            item["scale"] = {"min": question.bounds[0], "max": question.bounds[1]}
        if isinstance(question, ChoiceQuestion):
            item["options"] = [{"key": o.key, "text": text(o.text)} for o in question.options]
        if question.show_if is not None:
            item["show_if"] = question.show_if.model_dump()
        if isinstance(question, ConsentQuestion):
            item["naming"] = list(question.naming)  # how the person may choose to be named
        questions.append(item)
    return {
        "language": language,
        "languages": list(definition.languages),
        "title": text(definition.title),
        "intro": text(definition.intro),
        "thank_you": text(definition.thank_you),
        "questions": questions,
    }


# ------------------------------------------------------------------------------- payload


@dataclass(frozen=True)
class Submission:
    answers: dict[str, Any]
    language: str
    idempotency_key: str
    channel: str
    touchpoint_key: str | None
    device_id: str


def parse_submission(body: bytes, entry: SurveyEntry) -> Submission:
    """The JSON body as a Submission. Raises CollectError 400 (not a JSON object) or 422
    (naming every bad field at once)."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise CollectError(400, "bad_request", _("The body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise CollectError(400, "bad_request", _("The body must be a JSON object."))
    definition = entry.definition
    assert definition is not None
    # Messages in the respondent's language when the body names one of the survey's languages;
    # otherwise in the request's language (Accept-Language).
    wanted = data.get("language")
    if not isinstance(wanted, str) or wanted not in definition.languages:
        return _checked_submission(data, definition)
    with translation.override(wanted):
        return _checked_submission(data, definition)


def _checked_submission(data: dict, definition) -> Submission:
    errors: list[tuple[str, str]] = [
        (str(name), _("Unknown field.")) for name in data if name not in PAYLOAD_FIELDS
    ]

    answers = data.get("answers")
    if not isinstance(answers, dict):
        errors.append(("answers", _("Send the answers as an object keyed by question key.")))
    elif len(answers) > MAX_ANSWER_KEYS:
        errors.append(("answers", _("Too many answers.")))

    language = data.get("language")
    if language is None:
        language = definition.default_language
    elif language not in definition.languages:
        errors.append(
            ("language", _("Must be one of: %(list)s.") % {"list": ", ".join(definition.languages)})
        )

    idempotency_key = data.get("idempotency_key")
    if not isinstance(idempotency_key, str) or not TOKEN_RE.match(idempotency_key):
        errors.append(
            ("idempotency_key", _("Required: 1–64 letters, digits or - _ . : (e.g. a UUID)."))
        )

    channel = data.get("channel") or DEFAULT_CHANNEL
    if channel not in PUBLIC_CHANNELS:
        errors.append(
            ("channel", _("Must be one of: %(list)s.") % {"list": ", ".join(PUBLIC_CHANNELS)})
        )

    touchpoint_key = data.get("touchpoint") or None
    if touchpoint_key is not None and (
        not isinstance(touchpoint_key, str) or not TOUCHPOINT_KEY_RE.match(touchpoint_key)
    ):
        errors.append(("touchpoint", _("Must be a touchpoint key.")))

    device_id = data.get("device_id") or ""
    if device_id and (not isinstance(device_id, str) or not TOKEN_RE.match(device_id)):
        errors.append(("device_id", _("Must be 1–64 letters, digits or - _ . :")))

    if errors:
        raise invalid(errors)
    assert isinstance(answers, dict) and isinstance(idempotency_key, str)  # checked above
    return Submission(
        answers=answers,
        language=language,
        idempotency_key=idempotency_key,
        channel=channel,
        touchpoint_key=touchpoint_key,
        device_id=device_id,
    )


# -------------------------------------------------------------------------------- submit


def submit(entry: SurveyEntry, submission: Submission) -> tuple[int, bool]:
    """Store the submission. Returns (response id, created); a repeated idempotency key gives
    the first response's id with created=False. Raises CollectError 422 (or 404 / 410)."""
    try:
        return _store(entry, submission)
    except IntegrityError:
        # Another process deleted what the cached entry points to (the survey, its version or
        # touchpoint) within the TTL: load the survey afresh and try once more.
        _entries.pop(entry.survey.public_key, None)
        return _store(survey_entry(entry.survey.public_key), submission)


def _store(entry: SurveyEntry, submission: Submission) -> tuple[int, bool]:
    with translation.override(submission.language):
        touchpoint = None
        if submission.touchpoint_key is not None:
            touchpoint = _touchpoint(entry, submission.touchpoint_key)
            if touchpoint is None:
                raise invalid([("touchpoint", _("This organisation has no such touchpoint."))])
        try:
            response, created = record_response(
                entry.survey,
                answers=submission.answers,
                channel=submission.channel,
                language=submission.language,
                touchpoint=touchpoint,
                idempotency_key=submission.idempotency_key,
                device_id=submission.device_id,
            )
        except AnswersInvalid as exc:
            fields = [(_answer_path(key), message) for key, message in exc.errors.items()]
            raise invalid(fields) from None
    return response.pk, created


def _answer_path(key: str) -> str:
    """record_response names a question by its key (and the whole set as "answers"); the
    request nests them under "answers"."""
    return "answers" if key == "answers" else f"answers.{key}"


def _touchpoint(entry: SurveyEntry, key: str) -> Touchpoint | None:
    """A touchpoint of the survey's own organisation; another organisation's is not found."""
    touchpoint = entry.touchpoints.get(key)
    if touchpoint is None:
        touchpoint = Touchpoint.objects.filter(
            organisation_id=entry.survey.organisation_id, key=key
        ).first()
        if touchpoint is not None and len(entry.touchpoints) < MAX_TOUCHPOINTS_PER_ENTRY:
            entry.touchpoints[key] = touchpoint
    return touchpoint
