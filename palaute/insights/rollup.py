"""Keep ``ScoreCount`` in step with answers.

``count_response`` runs inside the transaction that stores a response, so a response and its
counts are committed together or not at all. ``rebuild`` recomputes the counts for a survey or
an organisation with a single INSERT … SELECT … GROUP BY (after a bulk import, or to repair),
so the database does the counting and no answer rows travel to Python.
"""

from __future__ import annotations

import json
import zoneinfo
from collections import Counter
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, Value
from django.db.models.functions import Coalesce, Concat, TruncDate

from palaute.insights.models import ScoreCount
from palaute.surveys.models import Answer, Response

EXPECTED_SUFFIX = ".expected"
EXPECTED_KIND = "expectation"

_CELL = (
    "survey_id",
    "question_key",
    "stage_id",
    "touchpoint_id",
    "location_id",
    "channel",
    "day",
    "score",
)
_COLUMNS = ("organisation_id", "kind", *_CELL, "n")


def upsert_sql() -> str:
    table = ScoreCount._meta.db_table
    cols = ", ".join(_COLUMNS)
    marks = ", ".join(["%s"] * len(_COLUMNS))
    cell = ", ".join(_CELL)
    return (
        f"INSERT INTO {table} ({cols}) VALUES ({marks}) "
        f"ON CONFLICT ({cell}) DO UPDATE SET n = {table}.n + excluded.n"
    )


def add_cells(rows: list[tuple]) -> int:
    """Add many cells at once, rows in the order of ``_COLUMNS``: one upsert whose rows the
    database unpacks from a JSON array, instead of a statement per cell (a bulk import
    touches tens of thousands). Returns the number of rows."""
    if not rows:
        return 0
    table = ScoreCount._meta.db_table
    cell = ", ".join(_CELL)
    payload = json.dumps([[*row[:8], row[8].isoformat(), *row[9:]] for row in rows])
    if connection.vendor == "postgresql":
        types = ("bigint", "text", "bigint", "text", "bigint", "bigint", "bigint", "text")
        values = [f"(e->>{i})::{t}" for i, t in enumerate(types)]
        values += ["(e->>8)::date", "(e->>9)::smallint", "(e->>10)::bigint"]
        source = "json_array_elements(%s::json) AS e WHERE true"
    else:
        values = [f"json_extract(value, '$[{i}]')" for i in range(len(_COLUMNS))]
        source = "json_each(%s) WHERE true"  # WHERE: SQLite's INSERT … SELECT … ON CONFLICT
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(_COLUMNS)}) SELECT {', '.join(values)} "
            f"FROM {source} ON CONFLICT ({cell}) DO UPDATE SET n = {table}.n + excluded.n",
            [payload],
        )
    return len(rows)


def _cells(response: Response, answers: Iterable[Answer], tz: zoneinfo.ZoneInfo) -> Counter:
    day = response.submitted_at.astimezone(tz).date()
    base = (
        response.stage_id or 0,
        response.touchpoint_id or 0,
        response.location_id or 0,
        response.channel,
        day,
    )
    cells: Counter = Counter()
    for answer in answers:
        if answer.score is not None:
            cells[
                (
                    response.organisation_id,
                    answer.kind,
                    response.survey_id,
                    answer.question_key,
                    *base,
                    answer.score,
                )
            ] += 1
        if answer.expected is not None:
            cells[
                (
                    response.organisation_id,
                    EXPECTED_KIND,
                    response.survey_id,
                    answer.question_key + EXPECTED_SUFFIX,
                    *base,
                    answer.expected,
                )
            ] += 1
    return cells


def count_response(response: Response, answers: Iterable[Answer], sign: int = 1) -> None:
    """Add (sign=1) or remove (sign=-1, for erasure) one response's answers from the counts."""
    tz = zoneinfo.ZoneInfo(response.organisation.time_zone)
    cells = _cells(response, answers, tz)
    if not cells:
        return
    rows = [(*cell, sign * n) for cell, n in cells.items()]
    with connection.cursor() as cursor:
        cursor.executemany(upsert_sql(), rows)


def rebuild(*, organisation_id: int, survey_id: int | None = None, time_zone: str) -> int:
    """Recompute counts from answers for one organisation (or one of its surveys).

    Returns the number of count rows written.
    """
    tz = zoneinfo.ZoneInfo(time_zone)
    # Flagged responses (e.g. kiosk button-mashing) are kept but not counted.
    answers = Answer.objects.filter(organisation_id=organisation_id, response__flagged="")
    counts = ScoreCount.objects.filter(organisation_id=organisation_id)
    if survey_id is not None:
        answers = answers.filter(survey_id=survey_id)
        counts = counts.filter(survey_id=survey_id)
    zero = Value(0, output_field=IntegerField())
    common = {
        "c_stage": Coalesce(F("response__stage_id"), zero),
        "c_touchpoint": Coalesce(F("response__touchpoint_id"), zero),
        "c_location": Coalesce(F("response__location_id"), zero),
        "c_channel": F("response__channel"),
        "c_day": TruncDate("response__submitted_at", tzinfo=tz),
    }
    # The SELECT lists columns in the order of _COLUMNS, so it can feed INSERT … SELECT.
    select = (
        "organisation_id",
        "c_kind",
        "survey_id",
        "c_key",
        "c_stage",
        "c_touchpoint",
        "c_location",
        "c_channel",
        "c_day",
        "c_score",
    )

    def cells(rows, **columns):
        return rows.annotate(**columns, **common).values(*select).annotate(c_n=Count("id"))

    scored = cells(
        answers.filter(score__isnull=False),
        c_kind=F("kind"),
        c_key=F("question_key"),
        c_score=F("score"),
    )
    expected = cells(
        answers.filter(expected__isnull=False),
        c_kind=Value(EXPECTED_KIND),
        c_key=Concat(F("question_key"), Value(EXPECTED_SUFFIX)),
        c_score=F("expected"),
    )
    table = ScoreCount._meta.db_table
    cols = ", ".join(_COLUMNS)
    written = 0
    with transaction.atomic():
        counts.delete()
        with connection.cursor() as cursor:
            for query in (scored, expected):
                sql, params = query.order_by().query.sql_with_params()
                cursor.execute(f"INSERT INTO {table} ({cols}) {sql}", params)
                written += max(cursor.rowcount, 0)
    with connection.cursor() as cursor:
        # Fresh statistics let the planner pick the survey-leading index for dashboards
        # instead of scanning every survey's counts through the organisation index.
        cursor.execute(f"ANALYZE {table}")
    return written
