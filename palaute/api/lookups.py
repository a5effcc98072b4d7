"""Finding an organisation's rows by the keys clients use. Every lookup is scoped to the
token's organisation, so another organisation's key is simply unknown."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from palaute.api.errors import NotFound, ValidationFailed
from palaute.journeys.models import Location, Stage, Touchpoint
from palaute.surveys.models import Response, Survey

M = TypeVar("M", bound=Model)

LABELS: dict[type[Model], str] = {
    Survey: "survey",
    Touchpoint: "touchpoint",
    Stage: "stage",
    Location: "location",
    Response: "response",
}


def _scoped(model: type[M] | QuerySet[M], organisation) -> QuerySet[M]:
    qs = model if isinstance(model, QuerySet) else model._default_manager.all()
    return qs.filter(organisation=organisation)


def get_or_404(model: type[M] | QuerySet[M], organisation, **lookup: Any) -> M:
    """The row for a path parameter (``/surveys/{key}``), or 404 not_found."""
    row = _scoped(model, organisation).filter(**lookup).first()
    if row is None:
        label = LABELS.get(model if isinstance(model, type) else model.model, "object")
        raise NotFound(f"No such {label}.")
    return row


def referenced(model: type[M] | QuerySet[M], organisation, field: str, value: str) -> M:
    """The row a body field or filter names (a stage key, a location name); an unknown value
    is a 422 that names ``field``. ``model`` may be a queryset (to select related rows)."""
    model_class = model.model if isinstance(model, QuerySet) else model
    attribute = "name" if model_class is Location else "key"
    row = _scoped(model, organisation).filter(**{attribute: value}).first()
    if row is None:
        label = LABELS.get(model_class, "object")
        raise ValidationFailed([(field, f"No {label} with {attribute} {value!r}.")])
    return row


def optional_ref(
    model: type[M] | QuerySet[M], organisation, field: str, value: str | None
) -> M | None:
    """Like ``referenced``; None when the field is empty or null."""
    return None if value is None else referenced(model, organisation, field, value)
