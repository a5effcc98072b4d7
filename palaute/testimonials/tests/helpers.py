"""Builders for the testimonial tests: a survey with a consent question, consenting
responses stored through the real submission path, and testimonials moved along."""

from __future__ import annotations

import uuid
from typing import Any

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import definition, make_org, make_survey, question, texts
from palaute.testimonials import workflow
from palaute.testimonials.models import Testimonial

__all__ = ["make_org", "consent_survey", "consent_question", "respond", "published", "manager"]

WORDING_FI = "Saatte julkaista palautteeni verkkosivuillanne."
WORDING_EN = "You may publish my feedback on your website."
ALL_NAMINGS = ["full_name", "first_name_initial", "company", "anonymous"]


def consent_question(key: str = "publish", **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "type": "consent",
        "text": texts(WORDING_FI, WORDING_EN),
        "naming": ALL_NAMINGS,
        **extra,
    }


def consent_survey(organisation=None, *, key: str = "feedback", **consent: Any):
    """NPS, a comment and a consent question offering every naming."""
    return make_survey(
        definition(
            question("nps", "nps", required=True),
            question("comment", "text"),
            consent_question(**consent),
        ),
        organisation=organisation or make_org(),
        key=key,
    )


def respond(
    survey,
    *,
    consent: Any = None,
    nps: int | None = 10,
    comment: str = "Loistavaa palvelua!",
    language: str = "fi",
    channel: str = "web",
    **extra: Any,
):
    """A response through record_response (the path every channel takes)."""
    answers: dict[str, Any] = {}
    if nps is not None:
        answers["nps"] = nps
    if comment is not None:
        answers["comment"] = comment
    if consent is not None:
        answers["publish"] = consent
    answers.update(extra)
    response, _created = record_response(
        survey,
        answers=answers,
        channel=channel,
        language=language,
        idempotency_key=uuid.uuid4().hex,
    )
    return response


def published(survey, actor=None, **respond_args: Any) -> Testimonial:
    """A consenting response whose testimonial is approved and published."""
    consent = respond_args.pop(
        "consent", {"agreed": True, "naming": "first_name_initial", "name": "Maija Meikäläinen"}
    )
    response = respond(survey, consent=consent, **respond_args)
    testimonial = Testimonial.objects.get(consent__response=response)
    workflow.set_status(testimonial, "approved", actor=actor)
    return workflow.set_status(testimonial, "published", actor=actor)


def manager(organisation, username: str = "manu"):
    return make_member(organisation, username, role=Role.MANAGER, first_name="Manu")
