"""/responses: submit feedback (idempotently) and read it back with filters and cursors."""

from __future__ import annotations

from datetime import UTC

from django.http import HttpResponse
from ninja import Header, Query, Router, Status

from palaute.api import queries
from palaute.api.answers import answer_values, contact_values
from palaute.api.errors import WRITE_ERRORS, Conflict, NotFound, ValidationFailed, responses
from palaute.api.lookups import get_or_404, optional_ref, referenced
from palaute.api.schemas import (
    ResponseFilters,
    ResponseIn,
    ResponseOut,
    ResponsePage,
    reject_unknown_parameters,
)
from palaute.journeys.models import Stage, Touchpoint
from palaute.surveys.models import Response, Survey
from palaute.surveys.publishing import current_definition
from palaute.surveys.submission import AnswersInvalid, record_response

router = Router(tags=["responses"])

# Besides question keys, AnswersInvalid may name these (the API checks the rest first).
_SUBMISSION_FIELDS = {
    "answers": "answers",
    "channel": "channel",
    "touchpoint": "touchpoint",
    "idempotency_key": "Idempotency-Key",
}


def _out(response: Response) -> dict:
    return {
        "id": response.pk,
        "survey": response.survey.key,
        "version": response.version.number,
        "touchpoint": response.touchpoint.key if response.touchpoint else None,
        "stage": response.stage.key if response.stage else None,
        "location": response.location.name if response.location else None,
        "channel": response.channel,
        "language": response.language,
        "submitted_at": response.submitted_at.astimezone(UTC),
        "flagged": response.flagged,
        "answers": answer_values(response.answers.all()),
        "contact": contact_values(response),
    }


def _answer_field(key: str, definition) -> str:
    """The request path of an AnswersInvalid key: a question may be called "channel" too."""
    if key in _SUBMISSION_FIELDS and definition.question(key) is None:
        return _SUBMISSION_FIELDS[key]
    return f"answers.{key}"


@router.post(
    "/responses",
    response=responses({201: ResponseOut, 200: ResponseOut}, WRITE_ERRORS),
    summary="Submit a response",
)
def create_response(
    request,
    payload: ResponseIn,
    response: HttpResponse,
    idempotency_key: str = Header(
        ...,
        alias="Idempotency-Key",
        min_length=1,
        max_length=64,
        pattern=r"^[\x21-\x7e]+$",
        description=(
            "A key you choose per submission (1–64 printable ASCII characters). Sending the "
            "same key again for the same survey returns the first response (200) and stores "
            "nothing new."
        ),
    ),
):
    """Stores the answers if they validate against the survey's current version (201). A
    repeated ``Idempotency-Key`` answers 200 with the stored response and the header
    ``Idempotent-Replayed: true``."""
    org = request.organisation
    # What record_response and the answer read, in the same query.
    surveys = Survey.objects.select_related(
        "organisation", "current_version", "touchpoint__stage", "touchpoint__location"
    )
    survey = referenced(surveys, org, "survey", payload.survey)
    touchpoints = Touchpoint.objects.select_related("stage", "location")
    touchpoint = optional_ref(touchpoints, org, "touchpoint", payload.touchpoint)
    stored, created = _submit(survey, touchpoint, payload, idempotency_key)
    if not created:
        response["Idempotent-Replayed"] = "true"
        return Status(200, _out(queries.with_details(Response.objects.filter(pk=stored.pk)).get()))
    # A new response's survey, version and touchpoint are in memory; only its answer rows
    # are read back. Its stage and location were copied from the touchpoint just now.
    touchpoint = stored.touchpoint
    stored.stage = touchpoint.stage if touchpoint else None
    stored.location = touchpoint.location if touchpoint else None
    return Status(201, _out(stored))


def _submit(survey: Survey, touchpoint, payload: ResponseIn, idempotency_key: str):
    """record_response, with the API's errors. A refused submission whose key was accepted
    before answers the stored response, so a retry gets the same answer even after the
    survey closed or changed. (The accepted path needs no lookup of the key:
    record_response recognises a repeat itself.)"""
    try:
        if not survey.is_active:
            raise Conflict(
                "This survey is closed and accepts no responses.",
                [("survey", "not accepting responses")],
            )
        current = current_definition(survey)
        if current is None:
            raise Conflict("This survey has no published version.", [("survey", "unpublished")])
        definition = current[1]
        language = payload.language or definition.default_language
        if language not in definition.languages:
            raise ValidationFailed(
                [("language", f"must be one of {', '.join(definition.languages)}")]
            )
        try:
            return record_response(
                survey,
                answers=payload.answers,
                channel=payload.channel,
                language=language,
                touchpoint=touchpoint,
                idempotency_key=idempotency_key,
                submitted_at=payload.submitted_at,
            )
        except AnswersInvalid as exc:
            fields = [(_answer_field(k, definition), m) for k, m in exc.errors.items()]
            raise ValidationFailed(fields, "The answers are invalid.") from None
    except (Conflict, ValidationFailed):
        stored = Response.objects.filter(survey=survey, idempotency_key=idempotency_key).first()
        if stored is None:
            raise
        return stored, False


@router.get(
    "/responses",
    response=responses({200: ResponsePage}),
    summary="List responses, newest first",
)
def list_responses(request, filters: Query[ResponseFilters]):
    """Filters combine with AND. Pages hold ``limit`` responses (at most 500); pass
    ``next_cursor`` as ``cursor`` for the next page until it is null."""
    reject_unknown_parameters(request, ResponseFilters)
    org = request.organisation
    if filters.since is not None and filters.until is not None and filters.since > filters.until:
        raise ValidationFailed([("until", "must not be before since")])
    if (
        filters.score_min is not None
        and filters.score_max is not None
        and filters.score_min > filters.score_max
    ):
        raise ValidationFailed([("score_max", "must not be below score_min")])
    survey = optional_ref(Survey, org, "survey", filters.survey)
    touchpoint = optional_ref(Touchpoint, org, "touchpoint", filters.touchpoint)
    stage = optional_ref(Stage, org, "stage", filters.stage)
    selection = queries.ResponseFilter(
        organisation_id=org.pk,
        survey_id=survey.pk if survey else None,
        touchpoint_id=touchpoint.pk if touchpoint else None,
        stage_id=stage.pk if stage else None,
        channel=filters.channel,
        since=filters.since,
        until=filters.until,
        question=filters.question,
        score_min=filters.score_min,
        score_max=filters.score_max,
        has_comment=filters.has_comment,
    )
    rows, next_cursor = queries.page(
        queries.filtered(selection), limit=filters.limit, cursor=filters.cursor
    )
    return {"items": [_out(r) for r in rows], "next_cursor": next_cursor}


@router.get(
    "/responses/{response_id}",
    response=responses({200: ResponseOut}),
    summary="Get a response",
)
def get_response(request, response_id: int):
    if not 0 < response_id < 2**63:
        raise NotFound("No such response.")
    qs = queries.with_details(Response.objects.all())
    return _out(get_or_404(qs, request.organisation, pk=response_id))
