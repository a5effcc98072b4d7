"""The ``data`` of the events this app sends itself: ``response.created`` and ``ping``.

(Case payloads are built by the loop app, ``palaute.loop.payloads.case_payload``.)
Times are ISO 8601 in UTC (``+00:00``, as in the case payloads); URLs are absolute, from SITE_URL.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.urls import reverse

from palaute.api.answers import answer_values, contact_values
from palaute.outreach.conf import site_url
from palaute.surveys.models import Answer, Response


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat()


def absolute(path: str) -> str:
    return site_url() + path


def response_payload(response: Response, answers: Iterable[Answer]) -> dict[str, Any]:
    """A new response, answers in the API's shapes (docs/surveys.md). Built from what the
    submission already holds, without a query. A follow-up case is opened after the commit,
    so it is announced by its own ``case.opened`` event."""
    survey = response.survey
    touchpoint = response.touchpoint
    return {
        "id": response.pk,
        "survey": survey.key,
        "survey_name": survey.name,
        "touchpoint": touchpoint.key if touchpoint else None,
        "touchpoint_name": touchpoint.name if touchpoint else None,
        "channel": response.channel,
        "language": response.language,
        "submitted_at": iso(response.submitted_at),
        "answers": answer_values(answers),
        "contact": contact_values(response),
        "url": absolute(f"/api/v1/responses/{response.pk}"),
        "survey_url": absolute(reverse("survey_detail", kwargs={"key": survey.key})),
    }


def ping_payload(endpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "endpoint": endpoint.name,
        "message": "This is a test event from Palaute.",
        "url": absolute(reverse("webhook_detail", kwargs={"pk": endpoint.pk})),
    }
