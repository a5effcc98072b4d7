"""Request and response schemas of the API: typed so the OpenAPI document is precise.

Input types refuse what the database cannot hold (NUL characters, integers beyond 64 bits,
dates beyond what a time zone conversion survives) so bad input is a 422, never a 500.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    field_validator,
)
from pydantic_core import PydanticCustomError

from palaute.api.errors import ValidationFailed
from palaute.api.limits import DEFAULT_LIST_LIMIT, MAX_ANSWER_KEYS, MAX_LIST_LIMIT

# --- shared field types ------------------------------------------------------------------

Key = Annotated[str, StringConstraints(pattern=r"^[-a-zA-Z0-9_]+$", min_length=1, max_length=60)]
StageKey = Annotated[
    str, StringConstraints(pattern=r"^[-a-zA-Z0-9_]+$", min_length=1, max_length=40)
]
QuestionKey = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}(\.expected)?$")]


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(_no_nul),
]
LongName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_nul),
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(_no_nul)
]


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _iso_day(value: Any) -> Any:
    # pydantic would also take a number (a Unix time); the API promises ISO 8601 only.
    if isinstance(value, date) or (isinstance(value, str) and ISO_DAY.match(value)):
        return value
    raise ValueError("must be a date as YYYY-MM-DD")


def _iso_moment(value: Any) -> Any:
    if not (isinstance(value, str) and ISO_MOMENT.match(value)) and not isinstance(value, datetime):
        raise ValueError("must be an ISO 8601 date and time with a UTC offset")
    return value


def _sane_moment(value: datetime) -> datetime:
    if not 1970 <= value.year <= 2999:
        raise ValueError("must be a date between 1970 and 2999")
    return value


Moment = Annotated[AwareDatetime, BeforeValidator(_iso_moment), AfterValidator(_sane_moment)]


def _sane_day(value: date) -> date:
    if not 1970 <= value.year <= 2999:
        raise ValueError("must be a date between 1970 and 2999")
    return value


Day = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_sane_day)]

ChannelName = Literal[
    "web",
    "qr",
    "widget",
    "kiosk",
    "email",
    "sms",
    "import",
    "interview",
    "api",
    "in_person",
    "phone",
    "social",
]
TouchpointKind = Literal["direct", "indirect"]  # tests keep both in step with the models


def find_nul(value: Any) -> str | None:
    """The path of the first string (or key) holding a NUL character in JSON data, or None.
    Iterative, so deeply nested input cannot exhaust the stack."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return path
        elif isinstance(item, dict):
            for key, child in item.items():
                sub = f"{path}.{key}" if path else str(key)
                if "\x00" in str(key):
                    return sub
                stack.append((sub, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def _nul_free(value: dict[str, Any]) -> dict[str, Any]:
    # Neither PostgreSQL text nor jsonb can hold NUL; refuse it here, naming where it is.
    found = find_nul(value)
    if found is not None:
        raise PydanticCustomError(
            "nul_character", "must not contain NUL characters", {"json_path": found}
        )
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_nul_free)]


class Input(Schema):
    """Request bodies and query strings refuse unknown fields, so a typo is an error rather
    than a silently ignored filter or value."""

    model_config = ConfigDict(extra="forbid")


def reject_unknown_parameters(request, schema: type[Schema]) -> None:
    """ninja drops query parameters a Query schema does not name; refuse them instead, so a
    misspelt filter is not silently ignored and the whole list returned."""
    unknown = sorted(set(request.GET) - set(schema.model_fields))
    if unknown:
        raise ValidationFailed([(name, "Unknown field.") for name in unknown])


EXAMPLE_DEFINITION: dict[str, Any] = {
    "format": "palaute.survey/1",
    "languages": ["fi", "en"],
    "default_language": "fi",
    "title": {"fi": "Miten onnistuimme?", "en": "How did we do?"},
    "questions": [
        {
            "key": "nps",
            "type": "nps",
            "required": True,
            "text": {"fi": "Suosittelisitko meitä?", "en": "Would you recommend us?"},
        },
        {
            "key": "why",
            "type": "text",
            "text": {"fi": "Mitä voisimme parantaa?", "en": "What could we improve?"},
            "show_if": {"question": "nps", "op": "lte", "value": 6},
        },
    ],
}


# --- touchpoints ---------------------------------------------------------------------------


class TouchpointOut(Schema):
    key: str
    name: str
    description: str
    stage: str = Field(description="The key of the journey stage.")
    channel: ChannelName
    kind: TouchpointKind
    location: str | None = Field(description="The location's name, if any.")
    owner: str | None = Field(description="The named owner's full name (or username), if any.")
    position: int


class TouchpointIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "web-form",
                    "name": "Web contact form",
                    "stage": "purchase",
                    "channel": "web",
                }
            ]
        }
    )

    key: Key
    name: Name
    stage: StageKey = Field(description="Key of an existing journey stage.")
    channel: ChannelName
    kind: TouchpointKind = "direct"
    description: Description = ""
    location: Name | None = Field(None, description="Name of an existing location.")
    position: int | None = Field(
        None, ge=0, le=32767, description="Order within the stage; default: last."
    )


class TouchpointPatch(Input):
    """Fields to change; leave out what stays. ``location: null`` clears the location."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "Café counter", "location": None}]}
    )

    name: Name | None = None
    stage: StageKey | None = None
    channel: ChannelName | None = None
    kind: TouchpointKind | None = None
    description: Description | None = None
    location: Name | None = None
    position: int | None = Field(None, ge=0, le=32767)


# --- surveys -------------------------------------------------------------------------------


class SurveyOut(Schema):
    key: str
    name: str
    touchpoint: str | None = Field(description="The touchpoint's key, if any.")
    is_active: bool = Field(description="Whether the survey accepts responses.")
    version: int | None = Field(description="The current version's number (null: unpublished).")
    public_url: str = Field(description="The hosted survey page.")
    created_at: datetime


class SurveyDetailOut(SurveyOut):
    definition: dict[str, Any] = Field(
        description="The current version's definition (docs/surveys.md); {} if unpublished."
    )


class SurveyIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key": "visit",
                    "name": "After the visit",
                    "touchpoint": "counter",
                    "definition": EXAMPLE_DEFINITION,
                }
            ]
        }
    )

    key: Key
    name: LongName
    touchpoint: Key | None = Field(None, description="Key of an existing touchpoint.")
    definition: JsonObject = Field(description="A survey definition (docs/surveys.md).")


class SurveyPatch(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Counter feedback"}]})

    name: LongName | None = None
    touchpoint: Key | None = Field(None, description="Key of a touchpoint; null to detach.")


# --- responses -----------------------------------------------------------------------------


class PairOut(Schema):
    expected: int
    experience: int


class ContactOut(Schema):
    name: str
    email: str
    phone: str


AnswerValue = int | bool | str | list[str] | PairOut


class ResponseOut(Schema):
    id: int
    survey: str = Field(description="The survey's key.")
    version: int = Field(description="The number of the survey version that was answered.")
    touchpoint: str | None
    stage: str | None
    location: str | None
    channel: ChannelName
    language: str
    submitted_at: datetime
    flagged: str = Field(description='Why the response is left out of metrics ("" if counted).')
    answers: dict[str, AnswerValue] = Field(
        description=(
            "By question key: a number for scored questions, {expected, experience} for a "
            "pair, an option key or a list of them for choices, text, true/false for consent "
            "and contact-me."
        )
    )
    contact: ContactOut | None = Field(
        description="Contact details, when the respondent asked to be contacted."
    )


class ResponseIn(Input):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"survey": "feedback", "answers": {"nps": 9, "best": "Friendly staff"}},
                {
                    "survey": "feedback",
                    "answers": {"nps": 4, "why": "The queue was long."},
                    "language": "en",
                    "channel": "email",
                    "touchpoint": "counter",
                    "submitted_at": "2025-05-04T10:15:00+03:00",
                },
            ]
        }
    )

    survey: Key = Field(description="The survey's key.")
    answers: JsonObject = Field(
        description=f"Raw answers by question key (docs/surveys.md), at most {MAX_ANSWER_KEYS}."
    )
    language: Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")] | None = Field(
        None, description="A language of the survey; default: the survey's default language."
    )
    channel: ChannelName = "api"
    touchpoint: Key | None = Field(
        None, description="Key of a touchpoint; default: the survey's touchpoint."
    )
    submitted_at: Moment | None = Field(
        None, description="When the customer answered (with a UTC offset); default: now."
    )

    @field_validator("answers")
    @classmethod
    def _answers_fit(cls, value: dict[str, Any]) -> dict[str, Any]:
        if len(value) > MAX_ANSWER_KEYS:
            raise ValueError(f"at most {MAX_ANSWER_KEYS} answers")
        return value

    @field_validator("submitted_at")
    @classmethod
    def _not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value > timezone.now() + timedelta(minutes=5):
            raise ValueError("must not be in the future")
        return value


class ResponseFilters(Input):
    survey: Key | None = Field(None, description="A survey's key.", examples=["feedback"])
    touchpoint: Key | None = Field(None, description="A touchpoint's key.", examples=["counter"])
    stage: StageKey | None = Field(
        None, description="A journey stage's key.", examples=["purchase"]
    )
    channel: ChannelName | None = None
    since: Moment | None = Field(None, description="Submitted at or after (ISO 8601, offset).")
    until: Moment | None = Field(None, description="Submitted before (ISO 8601, offset).")
    question: QuestionKey | None = Field(
        None,
        description=(
            "A question key: only responses that answered it; with score_min/score_max, the "
            "score range applies to this question's answer."
        ),
    )
    score_min: int | None = Field(
        None,
        ge=-1000,
        le=1000,
        description=(
            "Lowest score. Without `question`, a response matches if any of its scored answers "
            "(nps, csat, ces, smiley, rating, expectation_experience's experience) is in range."
        ),
    )
    score_max: int | None = Field(None, ge=-1000, le=1000, description="Highest score.")
    has_comment: bool | None = Field(
        None, description="true: with a non-empty text answer; false: without one."
    )
    limit: int = Field(DEFAULT_LIST_LIMIT, ge=1, le=MAX_LIST_LIMIT)
    cursor: Annotated[str, StringConstraints(max_length=500)] | None = Field(
        None, description="`next_cursor` of the previous page."
    )


class ResponsePage(Schema):
    items: list[ResponseOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: last.")


# --- metrics -------------------------------------------------------------------------------

MetricKind = Literal[
    "nps", "csat", "ces", "smiley", "rating", "expectation_experience", "expectation"
]


class EstimateOut(Schema):
    value: float | None
    low: float | None = Field(description="95 % interval, lower end.")
    high: float | None = Field(description="95 % interval, upper end.")


class BucketOut(Schema):
    score: int
    n: int
    percent: float


class SummaryOut(Schema):
    kind: MetricKind
    label: str
    n: int = Field(description="Number of answers.")
    value: float | None = Field(
        description="The headline: NPS −100…100, CSAT/smiley % satisfied, CES/rating mean."
    )
    low: float | None = Field(description="95 % interval of the headline, lower end.")
    high: float | None = Field(description="95 % interval of the headline, upper end.")
    mean: EstimateOut = Field(description="Mean score with its interval.")
    secondary: EstimateOut | None = Field(
        description="CSAT: mean; CES: % easy (1–3); smiley: % happy (3–4); otherwise null."
    )
    scale: list[int] = Field(description="[lowest, highest] score.")
    distribution: list[BucketOut]


class BreakdownRow(Schema):
    key: str | None = Field(
        description=(
            "Stage/touchpoint/survey key, location name or channel; null for answers "
            "without that dimension."
        )
    )
    name: str | None
    summary: SummaryOut


class TrendPointOut(Schema):
    start: date = Field(description="First day of the period.")
    summary: SummaryOut
    change_is_real: bool = Field(
        description="The headline differs from the previous period's beyond chance."
    )


class MetricsOut(Schema):
    kind: MetricKind | None = Field(description="null when there is nothing to measure.")
    question: str | None
    summary: SummaryOut | None
    breakdown: list[BreakdownRow] | None = Field(description="With `by`.")
    trend: list[TrendPointOut] | None = Field(description="With `period`.")


class MetricsFilters(Input):
    survey: Key | None = Field(None, examples=["feedback"])
    question: QuestionKey | None = Field(
        None, description="A question key; an expectation half is `KEY.expected`."
    )
    kind: MetricKind | None = Field(
        None, description="Default: the question's kind, else the kind with most answers."
    )
    touchpoint: Key | None = None
    stage: StageKey | None = None
    location: Name | None = Field(None, description="A location's name.")
    channel: ChannelName | None = None
    since: Day | None = Field(None, description="First day (the organisation's time zone).")
    until: Day | None = Field(None, description="Last day, inclusive.")
    by: Literal["stage", "touchpoint", "location", "channel", "survey"] | None = Field(
        None, description="Break the summary down by this dimension."
    )
    period: Literal["day", "week", "month"] | None = Field(
        None, description="A trend with one point per period."
    )
