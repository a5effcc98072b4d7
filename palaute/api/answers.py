"""Stored answer rows back into the answer values a client sends (docs/surveys.md), and the
contact details a response carries, as the API and the webhooks show them.

One ``Answer`` row per answered question, except multiple choice (one row per chosen option)
and expectation–experience (``expected`` and ``score`` on one row).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from palaute.surveys.models import Answer, Response


def answer_values(rows: Iterable[Answer]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for row in rows:
        kind, key = row.kind, row.question_key
        if kind == "multiple_choice":
            values.setdefault(key, []).append(row.text)
        elif kind == "single_choice" or kind == "text":
            values[key] = row.text
        elif kind == "expectation_experience":
            values[key] = {"expected": row.expected, "experience": row.score}
        elif kind in ("consent", "contact_me"):
            values[key] = bool(row.score)
        elif row.score is not None:
            values[key] = row.score
    return values


def contact_values(response: Response) -> dict[str, str] | None:
    """The "contact me" details stored on the response, or None when there are none."""
    if not (response.contact_email or response.contact_phone or response.contact_name):
        return None
    return {
        "name": response.contact_name,
        "email": response.contact_email,
        "phone": response.contact_phone,
    }
