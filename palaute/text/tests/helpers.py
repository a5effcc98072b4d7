"""Builders for the text-analytics tests: a survey with a score, a rating and a comment."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from palaute.accounts.models import Organisation
from palaute.surveys.models import Answer, Response, Survey
from palaute.surveys.publishing import create_survey
from palaute.surveys.tests.helpers import definition, make_touchpoint, question

SURVEY = definition(
    question("nps", "nps", required=True),
    question("speed", "rating", scale={"min": 1, "max": 5}),
    question("why", "text"),
)
_keys = itertools.count()


def make_text_org(slug: str) -> Organisation:
    return Organisation.objects.create(name=slug.title(), slug=slug, time_zone="Europe/Helsinki")


def make_text_survey(organisation: Organisation, key: str = "feedback", touchpoint_key="counter"):
    touchpoint = make_touchpoint(organisation, touchpoint_key)
    return create_survey(
        organisation, key=key, name=f"Survey {key}", touchpoint=touchpoint, definition=SURVEY
    )


def add_response(
    survey: Survey,
    *,
    nps: int | None = None,
    speed: int | None = None,
    text: str = "",
    language: str = "fi",
    when: dt.datetime | None = None,
    flagged: str = "",
) -> Response:
    """A response stored directly (no rollup): the text tests read answers and analyses."""
    touchpoint = survey.touchpoint
    response = Response.objects.create(
        organisation_id=survey.organisation_id,
        survey=survey,
        version=survey.current_version,
        touchpoint=touchpoint,
        stage_id=touchpoint.stage_id if touchpoint else None,
        channel="web",
        language=language,
        submitted_at=when or timezone.now() - dt.timedelta(hours=1),
        idempotency_key=f"t{next(_keys)}",
        flagged=flagged,
    )
    rows = []
    for key, kind, score in (("nps", "nps", nps), ("speed", "rating", speed)):
        if score is not None:
            rows.append((key, kind, score, ""))
    if text:
        rows.append(("why", "text", None, text))
    Answer.objects.bulk_create(
        Answer(
            response=response,
            organisation_id=survey.organisation_id,
            survey=survey,
            question_key=key,
            kind=kind,
            score=score,
            text=value,
        )
        for key, kind, score, value in rows
    )
    return response


def text_answer(response: Response) -> Answer:
    return Answer.objects.get(response=response, kind="text")
