"""Which column of an imported file fills which part of a response.

A mapping is a list with one target per column: a response field (``submitted_at``,
``language``, ``touchpoint``, ``channel``, ``external_id``, ``contact_name``,
``contact_email``, ``contact_phone``), a question of the survey's current definition
(``q:<key>``; an expectation–experience pair has two halves, ``q:<key>.expected`` and
``q:<key>.experience``), or ``ignore``.

``suggest`` proposes a mapping from the headers: question keys and texts, and the names
people give such columns in Finnish and English ("pvm", "kommentti", "NPS"). ``check``
validates a mapping before any row is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from palaute.surveys.definition import SurveyDefinition

IGNORE = "ignore"
QUESTION_PREFIX = "q:"
PAIR_HALVES = ("expected", "experience")

FIELDS = {
    "submitted_at": gettext_lazy("Submitted at (date and time)"),
    "language": gettext_lazy("Language"),
    "touchpoint": gettext_lazy("Touchpoint (key or name)"),
    "channel": gettext_lazy("Channel"),
    "external_id": gettext_lazy("External ID (recognises rows imported before)"),
    "contact_name": gettext_lazy("Contact name"),
    "contact_email": gettext_lazy("Contact email"),
    "contact_phone": gettext_lazy("Contact phone"),
}

# Header words that name a response field, Finnish and English, lower case.
FIELD_NAMES = {
    "submitted_at": (
        "submitted_at", "submitted at", "submitted", "date", "datetime", "date time",
        "timestamp", "time", "response date", "end date", "completed", "created", "created at",
        "päivämäärä", "pvm", "pvm.", "päiväys", "aika", "aikaleima", "vastattu",
        "vastausaika", "vastauspäivä", "vastauspvm",
    ),
    "language": ("language", "lang", "locale", "kieli", "vastauskieli"),
    "touchpoint": ("touchpoint", "touch point", "kosketuspiste"),
    "channel": ("channel", "kanava"),
    "external_id": (
        "external_id", "external id", "id", "response id", "respondent id", "record id",
        "vastaus id", "vastaustunnus", "tunnus", "tunniste",
    ),
    "contact_name": ("name", "contact name", "full name", "nimi", "yhteyshenkilö"),
    "contact_email": ("email", "e-mail", "email address", "sähköposti", "sähköpostiosoite"),
    "contact_phone": (
        "phone", "phone number", "mobile", "telephone", "puhelin", "puhelinnumero", "gsm",
    ),
}  # fmt: skip

# Header words that name a kind of question: the first question of that type is suggested.
TYPE_NAMES = {
    "nps": (
        "nps", "net promoter", "recommend", "suosittelu", "suosittelisitko", "suositteluindeksi",
    ),
    "csat": ("csat", "satisfaction", "satisfied", "tyytyväisyys", "tyytyväinen"),
    "ces": ("ces", "effort", "customer effort", "vaivattomuus", "vaivaton", "helppous"),
    "smiley": ("smiley", "hymiö", "naama"),
    "rating": ("rating", "stars", "arvio", "arvosana", "tähdet"),
    "text": (
        "comment", "comments", "feedback", "open feedback", "why", "remarks", "verbatim",
        "kommentti", "kommentit", "palaute", "vapaa palaute", "avoin palaute", "miksi",
        "perustelu", "terveiset",
    ),
    "consent": ("consent", "permission", "lupa", "suostumus", "julkaisulupa"),
    "contact_me": ("contact me", "contact request", "yhteydenotto", "ottakaa yhteyttä"),
}  # fmt: skip

_SPACES = re.compile(r"[\s_\-:]+")


@dataclass(frozen=True)
class Target:
    value: str
    label: str


def targets(definition: SurveyDefinition, language: str) -> list[Target]:
    """Every target a column can have for this definition, in the order the UI lists them."""
    result = [Target(IGNORE, _("Ignore this column"))]
    result += [Target(name, str(label)) for name, label in FIELDS.items()]
    for question in definition.questions:
        text = definition.text(question.text, language)
        if question.type == "expectation_experience":
            result.append(
                Target(
                    f"{QUESTION_PREFIX}{question.key}.expected",
                    _("%(key)s: expected (%(text)s)") % {"key": question.key, "text": text},
                )
            )
            result.append(
                Target(
                    f"{QUESTION_PREFIX}{question.key}.experience",
                    _("%(key)s: experience (%(text)s)") % {"key": question.key, "text": text},
                )
            )
        else:
            result.append(
                Target(
                    f"{QUESTION_PREFIX}{question.key}",
                    f"{question.key} · {question.type}: {text}",
                )
            )
    return result


def suggest(headers: list[str], definition: SurveyDefinition) -> list[str]:
    """A target for each header; each target is suggested for one column at most."""
    taken: set[str] = set()
    suggestion = [IGNORE] * len(headers)
    matchers = (_by_question_key, _by_question_text, _by_field_name, _by_question_type)
    for matcher in matchers:  # stronger evidence first, over all columns
        for index, header in enumerate(headers):
            if suggestion[index] != IGNORE:
                continue
            target = matcher(_normal(header), definition, taken)
            if target:
                suggestion[index] = target
                taken.add(target)
    return suggestion


def parse_target(value: str, definition: SurveyDefinition) -> str | None:
    """A target from what a user typed (CLI ``--map col=field``): a field name, ``ignore``,
    a question key with or without ``q:``, or a pair half ``key.expected``. None if unknown.
    A field name wins over a question with the same key unless ``q:`` is given."""
    value = value.strip()
    if value == IGNORE or value in FIELDS:
        return value
    bare = value.removeprefix(QUESTION_PREFIX)
    key, _dot, half = bare.partition(".")
    question = definition.question(key)
    if question is None:
        return None
    if question.type == "expectation_experience":
        return f"{QUESTION_PREFIX}{key}.{half}" if half in PAIR_HALVES else None
    return f"{QUESTION_PREFIX}{key}" if not half else None


def check(mapping: list[str], headers: list[str], definition: SurveyDefinition) -> list[str]:
    """Errors that make a mapping unusable, each naming the column or question."""
    errors: list[str] = []
    valid = {target.value for target in targets(definition, definition.default_language)}
    seen: dict[str, str] = {}
    for index, target in enumerate(mapping):
        header = headers[index] if index < len(headers) else str(index + 1)
        if target not in valid:
            errors.append(
                _("Column %(column)s: %(target)s is not a field or question of this survey.")
                % {"column": header, "target": target}
            )
            continue
        if target == IGNORE:
            continue
        if target in seen:
            errors.append(
                _("Columns %(first)s and %(second)s both fill %(target)s; choose one.")
                % {"first": seen[target], "second": header, "target": describe(target)}
            )
        seen.setdefault(target, header)
    if "submitted_at" not in seen:
        errors.append(_("Choose the column that holds the date and time of each response."))
    questions = [t for t in seen if t.startswith(QUESTION_PREFIX)]
    if not questions and not errors:
        errors.append(_("Choose at least one column that holds answers."))
    for question in definition.questions:
        key = question.key
        if question.type == "expectation_experience":
            halves = [f"{QUESTION_PREFIX}{key}.{half}" in seen for half in PAIR_HALVES]
            if any(halves) and not all(halves):
                errors.append(
                    _("Question %(key)s needs both halves, expected and experience.") % {"key": key}
                )
            mapped = all(halves)
        else:
            mapped = f"{QUESTION_PREFIX}{key}" in seen
        # A required question behind a condition is checked row by row (it may be hidden).
        if question.required and question.show_if is None and not mapped:
            errors.append(
                _("Question %(key)s is required; choose the column that holds its answers.")
                % {"key": key}
            )
    return errors


def describe(target: str) -> str:
    """How a target reads in a message: "question nps", "submitted_at"."""
    if target.startswith(QUESTION_PREFIX):
        return _("question %(key)s") % {"key": target.removeprefix(QUESTION_PREFIX)}
    return target


def as_json(mapping: list[str], headers: list[str]) -> list[dict[str, Any]]:
    """The mapping as stored on the import batch: one entry per mapped column."""
    return [
        {"column": index + 1, "header": headers[index], "target": target}
        for index, target in enumerate(mapping)
        if target != IGNORE and index < len(headers)
    ]


# ------------------------------------------------------------------------------ matchers


def _normal(header: str) -> str:
    return _SPACES.sub(" ", header.strip().lower()).strip(" ?.!*")


def _free(target: str, taken: set[str]) -> str | None:
    return target if target not in taken else None


def _by_question_key(header: str, definition: SurveyDefinition, taken: set[str]) -> str | None:
    for question in definition.questions:
        if header == question.key.replace("_", " ") or header == question.key:
            if question.type == "expectation_experience":
                return None
            return _free(f"{QUESTION_PREFIX}{question.key}", taken)
        if question.type == "expectation_experience":
            for half in PAIR_HALVES:
                if header in (f"{question.key} {half}", f"{question.key}.{half}"):
                    return _free(f"{QUESTION_PREFIX}{question.key}.{half}", taken)
    return None


def _by_question_text(header: str, definition: SurveyDefinition, taken: set[str]) -> str | None:
    for question in definition.questions:
        if question.type == "expectation_experience":
            continue
        texts = {_normal(text) for text in question.text.values()}
        if header in texts:
            return _free(f"{QUESTION_PREFIX}{question.key}", taken)
    return None


def _by_field_name(header: str, definition: SurveyDefinition, taken: set[str]) -> str | None:
    for name, words in FIELD_NAMES.items():
        if header in words:
            return _free(name, taken)
    return None


def _by_question_type(header: str, definition: SurveyDefinition, taken: set[str]) -> str | None:
    words = set(header.split())
    for kind, names in TYPE_NAMES.items():
        if header in names or any(" " not in name and name in words for name in names):
            for question in definition.questions:
                target = f"{QUESTION_PREFIX}{question.key}"
                if question.type == kind and target not in taken:
                    return target
    return None
