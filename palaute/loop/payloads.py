"""What a case looks like outside Palaute: the webhook payload of ``case.opened`` and
``case.resolved`` (contract in docs/closed-loop.md), and the absolute link to a case page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from palaute.loop.models import Case
from palaute.outreach.conf import site_url


def case_url(case: Case) -> str:
    """Absolute link to the case page. ``org`` lets someone in several organisations land in
    the right one (the page switches to it when they are a member)."""
    path = reverse("case_detail", kwargs={"number": case.number})
    query = urlencode({"org": case.organisation.slug})
    return f"{site_url()}{path}?{query}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def case_payload(case: Case) -> dict[str, Any]:
    owner = case.owner
    return {
        "id": case.pk,
        "number": case.number,
        "title": case.title,
        "severity": case.severity,
        "status": case.status,
        "trigger": case.trigger,
        "owner": (
            {"name": owner.get_full_name() or owner.username, "email": owner.email}
            if owner is not None
            else None
        ),
        "touchpoint": case.touchpoint.key if case.touchpoint is not None else None,
        "opened_at": _iso(case.opened_at),
        "due_at": _iso(case.due_at),
        "first_response_at": _iso(case.first_response_at),
        "closed_at": _iso(case.closed_at),
        "close_reason": case.close_reason,
        "url": case_url(case),
    }
