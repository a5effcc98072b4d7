"""Listing responses: filters and keyset (cursor) pagination.

Pages are ordered newest first by (submitted_at, id). A cursor is the last row's position,
signed so a client cannot forge one that skips the organisation filter or breaks the query;
a page costs one indexed range scan however deep it is, and rows arriving meanwhile never
shift a page (no duplicates, no gaps), unlike OFFSET paging.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core import signing
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils.dateparse import parse_datetime

from palaute.api.errors import BadRequest
from palaute.insights.metrics import METRIC_KINDS
from palaute.surveys.models import Answer, Response

CURSOR_SALT = "palaute.api.responses.cursor"


@dataclass(frozen=True)
class ResponseFilter:
    """Resolved filters (ids, not keys); None means "any"."""

    organisation_id: int
    survey_id: int | None = None
    touchpoint_id: int | None = None
    stage_id: int | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    question: str | None = None
    score_min: int | None = None
    score_max: int | None = None
    has_comment: bool | None = None


def encode_cursor(response: Response) -> str:
    return signing.dumps([response.submitted_at.isoformat(), response.pk], salt=CURSOR_SALT)


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        moment, pk = signing.loads(cursor, salt=CURSOR_SALT)
        submitted_at = parse_datetime(moment)
        if submitted_at is None or not isinstance(pk, int):
            raise ValueError(moment)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadRequest(
            "The cursor is not one this API gave out.", [("cursor", "invalid cursor")]
        ) from None
    return submitted_at, pk


def filtered(f: ResponseFilter) -> QuerySet[Response]:
    qs = Response.objects.filter(organisation_id=f.organisation_id)
    for field in ("survey_id", "touchpoint_id", "stage_id", "channel"):
        value = getattr(f, field)
        if value is not None:
            qs = qs.filter(**{field: value})
    if f.since is not None:
        qs = qs.filter(submitted_at__gte=f.since)
    if f.until is not None:
        qs = qs.filter(submitted_at__lt=f.until)
    if f.question is not None or f.score_min is not None or f.score_max is not None:
        qs = qs.filter(Exists(_matching_answers(f)))
    if f.has_comment is not None:
        comments = Answer.objects.filter(response=OuterRef("pk"), kind="text").exclude(text="")
        qs = qs.filter(Exists(comments)) if f.has_comment else qs.exclude(Exists(comments))
    return qs


def _matching_answers(f: ResponseFilter) -> QuerySet[Answer]:
    """Answers of the outer response that satisfy the question and score filters (one answer
    must satisfy both bounds)."""
    answers = Answer.objects.filter(response=OuterRef("pk"))
    scored = f.score_min is not None or f.score_max is not None
    if f.question is not None:
        answers = answers.filter(question_key=f.question)
    elif scored:
        answers = answers.filter(kind__in=METRIC_KINDS)
    if f.score_min is not None:
        answers = answers.filter(score__gte=f.score_min)
    if f.score_max is not None:
        answers = answers.filter(score__lte=f.score_max)
    return answers


def page(
    qs: QuerySet[Response], *, limit: int, cursor: str | None
) -> tuple[list[Response], str | None]:
    """One page of ``qs`` newest first, with answers prefetched; returns (rows, next cursor)."""
    if cursor:
        submitted_at, pk = decode_cursor(cursor)
        qs = qs.filter(Q(submitted_at__lt=submitted_at) | Q(submitted_at=submitted_at, pk__lt=pk))
    qs = with_details(qs).order_by("-submitted_at", "-pk")
    rows = list(qs[: limit + 1])
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1])
    return rows, None


def with_details(qs: QuerySet[Response]) -> QuerySet[Response]:
    """Everything a response's representation needs, in two queries per page. The version's
    definition (a JSON document per row) is not needed: only its number is shown."""
    return (
        qs.select_related("survey", "version", "touchpoint", "stage", "location")
        .defer("version__definition")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.only(
                    "response_id", "question_key", "kind", "score", "expected", "text"
                ).order_by("id"),
            )
        )
    )
