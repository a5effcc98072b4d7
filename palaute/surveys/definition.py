"""Survey definitions: the JSON format of docs/surveys.md, validated.

``validate_definition`` parses a definition in two passes: pydantic checks the shape (types,
required fields, unknown fields), then ``_check`` applies the rules that span fields (unique
keys, a text for every language, scales per type, branching). Every error carries a path such
as ``questions[2].scale`` and a readable message.

The helpers at the end serve the survey page and submission: which questions are visible
given the answers so far (branching), and a text in the respondent's language.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

FORMAT = "palaute.survey/1"
KEY_RE = re.compile(r"^[a-z0-9_]{1,40}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
MAX_QUESTIONS = 100
MAX_OPTIONS = 50
MAX_TEXT = 2000
MAX_ANSWER_TEXT = 5000

# Types with a fixed scale, and the default and limits of the adjustable ones.
FIXED_SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "smiley": (1, 4),
}
DEFAULT_SCALE = (1, 5)
SCALE_MINS = (0, 1)
SCALE_MAX_RANGE = (3, 10)

COMPARISONS = ("lte", "lt", "gte", "gt", "eq", "ne")

# How a person who consents to publication may be named, from the most identifying to the
# most private. A consent answer without a choice gets the most private one offered.
NAMING_OPTIONS = ("full_name", "first_name_initial", "company", "anonymous")
Naming = Literal["full_name", "first_name_initial", "company", "anonymous"]
OPS = (*COMPARISONS, "in")

Texts = dict[StrictStr, StrictStr]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Scale(_Model):
    min: StrictInt
    max: StrictInt


class Option(_Model):
    key: StrictStr
    text: Texts


class ShowIf(_Model):
    question: StrictStr
    op: Literal["lte", "lt", "gte", "gt", "eq", "ne", "in"]
    value: StrictBool | StrictInt | StrictStr | list[StrictInt | StrictStr]


class _Question(_Model):
    key: StrictStr
    text: Texts
    required: StrictBool = False
    show_if: ShowIf | None = None

    @property
    def bounds(self) -> tuple[int, int] | None:
        """The (min, max) of a scored question, None for the others."""
        return None


class FixedScaleQuestion(_Question):
    type: Literal["nps", "csat", "ces", "smiley"]
    scale: Scale | None = None

    @property
    def bounds(self) -> tuple[int, int]:
        return FIXED_SCALES[self.type]


class RatingQuestion(_Question):
    type: Literal["rating", "expectation_experience"]
    scale: Scale | None = None

    @property
    def bounds(self) -> tuple[int, int]:
        return (self.scale.min, self.scale.max) if self.scale else DEFAULT_SCALE


class ChoiceQuestion(_Question):
    type: Literal["single_choice", "multiple_choice"]
    options: list[Option]

    def option_index(self, key: str) -> int | None:
        for index, option in enumerate(self.options):
            if option.key == key:
                return index
        return None


class TextQuestion(_Question):
    type: Literal["text"]


class YesNoQuestion(_Question):
    type: Literal["contact_me"]


def _anonymous_only() -> list[Naming]:
    return ["anonymous"]


class ConsentQuestion(_Question):
    """Permission to publish the response as a testimonial (docs/testimonials.md).

    ``text`` is the exact wording the person agrees to, per language (it is recorded with the
    consent). ``naming`` lists the ways the person may choose to be named; ``quote`` names the
    text question whose answer becomes the testimonial (default: the first text answered).
    """

    type: Literal["consent"]
    naming: list[Naming] = Field(default_factory=_anonymous_only)
    quote: StrictStr | None = None

    @property
    def default_naming(self) -> str:
        """The most private of the offered namings (privacy by default)."""
        return max(self.naming, key=NAMING_OPTIONS.index)


Question = Annotated[
    FixedScaleQuestion
    | RatingQuestion
    | ChoiceQuestion
    | TextQuestion
    | YesNoQuestion
    | ConsentQuestion,
    Field(discriminator="type"),
]
QUESTION_TYPES = (
    *FIXED_SCALES,
    "rating",
    "expectation_experience",
    "single_choice",
    "multiple_choice",
    "text",
    "consent",
    "contact_me",
)


class SurveyDefinition(_Model):
    format: Literal["palaute.survey/1"]
    languages: list[StrictStr]
    default_language: StrictStr
    title: Texts
    intro: Texts | None = None
    thank_you: Texts | None = None
    questions: list[Question]
    _by_key: dict[str, Any] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        for question in self.questions:
            self._by_key.setdefault(question.key, question)

    def question(self, key: str) -> Any:
        """The question with ``key``, or None."""
        return self._by_key.get(key)

    def language_for(self, wanted: str | None) -> str:
        """``wanted`` if the survey has it, else the survey's default language."""
        return wanted if wanted in self.languages else self.default_language

    def text(self, texts: Mapping[str, str] | None, language: str) -> str:
        """The text in ``language``, falling back to the default language."""
        if not texts:
            return ""
        return texts.get(language) or texts.get(self.default_language) or ""


@dataclass(frozen=True)
class DefinitionError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


def validate_definition(data: Any) -> tuple[SurveyDefinition | None, list[DefinitionError]]:
    """Parse and check a definition. Returns (definition, []) or (None, errors)."""
    if not isinstance(data, dict):
        return None, [DefinitionError("", "a survey definition must be a JSON object")]
    try:
        definition = SurveyDefinition.model_validate(data)
    except ValidationError as exc:
        return None, [_from_pydantic(error) for error in exc.errors()]
    errors = _check(definition)
    return (None, errors) if errors else (definition, [])


# ------------------------------------------------------------------ pydantic errors → paths


def _from_pydantic(error: Any) -> DefinitionError:
    loc = list(error["loc"])
    question_type = None
    # A discriminated union puts the tag after the question index: questions[2].nps.scale
    if len(loc) >= 3 and loc[0] == "questions" and loc[2] in QUESTION_TYPES:
        question_type = loc.pop(2)
    path = _path(loc)
    kind = error["type"]
    if kind == "missing":
        message = "is required"
    elif kind == "extra_forbidden":
        message = (
            f"is not a field of a {question_type} question" if question_type else "unknown field"
        )
    elif kind == "union_tag_invalid":
        path = f"{path}.type"
        message = f"unknown question type {error['input'].get('type')!r}; must be one of " + (
            ", ".join(QUESTION_TYPES)
        )
    elif kind == "union_tag_not_found":
        path = f"{path}.type"
        message = "is required"
    elif kind in _TYPE_MESSAGES:
        message = _TYPE_MESSAGES[kind]
    elif kind == "literal_error" and path == "format":
        message = f"must be {FORMAT!r}"
    else:
        message = str(error["msg"]).replace("Input should be", "must be")
        message = message[:1].lower() + message[1:]
    return DefinitionError(path, message)


_TYPE_MESSAGES = {
    "string_type": "must be a string",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "list_type": "must be a list",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
}


def _path(loc: list[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


# ------------------------------------------------------------------------- semantic rules


def _check(definition: SurveyDefinition) -> list[DefinitionError]:
    errors: list[DefinitionError] = []
    add = errors.append
    languages = definition.languages
    if not languages:
        add(DefinitionError("languages", "must list at least one language"))
    for i, language in enumerate(languages):
        if not LANGUAGE_RE.match(language):
            add(DefinitionError(f"languages[{i}]", "must be a two-letter code such as 'fi'"))
        elif language in languages[:i]:
            add(DefinitionError(f"languages[{i}]", f"duplicate language {language!r}"))
    if definition.default_language not in languages:
        add(DefinitionError("default_language", "must be one of the survey's languages"))
    errors += _check_texts("title", definition.title, languages)
    for name in ("intro", "thank_you"):
        texts = getattr(definition, name)
        if texts is not None:
            errors += _check_texts(name, texts, languages, allow_empty=True)

    if not definition.questions:
        add(DefinitionError("questions", "must have at least one question"))
    if len(definition.questions) > MAX_QUESTIONS:
        add(DefinitionError("questions", f"must have at most {MAX_QUESTIONS} questions"))
    seen: dict[str, int] = {}
    for i, question in enumerate(definition.questions):
        path = f"questions[{i}]"
        if not KEY_RE.match(question.key):
            add(DefinitionError(f"{path}.key", "must be 1–40 characters of a–z, 0–9 and _"))
        elif question.key in seen:
            add(DefinitionError(f"{path}.key", f"duplicate question key {question.key!r}"))
        errors += _check_texts(f"{path}.text", question.text, languages)
        errors += _check_scale(path, question)
        if isinstance(question, ChoiceQuestion):
            errors += _check_options(path, question, languages)
        if isinstance(question, ConsentQuestion):
            errors += _check_consent(path, question, definition)
        if question.show_if is not None:
            earlier = definition.questions[: seen.get(question.key, i)]
            errors += _check_show_if(f"{path}.show_if", question.show_if, earlier, definition)
        seen.setdefault(question.key, i)
    return errors


def _check_texts(
    path: str, texts: Mapping[str, str], languages: list[str], allow_empty: bool = False
) -> list[DefinitionError]:
    errors = []
    for language in languages:
        if language not in texts:
            errors.append(DefinitionError(path, f"missing the {language!r} text"))
        elif not allow_empty and not texts[language].strip():
            errors.append(DefinitionError(f"{path}.{language}", "must not be empty"))
    for language, text in texts.items():
        if language not in languages:
            errors.append(
                DefinitionError(f"{path}.{language}", "is not one of the survey's languages")
            )
        elif len(text) > MAX_TEXT:
            errors.append(
                DefinitionError(f"{path}.{language}", f"must be at most {MAX_TEXT} characters")
            )
    return errors


def _check_scale(path: str, question: Any) -> list[DefinitionError]:
    scale = getattr(question, "scale", None)
    if scale is None:
        return []
    if isinstance(question, FixedScaleQuestion):
        low, high = FIXED_SCALES[question.type]
        if (scale.min, scale.max) != (low, high):
            return [DefinitionError(f"{path}.scale", f"must be {low}–{high} for {question.type}")]
        return []
    errors = []
    if scale.min not in SCALE_MINS:
        errors.append(DefinitionError(f"{path}.scale.min", f"must be 0 or 1 for {question.type}"))
    low, high = SCALE_MAX_RANGE
    if not low <= scale.max <= high:
        errors.append(
            DefinitionError(f"{path}.scale.max", f"must be {low}–{high} for {question.type}")
        )
    return errors


def _check_options(path: str, question: ChoiceQuestion, languages: list[str]):
    errors = []
    if not question.options:
        errors.append(DefinitionError(f"{path}.options", "must have at least one option"))
    if len(question.options) > MAX_OPTIONS:
        errors.append(
            DefinitionError(f"{path}.options", f"must have at most {MAX_OPTIONS} options")
        )
    keys: set[str] = set()
    for j, option in enumerate(question.options):
        option_path = f"{path}.options[{j}]"
        if not KEY_RE.match(option.key):
            errors.append(
                DefinitionError(f"{option_path}.key", "must be 1–40 characters of a–z, 0–9 and _")
            )
        elif option.key in keys:
            errors.append(
                DefinitionError(f"{option_path}.key", f"duplicate option key {option.key!r}")
            )
        keys.add(option.key)
        errors += _check_texts(f"{option_path}.text", option.text, languages)
    return errors


def _check_consent(
    path: str, question: ConsentQuestion, definition: SurveyDefinition
) -> list[DefinitionError]:
    errors = []
    if not question.naming:
        errors.append(DefinitionError(f"{path}.naming", "must offer at least one way to name"))
    for j, naming in enumerate(question.naming):
        if naming in question.naming[:j]:
            errors.append(DefinitionError(f"{path}.naming[{j}]", f"duplicate {naming!r}"))
    if question.quote is not None:
        target = definition.question(question.quote)
        if target is None:
            errors.append(
                DefinitionError(f"{path}.quote", f"refers to unknown question {question.quote!r}")
            )
        elif not isinstance(target, TextQuestion):
            errors.append(
                DefinitionError(f"{path}.quote", f"{question.quote!r} is not a text question")
            )
    gate = _score_gate(question, definition)
    if gate is not None:
        errors.append(
            DefinitionError(
                f"{path}.show_if",
                f"a consent question must be asked whatever the score, but it depends on "
                f"{gate.key!r} ({gate.type}); asking only happy customers is review gating",
            )
        )
    return errors


def _score_gate(question: Any, definition: SurveyDefinition) -> Any:
    """The scored question that decides, directly or through other conditions, whether
    ``question`` is shown; None when no score does."""
    seen = {question.key}
    condition = question.show_if
    while condition is not None and condition.question not in seen:
        target = definition.question(condition.question)
        if target is None:
            return None  # reported as an unknown question
        if target.bounds is not None:
            return target
        seen.add(target.key)
        condition = target.show_if
    return None


def _check_show_if(
    path: str, show_if: ShowIf, earlier: list[Any], definition: SurveyDefinition
) -> list[DefinitionError]:
    target = next((q for q in earlier if q.key == show_if.question), None)
    if target is None:
        if definition.question(show_if.question) is None:
            message = f"refers to unknown question {show_if.question!r}"
        else:
            message = f"must refer to an earlier question; {show_if.question!r} is not before it"
        return [DefinitionError(f"{path}.question", message)]
    op, value = show_if.op, show_if.value
    kind = target.type
    if isinstance(target, TextQuestion):
        return [DefinitionError(f"{path}.question", "cannot branch on a text question")]
    if isinstance(target, YesNoQuestion | ConsentQuestion):
        if op not in ("eq", "ne"):
            return [DefinitionError(f"{path}.op", f"must be eq or ne for a {kind} question")]
        if not isinstance(value, bool):
            return [
                DefinitionError(f"{path}.value", f"must be true or false for a {kind} question")
            ]
        return []
    if isinstance(target, ChoiceQuestion):
        keys = {option.key for option in target.options}
        if op not in ("eq", "ne", "in"):
            return [DefinitionError(f"{path}.op", f"must be eq, ne or in for a {kind} question")]
        if op == "in" and (not isinstance(value, list) or not value):
            return [DefinitionError(f"{path}.value", "must be a non-empty list of option keys")]
        if op != "in" and isinstance(value, list):
            return [DefinitionError(f"{path}.value", "must be one option key; use in for a list")]
        for item in value if isinstance(value, list) else [value]:
            if not isinstance(item, str) or item not in keys:
                return [
                    DefinitionError(f"{path}.value", f"{item!r} is not an option of {target.key!r}")
                ]
        return []
    low, high = target.bounds
    if op == "in" and (not isinstance(value, list) or not value):
        return [DefinitionError(f"{path}.value", "must be a non-empty list of numbers")]
    numbers: list[Any] = value if op == "in" and isinstance(value, list) else [value]
    for number in numbers:
        if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
            return [
                DefinitionError(
                    f"{path}.value", f"must be a whole number {low}–{high} for a {kind} question"
                )
            ]
    return []


# --------------------------------------------------------------------------------- helpers


def branch_value(question: Any, answer: Any) -> Any:
    """The value a ``show_if`` compares: the experience of a pair, the yes of a contact-me or
    a consent."""
    if isinstance(answer, dict):
        if question.type == "expectation_experience":
            return answer.get("experience")
        if question.type == "contact_me":
            return answer.get("contact")
        if question.type == "consent":
            return answer.get("agreed")
    return answer


def condition_holds(show_if: ShowIf, value: Any) -> bool:
    """Whether ``show_if`` is met by the referenced question's answer (None: unanswered)."""
    if value is None or value == [] or value == "":
        return False
    op, expected = show_if.op, show_if.value
    if isinstance(value, list):  # multiple choice: eq = chosen, ne = not chosen, in = any
        if op == "eq":
            return expected in value
        if op == "ne":
            return expected not in value
        return op == "in" and isinstance(expected, list) and any(v in expected for v in value)
    if op == "in":
        return isinstance(expected, list) and value in expected
    if op == "eq":
        return value == expected
    if op == "ne":
        return value != expected
    if isinstance(value, bool) or not isinstance(value, int) or not isinstance(expected, int):
        return False
    return {
        "lte": value <= expected,
        "lt": value < expected,
        "gte": value >= expected,
        "gt": value > expected,
    }[op]


def visible_keys(definition: SurveyDefinition, answers: Mapping[str, Any]) -> list[str]:
    """Keys of the questions shown given ``answers`` (cleaned values), in order.

    A question whose condition refers to a hidden or unanswered question is hidden too.
    """
    visible: list[str] = []
    by_key = {q.key: q for q in definition.questions}
    for question in definition.questions:
        condition = question.show_if
        if condition is not None:
            if condition.question not in visible:
                continue
            target = by_key[condition.question]
            if not condition_holds(condition, branch_value(target, answers.get(target.key))):
                continue
        visible.append(question.key)
    return visible
