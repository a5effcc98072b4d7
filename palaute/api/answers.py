"""Stored answer rows back into the answer values a client sends (docs/surveys.md).

One ``Answer`` row per answered question, except multiple choice (one row per chosen option)
and expectation–experience (``expected`` and ``score`` on one row).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from palaute.surveys.models import Answer


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
