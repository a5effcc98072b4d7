"""Creating surveys and publishing new versions of their definitions.

A version is immutable once published: responses point to the version they answered. The
parsed form of a version's definition is cached per version id, so the survey page and the
submission path do not re-validate the JSON on every request.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max

from palaute.surveys.definition import DefinitionError, SurveyDefinition, validate_definition
from palaute.surveys.models import Survey, SurveyVersion

_PARSED_CACHE_SIZE = 512
_parsed: dict[int, tuple[Any, SurveyDefinition]] = {}


class DefinitionInvalid(Exception):
    """A definition did not validate; ``errors`` name each path and problem."""

    def __init__(self, errors: list[DefinitionError]):
        self.errors = errors
        super().__init__("; ".join(str(error) for error in errors))


def create_survey(organisation, *, key: str, name: str, touchpoint, definition: Any, user=None):
    """Create a survey with ``definition`` as its version 1. Raises DefinitionInvalid."""
    parsed = _validated(definition)
    if touchpoint is not None and touchpoint.organisation_id != organisation.pk:
        raise ValueError("touchpoint: belongs to another organisation")
    with transaction.atomic():
        survey = Survey.objects.create(
            organisation=organisation, key=key, name=name, touchpoint=touchpoint
        )
        _add_version(survey, parsed, user, number=1)
    return survey


def publish_version(survey: Survey, definition: Any, user=None) -> SurveyVersion:
    """Validate ``definition`` and make it the survey's next, current version."""
    parsed = _validated(definition)
    with transaction.atomic():
        # Lock the survey row so two publishers cannot take the same number.
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        last = survey.versions.aggregate(n=Max("number"))["n"] or 0
        return _add_version(survey, parsed, user, number=last + 1)


def export_definition(survey: Survey) -> dict:
    """The current version's definition as JSON-ready data ({} if never published)."""
    version = survey.current_version
    return dict(version.definition) if version is not None else {}


def current_definition(survey: Survey) -> tuple[SurveyVersion, SurveyDefinition] | None:
    """The survey's current version and its parsed definition, or None if unpublished."""
    version = survey.current_version
    if version is None:
        return None
    return version, parsed_definition(version)


def parsed_definition(version: SurveyVersion) -> SurveyDefinition:
    cached = _parsed.get(version.pk)
    # Comparing the JSON guards against a reused id (a rolled-back test, a restored database).
    if cached is not None and cached[0] == version.definition:
        return cached[1]
    # Stored definitions were validated when published; parsing is all that is left.
    parsed = SurveyDefinition.model_validate(version.definition)
    if len(_parsed) >= _PARSED_CACHE_SIZE:
        _parsed.pop(next(iter(_parsed)))
    _parsed[version.pk] = (version.definition, parsed)
    return parsed


def _validated(definition: Any) -> SurveyDefinition:
    parsed, errors = validate_definition(definition)
    if parsed is None:
        raise DefinitionInvalid(errors)
    return parsed


def _add_version(survey: Survey, parsed: SurveyDefinition, user, *, number: int):
    version = SurveyVersion.objects.create(
        survey=survey,
        number=number,
        definition=parsed.model_dump(mode="json", exclude_defaults=True),
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return version
