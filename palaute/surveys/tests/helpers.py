"""Test data for the survey tests, built directly with the ORM."""

from __future__ import annotations

import copy
from typing import Any

from palaute.accounts.models import Organisation
from palaute.journeys.models import Location, Stage, Touchpoint
from palaute.surveys.publishing import create_survey


def texts(fi: str, en: str | None = None) -> dict[str, str]:
    return {"fi": fi, "en": en or fi}


def question(key: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "text": texts(f"{key} fi", f"{key} en"), **extra}


def options(*keys: str) -> list[dict[str, Any]]:
    return [{"key": key, "text": texts(f"{key} fi", f"{key} en")} for key in keys]


def definition(*questions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": "palaute.survey/1",
        "languages": ["fi", "en"],
        "default_language": "fi",
        "title": texts("Miten onnistuimme?", "How did we do?"),
        "thank_you": texts("Kiitos palautteesta!", "Thank you for your feedback!"),
        "questions": list(questions),
    }
    data.update(extra)
    return copy.deepcopy(data)


NPS_WHY = definition(
    question("nps", "nps", required=True),
    question("why", "text", show_if={"question": "nps", "op": "lte", "value": 6}),
    question("best", "text", show_if={"question": "nps", "op": "gte", "value": 9}),
)


def make_org(slug: str = "cafe", time_zone: str = "Europe/Helsinki") -> Organisation:
    return Organisation.objects.create(name=slug.title(), slug=slug, time_zone=time_zone)


def make_touchpoint(organisation: Organisation, key: str = "counter", *, stage_key="purchase"):
    stage, _ = Stage.objects.get_or_create(
        organisation=organisation,
        key=stage_key,
        defaults={"name_fi": stage_key, "name_en": stage_key},
    )
    location, _ = Location.objects.get_or_create(organisation=organisation, name="Main street")
    touchpoint, _ = Touchpoint.objects.get_or_create(
        organisation=organisation,
        key=key,
        defaults={"stage": stage, "name": key.title(), "channel": "web", "location": location},
    )
    return touchpoint


def make_survey(data: dict[str, Any] | None = None, *, organisation=None, key="feedback"):
    organisation = organisation or make_org()
    touchpoint = make_touchpoint(organisation)
    return create_survey(
        organisation,
        key=key,
        name="Feedback",
        touchpoint=touchpoint,
        definition=data or NPS_WHY,
    )
