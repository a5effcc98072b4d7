"""Recording a response: validate raw answers against the current version, store the response
and its answer rows, and update the score counts, all in one transaction.

Raw answers come from a form (strings) or a JSON body. Accepted shapes, per question type:

- nps, csat, ces, smiley, rating: a whole number or a numeric string within the scale;
- expectation_experience: ``{"expected": n, "experience": n}``;
- single_choice: an option key; multiple_choice: a list of option keys (or one key);
- text: a string of at most 5,000 characters;
- consent: true/false (also "1"/"0", "yes"/"no", "on"/"off"), or ``{"agreed": true, "naming":
  …, "name": …, "company": …}`` where ``naming`` is one the question offers (default: the most
  private one) and the name or company is given when the naming shows it;
- contact_me: true/false, or ``{"contact": true, "name": …, "email": …, "phone": …}``.

Empty values (None, "", [], {}) mean "not answered". Answers to questions hidden by branching
are dropped. The cleaned values (the same shapes, typed) drive ``definition.visible_keys``.

This is the hot path of every channel: three statements (an INSERT … ON CONFLICT DO NOTHING
for the response, one executemany for the answers, one batched upsert for the counts).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palaute.insights.rollup import count_response
from palaute.journeys.models import Channel
from palaute.lib.sqlinsert import insert_many, insert_unless_duplicate
from palaute.surveys.definition import (
    MAX_ANSWER_TEXT,
    ChoiceQuestion,
    ConsentQuestion,
    SurveyDefinition,
    visible_keys,
)
from palaute.surveys.models import Answer, Response
from palaute.surveys.publishing import current_definition
from palaute.surveys.signals import response_recorded

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{5,40}$")
MAX_IDEMPOTENCY_KEY = 64
MAX_CONSENT_NAME = 120
MAX_CONSENT_COMPANY = 200
# A consent Answer row carries the person's naming choice in this plain attribute (not a
# column): receivers of response_recorded read it with ``consent_choice``.
CONSENT_CHOICE_ATTRIBUTE = "consent_choice"


class AnswersInvalid(Exception):
    """The answers (or the submission's other fields) did not validate.

    ``errors`` maps a question key, or a field such as ``channel``, to a message.
    """

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))


def record_response(
    survey,
    *,
    answers: Mapping[str, Any],
    channel: str,
    language: str,
    touchpoint=None,
    idempotency_key: str,
    submitted_at=None,
    device_id: str = "",
    flagged: str = "",
    recorded_by=None,
) -> tuple[Response, bool]:
    """Store one response. Returns (response, created); a repeated idempotency key returns the
    response stored the first time with created=False. Raises AnswersInvalid.

    A ``flagged`` response (e.g. "mashing") is stored but not counted in the metrics."""
    current = current_definition(survey)
    if current is None:
        raise AnswersInvalid({"survey": _("This survey has no published version.")})
    version, definition = current
    _check_fields(survey, definition, channel, language, touchpoint, idempotency_key)
    cleaned = check_answers(definition, answers)
    if not cleaned:
        raise AnswersInvalid({"answers": _("Answer at least one question.")})

    touchpoint = touchpoint if touchpoint is not None else survey.touchpoint
    response = Response(
        organisation=survey.organisation,
        survey=survey,
        version=version,
        touchpoint=touchpoint,
        stage_id=touchpoint.stage_id if touchpoint else None,
        location_id=touchpoint.location_id if touchpoint else None,
        channel=channel,
        language=language,
        submitted_at=submitted_at or timezone.now(),
        idempotency_key=idempotency_key,
        device_id=device_id[:64],
        flagged=flagged,
        recorded_by=recorded_by,
    )
    rows = _answer_rows(survey, definition, cleaned, language, response)
    with transaction.atomic():
        if not insert_unless_duplicate(response, ("survey", "idempotency_key")):
            # A retry or a double tap: the first response stands.
            existing = Response.objects.get(survey=survey, idempotency_key=idempotency_key)
            return existing, False
        for row in rows:
            row.response = response
        insert_many(rows)
        if not flagged:
            count_response(response, rows)
            # Text analysis, closed-loop rules, webhooks: each queues its work for after commit.
            response_recorded.send(Response, response=response, answers=rows)
    return response, True


def check_answers(definition: SurveyDefinition, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Clean ``raw`` answers, drop those of hidden questions, require the visible required
    ones. Returns the cleaned answers in question order; raises AnswersInvalid."""
    cleaned, errors = clean_answers(definition, raw)
    visible = visible_keys(definition, cleaned)
    errors = {k: m for k, m in errors.items() if k in visible or definition.question(k) is None}
    for question in definition.questions:
        key = question.key
        if question.required and key in visible and key not in cleaned and key not in errors:
            errors[key] = _("This question is required.")
    if errors:
        raise AnswersInvalid(errors)
    return {key: cleaned[key] for key in visible if key in cleaned}


def clean_answers(
    definition: SurveyDefinition, raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse each given answer; no visibility or required checks. Returns (cleaned, errors)."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in raw.items():
        question = definition.question(key)
        if question is None:
            errors[str(key)] = _("This survey has no such question.")
            continue
        if _is_empty(value):
            continue
        try:
            result = _clean(question, value)
        except ValueError as exc:
            errors[key] = str(exc)
            continue
        if result is not None:
            cleaned[key] = result
    return cleaned, errors


# --------------------------------------------------------------------------- per type


def _clean(question: Any, value: Any) -> Any:
    kind = question.type
    if question.bounds is not None and kind != "expectation_experience":
        return _number(value, question.bounds)
    if kind == "expectation_experience":
        return _pair(value, question.bounds)
    if kind == "single_choice":
        if not isinstance(value, str) or question.option_index(value) is None:
            raise ValueError(_("Choose one of the options."))
        return value
    if kind == "multiple_choice":
        return _choices(question, value)
    if kind == "text":
        if not isinstance(value, str):
            raise ValueError(_("The answer must be text."))
        text = value.strip()
        if len(text) > MAX_ANSWER_TEXT:
            raise ValueError(
                _("Keep the answer under %(max)s characters.") % {"max": f"{MAX_ANSWER_TEXT:,}"}
            )
        return text or None
    if kind == "consent":
        return _consent(question, value)
    return _contact(value)


def _is_empty(value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if isinstance(value, dict):
        return all(_is_empty(v) for v in value.values())
    return False


def _number(value: Any, bounds: tuple[int, int]) -> int:
    low, high = bounds
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"-?\d{1,3}", value.strip()):
        number = int(value)
    if number is None or not low <= number <= high:
        raise ValueError(
            _("Choose a number from %(low)s to %(high)s.") % {"low": low, "high": high}
        )
    return number


def _pair(value: Any, bounds: tuple[int, int]) -> dict[str, int]:
    if not isinstance(value, dict) or set(value) - {"expected", "experience"}:
        raise ValueError(_("Give both what you expected and what you got."))
    if _is_empty(value.get("expected")) or _is_empty(value.get("experience")):
        raise ValueError(_("Give both what you expected and what you got."))
    return {
        "expected": _number(value["expected"], bounds),
        "experience": _number(value["experience"], bounds),
    }


def _choices(question: ChoiceQuestion, value: Any) -> list[str] | None:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        raise ValueError(_("Choose from the options."))
    chosen: list[str] = []
    for item in values:
        if item == "":
            continue
        if not isinstance(item, str) or question.option_index(item) is None:
            raise ValueError(_("Choose from the options."))
        if item not in chosen:
            chosen.append(item)
    return chosen or None


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ValueError(_("Answer yes or no."))


def _consent(question: ConsentQuestion, value: Any) -> dict[str, Any] | None:
    """``{"agreed": False}``, or ``{"agreed": True, "naming", "name", "company"}`` with only
    the name or company that the naming shows. None: no yes or no was given."""
    if not isinstance(value, dict):
        value = {"agreed": value}
    unknown = set(value) - {"agreed", "naming", "name", "company"}
    if unknown:
        raise ValueError(_("Unknown consent field: %(field)s.") % {"field": sorted(unknown)[0]})
    if _is_empty(value.get("agreed")):
        return None  # a naming choice without a yes or no says nothing
    if not _yes_no(value["agreed"]):
        return {"agreed": False}
    naming = value.get("naming") or question.default_naming
    if naming not in question.naming:
        raise ValueError(_("Choose one of the offered ways to name you."))
    texts = {}
    for field in ("name", "company"):
        text = value.get(field) or ""
        if not isinstance(text, str):
            raise ValueError(_("The %(field)s must be text.") % {"field": field})
        texts[field] = " ".join(text.split())
    name = texts["name"] if naming in ("full_name", "first_name_initial") else ""
    company = texts["company"] if naming != "anonymous" else ""
    if naming in ("full_name", "first_name_initial") and not name:
        raise ValueError(_("Write the name we may show with your feedback."))
    if naming == "company" and not company:
        raise ValueError(_("Write the name of your company."))
    if len(name) > MAX_CONSENT_NAME:
        raise ValueError(_("Keep the name under %(max)s characters.") % {"max": MAX_CONSENT_NAME})
    if len(company) > MAX_CONSENT_COMPANY:
        raise ValueError(
            _("Keep the company name under %(max)s characters.") % {"max": MAX_CONSENT_COMPANY}
        )
    return {"agreed": True, "naming": naming, "name": name, "company": company}


def consent_choice(row: Answer) -> dict[str, Any] | None:
    """The cleaned consent answer (naming, name, company) that a consent row was stored from;
    None for a row loaded from the database (the choice is not a column)."""
    return getattr(row, CONSENT_CHOICE_ATTRIBUTE, None)


def _contact(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        return {"contact": _yes_no(value)}
    unknown = set(value) - {"contact", "name", "email", "phone"}
    if unknown:
        raise ValueError(_("Unknown contact field: %(field)s.") % {"field": sorted(unknown)[0]})
    contact = _yes_no(value.get("contact", False))
    if not contact:
        return {"contact": False}
    details = {}
    for field, limit in (("name", 120), ("email", 254), ("phone", 40)):
        text = value.get(field) or ""
        if not isinstance(text, str):
            raise ValueError(_("The %(field)s must be text.") % {"field": field})
        details[field] = text.strip()[:limit]
    if details["email"]:
        try:
            validate_email(details["email"])
        except ValidationError:
            raise ValueError(_("Enter a valid email address.")) from None
    if details["phone"] and not PHONE_RE.match(details["phone"]):
        raise ValueError(_("Enter a valid phone number."))
    if not details["email"] and not details["phone"]:
        raise ValueError(_("Give an email address or a phone number so that we can contact you."))
    return {"contact": True, **details}


# ---------------------------------------------------------------------------- storage


def _check_fields(survey, definition, channel, language, touchpoint, idempotency_key) -> None:
    errors = {}
    if channel not in Channel.values:
        errors["channel"] = f"must be one of {', '.join(Channel.values)}"
    if language not in definition.languages:
        errors["language"] = f"must be one of {', '.join(definition.languages)}"
    if touchpoint is not None and touchpoint.organisation_id != survey.organisation_id:
        errors["touchpoint"] = "belongs to another organisation"
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        errors["idempotency_key"] = f"must be 1–{MAX_IDEMPOTENCY_KEY} characters"
    if errors:
        raise AnswersInvalid(errors)


def _answer_rows(survey, definition, cleaned, language, response) -> list[Answer]:
    rows: list[Answer] = []

    def row(question, **values) -> None:
        rows.append(
            Answer(
                organisation_id=survey.organisation_id,
                survey=survey,
                question_key=question.key,
                kind=question.type,
                **values,
            )
        )

    for key, value in cleaned.items():
        question = definition.question(key)
        kind = question.type
        if kind == "expectation_experience":
            row(question, score=value["experience"], expected=value["expected"])
        elif kind == "single_choice":
            row(question, score=question.option_index(value), text=value)
        elif kind == "multiple_choice":
            for option_key in value:
                row(question, score=question.option_index(option_key), text=option_key)
        elif kind == "text":
            row(question, text=value)
        elif kind == "consent":
            # The exact wording shown, in the language shown.
            row(question, score=int(value["agreed"]), text=definition.text(question.text, language))
            setattr(rows[-1], CONSENT_CHOICE_ATTRIBUTE, value)
        elif kind == "contact_me":
            row(question, score=int(value["contact"]))
            if value["contact"]:
                response.contact_name = value["name"]
                response.contact_email = value["email"]
                response.contact_phone = value["phone"]
        else:
            row(question, score=value)
    return rows
