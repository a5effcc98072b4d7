"""Storing checked import rows in bulk, and removing an import again.

The caller holds one transaction for the whole import. Per chunk of checked rows:

* ``existing_keys`` finds rows imported before (their idempotency keys are in the survey);
* ``Writer.write`` inserts the responses and their answers. SQLite: one ``INSERT … SELECT …
  FROM json_each(?)`` per table and question, so the rows are unpacked by SQLite's C code
  instead of binding millions of Python parameters. PostgreSQL: ``COPY … FROM STDIN``.
* ``tally`` adds the chunk's answers to the score-count cells; ``add_counts`` upserts them once
  at the end (the same ``n = n + excluded.n`` upsert the live path uses), which costs the
  number of cells touched, not the size of the survey — unlike ``rollup.rebuild``.

Response ids. Answers need their response's id, so ids are chosen before inserting.
SQLite allows one writer at a time and the import's transaction holds the write lock from its
first statement (``BEGIN IMMEDIATE``), so the ids after the table's high-water mark (the
AUTOINCREMENT sequence, never reusing ids of deleted responses) cannot be taken by anyone
else. PostgreSQL has concurrent writers: the ids come from the table's own sequence
(``nextval`` once per row, one query per chunk), so they never collide with live submissions
and need no lock. They are usually, but not necessarily, consecutive; nothing depends on it.
"""

from __future__ import annotations

import json
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection

from palaute.channels.import_rows import Checked, Stream
from palaute.insights.rollup import EXPECTED_KIND, EXPECTED_SUFFIX, upsert_sql
from palaute.journeys.models import Touchpoint
from palaute.surveys.models import Answer, Response, Survey

RESPONSE_TABLE = Response._meta.db_table
ANSWER_TABLE = Answer._meta.db_table
ANSWER_COLUMNS = (
    "response_id",
    "organisation_id",
    "survey_id",
    "question_key",
    "kind",
    "score",
    "expected",
    "text",
)
# Response columns a row may set; the others are the same for the whole import.
ROW_COLUMNS = ("channel", "language", "contact_name", "contact_email", "contact_phone")
TOUCHPOINT_COLUMNS = ("touchpoint_id", "stage_id", "location_id")


@dataclass
class Prepared:
    """What the checking thread makes of a chunk for the database, so that the thread that
    holds the transaction only runs SQL: the keys to look up, the JSON payloads of the SQLite
    inserts, and the chunk's score-count cells."""

    keys_json: str
    responses_json: str = ""
    varying: tuple[str, ...] = ()  # response columns in the payload after time and key
    answers: list[tuple[Stream, str]] = field(default_factory=list)
    cells: Counter = field(default_factory=Counter)


def prepare(checked: Checked, constants: dict[str, Any], *, payloads: bool) -> Prepared:
    """Serialise a checked chunk (``payloads``: for SQLite inserts) and tally its counts."""
    prepared = Prepared(keys_json=json.dumps(checked.keys))
    prepared.cells = tally(checked, constants)
    if not payloads or not checked.keys:
        return prepared
    varying: list[list[Any]] = [checked.submitted_at, checked.keys]
    names: list[str] = []
    touchpoints = checked.columns.get("touchpoint")
    if touchpoints is not None:
        for position, column in enumerate(TOUCHPOINT_COLUMNS):
            varying.append([tp[position] for tp in touchpoints])
            names.append(column)
    for column in ROW_COLUMNS:
        if column in checked.columns:
            varying.append(checked.columns[column])
            names.append(column)
    prepared.varying = tuple(names)
    prepared.responses_json = json.dumps(list(zip(*varying, strict=True)), ensure_ascii=False)
    for stream in checked.streams:
        if stream.shape in ("score", "text"):
            payload = json.dumps(stream.values, ensure_ascii=False)
        else:
            flat = [
                (offset, *answer)
                for offset, answers in enumerate(stream.values)
                if answers
                for answer in answers
            ]
            if not flat:
                continue
            payload = json.dumps(flat, ensure_ascii=False)
        prepared.answers.append((stream, payload))
    return prepared


def existing_keys(survey_id: int, checked: Checked, prepared: Prepared) -> set[str]:
    """Which of the chunk's idempotency keys belong to responses already in the survey."""
    if not checked.keys:
        return set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"SELECT idempotency_key FROM {RESPONSE_TABLE} "
                "WHERE survey_id = %s AND idempotency_key = ANY(%s)",
                [survey_id, checked.keys],
            )
        else:
            cursor.execute(
                f"SELECT idempotency_key FROM {RESPONSE_TABLE} WHERE survey_id = %s "
                "AND idempotency_key IN (SELECT value FROM json_each(%s))",
                [survey_id, prepared.keys_json],
            )
        return {row[0] for row in cursor.fetchall()}


def start(survey_id: int) -> None:
    """The first statements of an import transaction.

    PostgreSQL: serialise imports into one survey (an advisory lock), so two imports of the
    same file cannot both find their rows new — SQLite already serialises every writer. And
    check foreign keys at the end of each COPY instead of queueing millions of deferred
    checks until the commit."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [0x1A9, survey_id])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@contextmanager
def bulk_session():
    """SQLite settings of this connection for the length of an import, restored afterwards.

    * A larger page cache (``IMPORT_CACHE_KIB``, default 256 MB, used only as pages are
      read): a million responses touch the tail pages of thirteen indexes, and spilling them
      from the default 64 MB cost ~10 % more CPU.
    * Outside any transaction, no per-row foreign-key lookups (about 19 B-tree probes per
      response with its answers, ~15 % of the insert time), as Django's own fixture loading
      does. The import instead calls ``check_parents`` inside its write transaction; SQLite
      admits one writer, so rows that exist then cannot disappear before the commit. Inside
      a transaction (tests) SQLite cannot switch the checks off and they stay on.
    """
    if connection.vendor != "sqlite":
        yield
        return
    cache_kib = int(getattr(settings, "IMPORT_CACHE_KIB", 256 * 1024))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-cache_kib:d}")
    disabled = not connection.in_atomic_block and connection.disable_constraint_checking()
    try:
        yield
    finally:
        if disabled:
            connection.enable_constraint_checking()
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous:d}")
            cursor.execute("PRAGMA shrink_memory")


def check_parents(survey, version, touchpoints: set[tuple]) -> None:
    """Raise ImportConflict unless the survey, its version and the touchpoints (with their
    stages and locations) the import refers to exist. Call inside the write transaction."""
    missing = []
    if not Survey.objects.filter(pk=survey.pk, current_version=version).exists():
        missing.append("survey version")
    ids = {tp for tp, _stage, _location in touchpoints if tp}
    found = Touchpoint.objects.filter(pk__in=ids, organisation_id=survey.organisation_id)
    pairs = set(found.values_list("pk", "stage_id", "location_id"))
    if any(triple not in pairs for triple in touchpoints if triple[0]):
        missing.append("touchpoint")
    if missing:
        raise ImportConflict(", ".join(missing))


class ImportConflict(Exception):
    """The survey or a touchpoint changed while the file was being imported."""


class Writer:
    """Inserts checked chunks for one import batch (inside the caller's transaction)."""

    def __init__(self, *, survey, version, batch, constants: dict[str, Any]):
        self.survey = survey
        self.version = version
        self.batch = batch
        self.constants = constants
        self.created_at = datetime.now(UTC)
        self.next_id: int | None = None
        self.postgres = connection.vendor == "postgresql"
        self.touchpoints: set[tuple] = set()  # (touchpoint, stage, location) ids written
        self.wrote_text = False  # any free-text answer (for text analysis)

    def write(self, checked: Checked, prepared: Prepared) -> int:
        count = len(checked.keys)
        if not count:
            return 0
        self.touchpoints.update(checked.columns.get("touchpoint") or [self.constants["touchpoint"]])
        if not self.wrote_text:
            self.wrote_text = any(
                stream.shape == "text" and any(value is not None for value in stream.values)
                for stream in checked.streams
            )
        if self.postgres:
            self._copy(checked, self._sequence_ids(count))
        else:
            first_id = self._sqlite_last_id() + 1
            self._insert_sqlite(prepared, first_id)
            self.next_id = first_id + count - 1
        return count

    # ------------------------------------------------------------------------------- ids

    def _sqlite_last_id(self) -> int:
        if self.next_id is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0), "
                    f"COALESCE((SELECT max(id) FROM {RESPONSE_TABLE}), 0))",
                    [RESPONSE_TABLE],
                )
                self.next_id = cursor.fetchone()[0]
        return self.next_id

    def _sequence_ids(self, count: int) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT nextval(pg_get_serial_sequence('{RESPONSE_TABLE}', 'id')) "
                "FROM generate_series(1, %s)",
                [count],
            )
            return [row[0] for row in cursor.fetchall()]

    # ---------------------------------------------------------------------------- SQLite

    def _insert_sqlite(self, prepared: Prepared, first_id: int) -> None:
        fixed: dict[str, Any] = {
            "organisation_id": self.survey.organisation_id,
            "survey_id": self.survey.pk,
            "version_id": self.version.pk,
            "device_id": "",
            "flagged": "",
            "import_batch_id": self.batch.pk,
            "recorded_by_id": None,
            "created_at": self.created_at.strftime("%Y-%m-%d %H:%M:%S.%f"),
        }
        if "touchpoint_id" not in prepared.varying:
            fixed.update(zip(TOUCHPOINT_COLUMNS, self.constants["touchpoint"], strict=True))
        for column in ROW_COLUMNS:
            if column not in prepared.varying:
                fixed[column] = self.constants[column]
        per_row = ("submitted_at", "idempotency_key", *prepared.varying)
        columns = ["id", *per_row, *fixed]
        select = ["%s + key", *(_item(i) for i in range(len(per_row))), *(["%s"] * len(fixed))]
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {RESPONSE_TABLE} ({', '.join(columns)}) "
                f"SELECT {', '.join(select)} FROM json_each(%s)",
                [first_id, *fixed.values(), prepared.responses_json],
            )
            head = f"INSERT INTO {ANSWER_TABLE} ({', '.join(ANSWER_COLUMNS)}) SELECT "
            tenant = [self.survey.organisation_id, self.survey.pk]
            for stream, payload in prepared.answers:
                if stream.shape == "score":
                    values = "value, NULL, ''"
                elif stream.shape == "text":
                    values = "NULL, NULL, value"
                else:  # [offset, score, expected, text] per answer row
                    values = f"{_item(1)}, {_item(2)}, {_item(3)}"
                offset = "key" if stream.shape in ("score", "text") else _item(0)
                cursor.execute(
                    f"{head}%s + {offset}, %s, %s, %s, %s, {values} FROM json_each(%s) "
                    "WHERE value IS NOT NULL",
                    [first_id, *tenant, stream.key, stream.kind, payload],
                )

    # ------------------------------------------------------------------------ PostgreSQL

    def _copy(self, checked: Checked, ids: list[int]) -> None:
        survey = self.survey
        org_id, survey_id = survey.organisation_id, survey.pk
        constants = self.constants
        count = len(ids)
        tps = checked.columns.get("touchpoint") or [constants["touchpoint"]] * count
        row_values = [checked.columns.get(c) or [constants[c]] * count for c in ROW_COLUMNS]
        columns = (
            *("id", "organisation_id", "survey_id", "version_id", *TOUCHPOINT_COLUMNS),
            *("submitted_at", "idempotency_key", "device_id", "flagged", "import_batch_id"),
            *("created_at", *ROW_COLUMNS),
        )
        fixed = (org_id, survey_id, self.version.pk)
        tail = ("", "", self.batch.pk, self.created_at)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor
            with raw.copy(f"COPY {RESPONSE_TABLE} ({', '.join(columns)}) FROM STDIN") as copy:
                write = copy.write_row
                for i, response_id in enumerate(ids):
                    write(
                        (
                            response_id, *fixed, *tps[i], checked.submitted_at[i] + "+00",
                            checked.keys[i], *tail, *(column[i] for column in row_values),
                        )
                    )  # fmt: skip
            with raw.copy(f"COPY {ANSWER_TABLE} ({', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy:
                write = copy.write_row
                for stream in checked.streams:
                    common = (org_id, survey_id, stream.key, stream.kind)
                    values = stream.values
                    if stream.shape == "score":
                        for i, value in enumerate(values):
                            if value is not None:
                                write((ids[i], *common, value, None, ""))
                    elif stream.shape == "text":
                        for i, value in enumerate(values):
                            if value is not None:
                                write((ids[i], *common, None, None, value))
                    else:
                        for i, answers in enumerate(values):
                            for score, expected, text in answers or ():
                                write((ids[i], *common, score, expected, text))


def _item(position: int) -> str:
    return f"json_extract(value, '$[{position}]')"


# --------------------------------------------------------------------------------- counts


def tally(checked: Checked, constants: dict[str, Any]) -> Counter:
    """The chunk's scored answers as score-count cells: (kind, question key, stage,
    touchpoint, location, channel, day, score) -> n, as ``insights.rollup`` counts them."""
    cells: Counter = Counter()
    if not checked.keys:
        return cells
    tps = checked.columns.get("touchpoint")
    channels = checked.columns.get("channel")
    count = len(checked.keys)
    dimensions = list(
        zip(
            checked.days,
            tps if tps is not None else [constants["touchpoint"]] * count,
            channels if channels is not None else [constants["channel"]] * count,
            strict=True,
        )
    )
    for stream in checked.streams:
        if stream.shape == "text":
            continue
        found: list[tuple[Any, Any, Any, int]]
        if stream.shape == "score":
            scores: Counter = Counter(zip(dimensions, stream.values, strict=True))
            found = [(where, score, None, n) for (where, score), n in scores.items()]
        else:
            local: Counter = Counter(
                (dimensions[i], score, expected)
                for i, answers in enumerate(stream.values)
                if answers
                for score, expected, _text in answers
            )
            found = [(where, score, expected, n) for (where, score, expected), n in local.items()]
        for (day, tp, channel), score, expected, n in found:
            place = (tp[1] or 0, tp[0] or 0, tp[2] or 0, channel, day)
            if score is not None:
                cells[(stream.kind, stream.key, *place, score)] += n
            if expected is not None:
                cells[(EXPECTED_KIND, stream.key + EXPECTED_SUFFIX, *place, expected)] += n
    return cells


def add_counts(cells: Counter, *, organisation_id: int, survey_id: int) -> int:
    """Upsert the tallied cells into the score counts; returns the number of cells."""
    rows = [
        (organisation_id, kind, survey_id, key, stage, tp, location, channel, day, score, n)
        for (kind, key, stage, tp, location, channel, day, score), n in cells.items()
    ]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(upsert_sql(), rows)
    return len(rows)


# --------------------------------------------------------------------------------- undo


def delete_batch_responses(batch) -> int:
    """Delete the batch's responses and every row that depends on them (answers, text
    analyses, …), set-based: Django's ``delete()`` would load a million responses into Python
    to cascade. Runs inside the caller's transaction. Returns the number of responses."""
    responses = Response.objects.filter(import_batch=batch)
    return _delete(Response, responses)


def _delete(model, queryset) -> int:
    for relation in model._meta.related_objects:
        if not (relation.one_to_many or relation.one_to_one):
            continue
        related = relation.related_model._base_manager.filter(
            **{f"{relation.field.name}__in": queryset.values("pk")}
        )
        on_delete = relation.on_delete.__name__
        if on_delete == "CASCADE":
            _delete(relation.related_model, related)
        elif on_delete == "SET_NULL":
            related.update(**{relation.field.name: None})
        elif on_delete != "DO_NOTHING" and related.exists():
            raise ValueError(
                f"{relation.related_model._meta.label} rows refer to these responses "
                f"({on_delete}); remove them first"
            )
    sql, params = queryset.values("pk").query.sql_with_params()
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({sql})", params)
        return max(cursor.rowcount, 0)
