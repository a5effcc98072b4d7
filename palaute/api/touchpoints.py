"""/touchpoints: the places and moments where customers meet the organisation."""

from __future__ import annotations

from typing import Annotated

from django.db import IntegrityError, transaction
from django.db.models import Max
from ninja import Path, Router, Status

from palaute.accounts.models import record_audit
from palaute.api.errors import WRITE_ERRORS, Conflict, ValidationFailed, responses
from palaute.api.lookups import get_or_404, optional_ref, referenced
from palaute.api.schemas import Key, TouchpointIn, TouchpointOut, TouchpointPatch
from palaute.journeys.models import Location, Stage, Touchpoint

router = Router(tags=["touchpoints"])
TouchpointKeyPath = Annotated[Key, Path(description="The touchpoint's key.", examples=["counter"])]


def _touchpoints(organisation):
    return Touchpoint.objects.filter(organisation=organisation).select_related(
        "stage", "location", "owner"
    )


def _out(touchpoint: Touchpoint) -> dict:
    owner = touchpoint.owner
    return {
        "key": touchpoint.key,
        "name": touchpoint.name,
        "description": touchpoint.description,
        "stage": touchpoint.stage.key,
        "channel": touchpoint.channel,
        "kind": touchpoint.kind,
        "location": touchpoint.location.name if touchpoint.location else None,
        "owner": (owner.get_full_name() or owner.get_username()) if owner else None,
        "position": touchpoint.position,
    }


def _last_position(stage: Stage) -> int:
    last = stage.touchpoints.aggregate(p=Max("position"))["p"]
    return 0 if last is None else min(last + 1, 32767)


@router.get(
    "/touchpoints",
    response=responses({200: list[TouchpointOut]}),
    summary="List touchpoints",
)
def list_touchpoints(request):
    """All touchpoints, in journey order (stage, then position)."""
    return [_out(t) for t in _touchpoints(request.organisation)]


@router.get(
    "/touchpoints/{key}",
    response=responses({200: TouchpointOut}),
    summary="Get a touchpoint",
)
def get_touchpoint(request, key: TouchpointKeyPath):
    return _out(get_or_404(_touchpoints(request.organisation), request.organisation, key=key))


@router.post(
    "/touchpoints",
    response=responses({201: TouchpointOut}, WRITE_ERRORS),
    summary="Create a touchpoint",
)
def create_touchpoint(request, payload: TouchpointIn):
    org = request.organisation
    stage = referenced(Stage, org, "stage", payload.stage)
    location = optional_ref(Location, org, "location", payload.location)
    touchpoint = Touchpoint(
        organisation=org,
        key=payload.key,
        name=payload.name,
        description=payload.description,
        stage=stage,
        channel=payload.channel,
        kind=payload.kind,
        location=location,
        position=payload.position if payload.position is not None else _last_position(stage),
    )
    try:
        with transaction.atomic():
            touchpoint.save(force_insert=True)
            record_audit(
                org, None, "touchpoint.create", touchpoint.key, {"api_token": request.auth.prefix}
            )
    except IntegrityError:
        raise Conflict("A touchpoint with this key exists.", [("key", "already in use")]) from None
    return Status(201, _out(touchpoint))


@router.patch(
    "/touchpoints/{key}",
    response=responses({200: TouchpointOut}, WRITE_ERRORS),
    summary="Change a touchpoint",
)
def update_touchpoint(request, payload: TouchpointPatch, key: TouchpointKeyPath):
    """Changes the fields given; the key stays. ``"location": null`` clears the location."""
    org = request.organisation
    touchpoint = get_or_404(_touchpoints(org), org, key=key)
    given = payload.model_fields_set
    nulls = sorted(f for f in given if getattr(payload, f) is None and f != "location")
    if nulls:
        raise ValidationFailed([(f, "must not be null") for f in nulls])
    changes = {f: getattr(payload, f) for f in given if f not in ("stage", "location")}
    if "stage" in given and payload.stage is not None:
        changes["stage"] = referenced(Stage, org, "stage", payload.stage)
        if "position" not in changes and changes["stage"].pk != touchpoint.stage_id:
            changes["position"] = _last_position(changes["stage"])
    if "location" in given:
        changes["location"] = optional_ref(Location, org, "location", payload.location)
    for field, value in changes.items():
        setattr(touchpoint, field, value)
    if changes:
        with transaction.atomic():
            touchpoint.save(update_fields=list(changes))
            record_audit(
                org,
                None,
                "touchpoint.update",
                touchpoint.key,
                {"fields": sorted(changes), "api_token": request.auth.prefix},
            )
    return _out(touchpoint)
