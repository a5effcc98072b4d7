"""/surveys: survey definitions in and out, versions, opening and closing."""

from __future__ import annotations

from typing import Annotated, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from ninja import Path, Router, Status
from pydantic import ConfigDict, Field

from palaute.accounts.models import record_audit
from palaute.api.errors import WRITE_ERRORS, Conflict, ValidationFailed, responses
from palaute.api.lookups import get_or_404, optional_ref
from palaute.api.schemas import (
    EXAMPLE_DEFINITION,
    Input,
    JsonObject,
    Key,
    SurveyDetailOut,
    SurveyIn,
    SurveyOut,
    SurveyPatch,
)
from palaute.journeys.models import Touchpoint
from palaute.surveys.definition import validate_definition
from palaute.surveys.models import Survey
from palaute.surveys.publishing import DefinitionInvalid, create_survey, publish_version

router = Router(tags=["surveys"])
SurveyKeyPath = Annotated[Key, Path(description="The survey's key.", examples=["feedback"])]


class DefinitionIn(Input):
    model_config = ConfigDict(json_schema_extra={"examples": [{"definition": EXAMPLE_DEFINITION}]})

    definition: JsonObject = Field(description="A survey definition (docs/surveys.md).")


def _surveys(organisation):
    return Survey.objects.filter(organisation=organisation).select_related(
        "touchpoint", "current_version"
    )


def _out(survey: Survey, *, detail: bool = False) -> dict:
    version = survey.current_version
    data: dict[str, Any] = {
        "key": survey.key,
        "name": survey.name,
        "touchpoint": survey.touchpoint.key if survey.touchpoint else None,
        "is_active": survey.is_active,
        "version": version.number if version else None,
        "public_url": f"{settings.SITE_URL.rstrip('/')}/s/{survey.public_key}/",
        "created_at": survey.created_at,
    }
    if detail:
        data["definition"] = dict(version.definition) if version else {}
    return data


def _definition_errors(exc: DefinitionInvalid) -> ValidationFailed:
    fields = [(f"definition.{e.path}" if e.path else "definition", e.message) for e in exc.errors]
    return ValidationFailed(fields, "The survey definition is invalid.")


def _audit(request, action: str, survey: Survey, **detail) -> None:
    record_audit(
        request.organisation, None, action, survey.key, {"api_token": request.auth.prefix, **detail}
    )


@router.get("/surveys", response=responses({200: list[SurveyOut]}), summary="List surveys")
def list_surveys(request):
    return [_out(s) for s in _surveys(request.organisation).order_by("key")]


@router.get(
    "/surveys/{key}",
    response=responses({200: SurveyDetailOut}),
    summary="Get a survey with its current definition",
)
def get_survey(request, key: SurveyKeyPath):
    return _out(
        get_or_404(_surveys(request.organisation), request.organisation, key=key), detail=True
    )


@router.post(
    "/surveys",
    response=responses({201: SurveyDetailOut}, WRITE_ERRORS),
    summary="Create a survey",
)
def create(request, payload: SurveyIn):
    """Creates the survey with the definition as version 1. Definition errors name the path,
    e.g. ``definition.questions[2].scale``."""
    org = request.organisation
    touchpoint = optional_ref(Touchpoint, org, "touchpoint", payload.touchpoint)
    try:
        with transaction.atomic():
            survey = create_survey(
                org,
                key=payload.key,
                name=payload.name,
                touchpoint=touchpoint,
                definition=payload.definition,
            )
            _audit(request, "survey.create", survey)
    except DefinitionInvalid as exc:
        raise _definition_errors(exc) from None
    except IntegrityError:
        raise Conflict("A survey with this key exists.", [("key", "already in use")]) from None
    return Status(201, _out(survey, detail=True))


@router.put(
    "/surveys/{key}/definition",
    response=responses({200: SurveyDetailOut}, WRITE_ERRORS),
    summary="Publish a new version of the definition",
)
def put_definition(request, key: SurveyKeyPath, payload: DefinitionIn):
    """Validates the definition and makes it the survey's next version. Sending the current
    definition again changes nothing (PUT is idempotent); ``version`` tells which is live."""
    org = request.organisation
    survey = get_or_404(_surveys(org), org, key=key)
    parsed, _errors = validate_definition(payload.definition)
    current = survey.current_version
    unchanged = (
        parsed is not None
        and current is not None
        and parsed.model_dump(mode="json", exclude_defaults=True) == current.definition
    )
    if not unchanged:
        try:
            with transaction.atomic():
                version = publish_version(survey, payload.definition)
                _audit(request, "survey.update", survey, version=version.number)
        except DefinitionInvalid as exc:
            raise _definition_errors(exc) from None
    return _out(survey, detail=True)


@router.patch(
    "/surveys/{key}",
    response=responses({200: SurveyDetailOut}, WRITE_ERRORS),
    summary="Rename a survey or change its touchpoint",
)
def update(request, key: SurveyKeyPath, payload: SurveyPatch):
    org = request.organisation
    survey = get_or_404(_surveys(org), org, key=key)
    given = payload.model_fields_set
    if "name" in given and payload.name is None:
        raise ValidationFailed([("name", "must not be null")])
    changes: dict[str, Any] = {}
    if "name" in given:
        changes["name"] = payload.name
    if "touchpoint" in given:
        changes["touchpoint"] = optional_ref(Touchpoint, org, "touchpoint", payload.touchpoint)
    for field, value in changes.items():
        setattr(survey, field, value)
    if changes:
        with transaction.atomic():
            survey.save(update_fields=list(changes))
            _audit(request, "survey.update", survey, fields=sorted(changes))
    return _out(survey, detail=True)


def _set_active(request, key: str, active: bool) -> dict:
    org = request.organisation
    survey = get_or_404(_surveys(org), org, key=key)
    if survey.is_active != active:
        with transaction.atomic():
            survey.is_active = active
            survey.save(update_fields=["is_active"])
            _audit(request, "survey.activate" if active else "survey.deactivate", survey)
    return _out(survey, detail=True)


@router.post(
    "/surveys/{key}/activate",
    response=responses({200: SurveyDetailOut}, WRITE_ERRORS),
    summary="Open a survey for responses",
)
def activate(request, key: SurveyKeyPath):
    return _set_active(request, key, True)


@router.post(
    "/surveys/{key}/deactivate",
    response=responses({200: SurveyDetailOut}, WRITE_ERRORS),
    summary="Close a survey: it stops accepting responses",
)
def deactivate(request, key: SurveyKeyPath):
    return _set_active(request, key, False)
