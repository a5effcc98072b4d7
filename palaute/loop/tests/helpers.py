"""Builders for the closed-loop (cases) tests: an organisation with a journey, surveys of each
question type, people in each role, and responses recorded through the real submission path."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from django.test import TestCase

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member
from palaute.loop.models import Case
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.surveys.publishing import create_survey
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import definition, make_org, make_touchpoint, question

__all__ = ["make_org", "make_member", "Role", "run_due_jobs"]

FEEDBACK = definition(
    question("nps", "nps"),
    question("csat", "csat"),
    question("ces", "ces"),
    question("why", "text"),
    question("contact", "contact_me"),
)
KIOSK = definition(question("face", "smiley", required=True), question("why", "text"))
_keys = itertools.count()


def make_feedback_survey(organisation, key: str = "feedback", touchpoint=None, data=None):
    touchpoint = touchpoint or make_touchpoint(organisation)
    return create_survey(
        organisation,
        key=key,
        name=f"Survey {key}",
        touchpoint=touchpoint,
        definition=data or FEEDBACK,
    )


def person(organisation, username: str, role: str = Role.AGENT, **extra):
    """A member with a name and an email address."""
    fields = {
        "first_name": username.title(),
        "last_name": "Virtanen",
        "email": f"{username}@kahvila.example",
        **extra,
    }
    return make_member(organisation, username, role=role, **fields)


def answer(
    survey,
    answers: dict[str, Any],
    *,
    channel: str = "web",
    language: str = "fi",
    submitted_at: datetime | None = None,
    touchpoint=None,
):
    """Record a response as a channel would: the signal's receivers run, and what they left
    for after the commit (text analysis is queued then) runs as if it committed."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        response, _created = record_response(
            survey,
            answers=answers,
            channel=channel,
            language=language,
            touchpoint=touchpoint,
            idempotency_key=f"loop-test-{next(_keys)}",
            submitted_at=submitted_at,
        )
    return response


def answer_and_run(survey, answers: dict[str, Any], **kwargs):
    """Record a response and run the jobs it queued; returns (response, its case or None)."""
    response = answer(survey, answers, **kwargs)
    run_due_jobs()
    return response, Case.objects.filter(links__response=response).first()


def contact_me(name="Maija Meikäläinen", email="maija@example.com", phone=""):
    return {"contact": True, "name": name, "email": email, "phone": phone}


def add_case(organisation, *, hours: int = 24, opened_at: datetime | None = None, **fields):
    """A case written straight to the table (for the page tests), numbered like a real one."""
    from datetime import timedelta

    from django.utils import timezone

    from palaute.loop.configuration import settings_for
    from palaute.loop.opening import next_number

    opened_at = opened_at or timezone.now()
    values = {
        "organisation": organisation,
        "number": next_number(settings_for(organisation)),
        "trigger": "nps_detractor",
        "title": "NPS 3 · Counter",
        "severity": "normal",
        "owner_source": Case.OwnerSource.NONE,
        "opened_at": opened_at,
        "due_at": opened_at + timedelta(hours=hours),
        "warn_at": opened_at + timedelta(hours=hours * 0.75),
        "customer_name": "Maija Meikäläinen",
        "customer_email": "maija@example.com",
        **fields,
    }
    return Case.objects.create(**values)
