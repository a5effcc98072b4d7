"""Storing checked import rows in bulk, and removing an import again.

The caller holds one transaction for the whole import. Per chunk of checked rows:

* ``existing_keys`` finds rows imported before (their idempotency keys are in the survey);
* ``Writer.write`` inserts the responses and their answers. SQLite: one ``INSERT … SELECT …
  FROM json_each(?)`` per table and question, so the rows are unpacked by SQLite's C code
  instead of binding millions of Python parameters. PostgreSQL: ``COPY … FROM STDIN``.
* ``tally`` adds the chunk's answers to the score-count cells; ``add_counts`` upserts them once
  at the end (``rollup.add_cells``: the live path's ``n = n + excluded.n`` upsert, one
  statement for all cells), which costs the number of cells touched, not the size of the
  survey — unlike ``rollup.rebuild``.

Response ids. Answers need their response's id, so ids are chosen before inserting.
SQLite allows one writer at a time and the import's transaction holds the write lock from its
first statement (``BEGIN IMMEDIATE``), so the ids after the table's high-water mark (the
AUTOINCREMENT sequence, never reusing ids of deleted responses) cannot be taken by anyone
else. PostgreSQL has concurrent writers: the ids come from the table's own sequence
(``nextval`` once per row, one query per chunk), so they never collide with live submissions
and need no lock. They are usually, but not necessarily, consecutive; nothing depends on it.

Order. Each chunk is stored in time order (``in_time_order``), so its responses take
ascending ids and are appended to the time and key indexes, whatever the order of the file.

Foreign keys. The rows of one import refer to a handful of parents (the organisation, the
survey and its version, the batch, the touchpoints with their stages and locations) and
answers to responses written in the same transaction. Checking them once per row is most of
the work of a bulk insert (PostgreSQL runs a trigger per foreign key and row: ~15 per
imported response). Where it may, the import switches the per-row checks off for its own
inserts (SQLite: ``PRAGMA foreign_keys`` outside a transaction; PostgreSQL: ``SET LOCAL
session_replication_role = replica`` around each ``COPY``, which needs superuser or, from
PostgreSQL 15, ``GRANT SET ON PARAMETER session_replication_role``) and ``check_parents``
checks the parents once, inside the transaction, taking the same ``FOR KEY SHARE`` row locks
that the per-row checks would. Every other writer, and every delete of a parent, is still
checked by the database. Without the privilege the per-row checks run as usual.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import compress, repeat
from typing import Any

from django.conf import settings
from django.db import connection

from palaute.accounts.models import Organisation
from palaute.channels.import_rows import Checked, Stream
from palaute.insights.rollup import EXPECTED_KIND, EXPECTED_SUFFIX, add_cells
from palaute.journeys.models import Location, Stage, Touchpoint
from palaute.surveys.models import Answer, Response, Survey, SurveyVersion

logger = logging.getLogger(__name__)

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
STREAMS_PER_INSERT = 100  # SQLite allows 500 SELECTs in one UNION ALL


@dataclass
class Prepared:
    """What the checking thread makes of a chunk for the database, so that the thread that
    holds the transaction only runs SQL: the keys to look up, the JSON payloads of the SQLite
    inserts, and the chunk's score-count cells."""

    keys_json: str
    key_range: tuple[str, str] = ("", "")  # the smallest and largest key, in Python's order
    responses_json: str = ""
    varying: tuple[str, ...] = ()  # response columns in the payload after time and key
    answers: list[tuple[Stream, str]] = field(default_factory=list)
    cells: Counter = field(default_factory=Counter)


def in_time_order(checked: Checked) -> Checked:
    """The chunk with its good rows in time order (ties in file order), so that their
    responses take ascending ids and are appended to the time indexes. A file newest first
    would otherwise insert each response in front of the previous one, which leaves the
    index pages half empty and costs about half again as much database time."""
    times = checked.submitted_at
    if times == sorted(times):  # the usual case; sorting sorted (or reversed) text is one pass
        return checked
    return checked.take(sorted(range(len(times)), key=times.__getitem__))


def prepare(checked: Checked, constants: dict[str, Any], *, payloads: bool) -> Prepared:
    """Serialise a checked chunk (``payloads``: for SQLite inserts) and tally its counts."""
    keys = checked.keys
    prepared = Prepared(keys_json=json.dumps(keys))
    if keys:
        prepared.key_range = (min(keys), max(keys))
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
    """Which of the chunk's idempotency keys belong to responses already in the survey.

    One probe first: when no key of the survey lies between the chunk's smallest and largest
    key (a file of a new period, in time order), none of them can be there. The range is in
    the database's order of text: SQLite compares bytes, as Python does; PostgreSQL follows
    the column's collation, so it finds the range itself."""
    if not checked.keys:
        return set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "WITH chunk AS (SELECT min(k) AS low, max(k) AS high "
                "FROM json_array_elements_text(%s::json) k) "
                f"SELECT 1 FROM chunk, {RESPONSE_TABLE} r WHERE r.survey_id = %s "
                "AND r.idempotency_key BETWEEN chunk.low AND chunk.high LIMIT 1",
                [prepared.keys_json, survey_id],
            )
        else:
            cursor.execute(
                f"SELECT 1 FROM {RESPONSE_TABLE} WHERE survey_id = %s "
                "AND idempotency_key BETWEEN %s AND %s LIMIT 1",
                [survey_id, *prepared.key_range],
            )
        if cursor.fetchone() is None:
            return set()
        if connection.vendor == "postgresql":
            cursor.execute(
                # As an array, which the index scan sorts: its pages are read in order.
                f"SELECT idempotency_key FROM {RESPONSE_TABLE} WHERE survey_id = %s "
                "AND idempotency_key = ANY(ARRAY(SELECT json_array_elements_text(%s::json)))",
                [survey_id, prepared.keys_json],
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

    * A larger page cache (``IMPORT_CACHE_KIB``, default 512 MB, taken only as pages are
      changed and given back afterwards): the changed pages of an import stay in memory
      until the commit writes them to the log. A million rows change ~0.5 GB of pages;
      with 256 MB, spilling them to the log one page at a time cost ~15 % more database
      CPU (7.7 instead of 6.7 s), with the default 64 MB more still.
    * Outside any transaction, no per-row foreign-key lookups (about 19 B-tree probes per
      response with its answers, ~15 % of the insert time), as Django's own fixture loading
      does. The import instead calls ``check_parents`` inside its write transaction; SQLite
      admits one writer, so rows that exist then cannot disappear before the commit. Inside
      a transaction (tests) SQLite cannot switch the checks off and they stay on.
    * No automatic checkpoint in the commit: once the import has committed, a thread copies
      the write-ahead log into the database file (``Checkpoint``).
    """
    if connection.vendor != "sqlite":
        yield
        return
    cache_kib = int(getattr(settings, "IMPORT_CACHE_KIB", 512 * 1024))
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA cache_size = {-cache_kib:d}")
        cursor.execute("PRAGMA wal_autocheckpoint")
        autocheckpoint = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA journal_mode")
        wal = cursor.fetchone()[0] == "wal" and not connection.in_atomic_block
        if wal:
            cursor.execute("PRAGMA wal_autocheckpoint = 0")
    disabled = not connection.in_atomic_block and connection.disable_constraint_checking()
    committed = False
    try:
        yield
        committed = True
    finally:
        if disabled:
            connection.enable_constraint_checking()
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {previous:d}")
            cursor.execute("PRAGMA shrink_memory")
            if wal:
                cursor.execute(f"PRAGMA wal_autocheckpoint = {autocheckpoint:d}")
        if wal and committed:
            Checkpoint.start(str(connection.settings_dict["NAME"]))


class Checkpoint:
    """Copies SQLite's write-ahead log into the database file after an import, in a thread
    with its own connection, so the import returns when its transaction has committed.

    A commit in WAL mode writes the changed pages to the log; a checkpoint later copies them
    into the database file, syncing both (``synchronous=NORMAL``). After a million rows that
    is ~0.5 GB written and synced twice: several seconds of disk time that an import would
    otherwise spend in its commit (``wal_autocheckpoint``). Here it happens afterwards: the
    imported rows are committed, and as durable as any other commit under
    ``synchronous=NORMAL``, when ``run_import`` returns. While this checkpoint runs, other
    connections' automatic checkpoints find it busy and skip it, so no request waits for it;
    it is PASSIVE, so it never blocks readers or writers. Like PostgreSQL's checkpointer."""

    latest: Checkpoint | None = None
    _lock = threading.Lock()

    def __init__(self, path: str):
        self.path = path
        self.seconds: float | None = None
        self.error = ""
        self.thread = threading.Thread(target=self._run, name="import-checkpoint")

    @classmethod
    def start(cls, path: str) -> Checkpoint:
        checkpoint = cls(path)
        with cls._lock:
            cls.latest = checkpoint
        checkpoint.thread.start()
        return checkpoint

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            with closing(sqlite3.connect(self.path, timeout=20)) as db:
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # the next automatic checkpoint does it instead
            self.error = str(exc)
            logger.warning("Checkpoint after an import failed: %s", exc)
        self.seconds = time.perf_counter() - started

    @classmethod
    def wait(cls, timeout: float | None = None) -> Checkpoint | None:
        """The latest import's checkpoint, once it has finished (for the benchmark and
        tests); None if no import has started one."""
        with cls._lock:
            checkpoint = cls.latest
        if checkpoint is not None:
            checkpoint.thread.join(timeout)
        return checkpoint


def check_parents(survey, version, touchpoints: set[tuple]) -> None:
    """Raise ImportConflict unless the survey, its version and the touchpoints (with their
    stages and locations) the import refers to exist. Call inside the write transaction.

    These are every parent an imported row refers to (``IMPORT_PARENTS``; the batch is
    created in the same transaction, answers refer to the responses written with them), so
    this check stands in for the per-row foreign-key checks the import switches off. On
    PostgreSQL it takes the rows' ``FOR KEY SHARE`` locks, as those checks would: none of
    these rows can be deleted until the import commits, and a delete that began before is
    seen here. SQLite admits one writer, so rows that exist now stay until the commit."""
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    missing = []
    tp_ids = sorted({tp for tp, _stage, _location in touchpoints if tp})
    with connection.cursor() as cursor:

        def found(model, ids, extra="", params=()) -> set:
            if not ids:
                return set()
            marks = ", ".join(["%s"] * len(ids))
            cursor.execute(
                f"SELECT id FROM {model._meta.db_table} WHERE id IN ({marks}){extra}{lock}",
                [*ids, *params],
            )
            return {row[0] for row in cursor.fetchall()}

        if not found(Organisation, [survey.organisation_id]):
            missing.append("organisation")
        if not found(Survey, [survey.pk], " AND current_version_id = %s", [version.pk]):
            missing.append("survey version")
        if not found(SurveyVersion, [version.pk]):
            missing.append("survey version")
        pairs: set[tuple] = set()
        if tp_ids:
            marks = ", ".join(["%s"] * len(tp_ids))
            cursor.execute(
                f"SELECT id, stage_id, location_id FROM {Touchpoint._meta.db_table} "
                f"WHERE id IN ({marks}) AND organisation_id = %s{lock}",
                [*tp_ids, survey.organisation_id],
            )
            pairs = {tuple(row) for row in cursor.fetchall()}
        if any(triple not in pairs for triple in touchpoints if triple[0]):
            missing.append("touchpoint")
        stages = sorted({stage for _tp, stage, _location in touchpoints if stage})
        locations = sorted({location for _tp, _stage, location in touchpoints if location})
        if len(found(Stage, stages)) != len(stages):
            missing.append("stage")
        if len(found(Location, locations)) != len(locations):
            missing.append("location")
    if missing:
        raise ImportConflict(", ".join(dict.fromkeys(missing)))


# What each foreign key of an imported row points to, as ``check_parents`` checks it (a test
# keeps this in step with the models, so that a new foreign key cannot go unchecked).
IMPORT_PARENTS = {
    "surveys.Response.organisation": "the survey's organisation",
    "surveys.Response.survey": "the survey",
    "surveys.Response.version": "the survey's current version",
    "surveys.Response.touchpoint": "touchpoints of the organisation",
    "surveys.Response.stage": "the touchpoints' stages",
    "surveys.Response.location": "the touchpoints' locations",
    "surveys.Response.import_batch": "the batch, created in the import's transaction",
    "surveys.Response.recorded_by": "none: always empty in an import",
    "surveys.Answer.response": "the responses written with them",
    "surveys.Answer.organisation": "the survey's organisation",
    "surveys.Answer.survey": "the survey",
}


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
        self.sequence = ""  # PostgreSQL: the response id sequence
        self.unchecked = self.postgres and _may_skip_row_checks()
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
            if not self.sequence:
                # Looked up once: as a call in the query below it ran for every row.
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [RESPONSE_TABLE])
                self.sequence = cursor.fetchone()[0]
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [self.sequence, count]
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
            # The questions' answers in as few statements as may be: each statement costs
            # the thread a wait for the interpreter lock, which the checking thread holds.
            tenant = [self.survey.organisation_id, self.survey.pk]
            streams = prepared.answers
            for start in range(0, len(streams), STREAMS_PER_INSERT):
                selects, params = [], []
                for stream, payload in streams[start : start + STREAMS_PER_INSERT]:
                    if stream.shape == "score":
                        values = "value, NULL, ''"
                    elif stream.shape == "text":
                        values = "NULL, NULL, value"
                    else:  # [offset, score, expected, text] per answer row
                        values = f"{_item(1)}, {_item(2)}, {_item(3)}"
                    offset = "key" if stream.shape in ("score", "text") else _item(0)
                    selects.append(
                        f"SELECT %s + {offset}, %s, %s, %s, %s, {values} FROM json_each(%s) "
                        "WHERE value IS NOT NULL"
                    )
                    params += [first_id, *tenant, stream.key, stream.kind, payload]
                cursor.execute(
                    f"INSERT INTO {ANSWER_TABLE} ({', '.join(ANSWER_COLUMNS)}) "
                    + " UNION ALL ".join(selects),
                    params,
                )

    # ------------------------------------------------------------------------ PostgreSQL

    def _copy(self, checked: Checked, ids: list[int]) -> None:
        # Rows are zipped from the columns, constants repeated, so that no Python code runs
        # per row but the COPY's own row writer.
        org_id, survey_id, constants = self.survey.organisation_id, self.survey.pk, self.constants
        count = len(ids)
        tps = checked.columns.get("touchpoint") or [constants["touchpoint"]] * count
        row_values = [checked.columns.get(c) or repeat(constants[c]) for c in ROW_COLUMNS]
        columns = (
            *("id", "organisation_id", "survey_id", "version_id", *TOUCHPOINT_COLUMNS),
            *("submitted_at", "idempotency_key", "device_id", "flagged", "import_batch_id"),
            *("created_at", *ROW_COLUMNS),
        )
        responses = zip(
            ids, repeat(org_id), repeat(survey_id), repeat(self.version.pk),
            *zip(*tps, strict=True), map("{}+00".format, checked.submitted_at), checked.keys,
            repeat(""), repeat(""), repeat(self.batch.pk), repeat(self.created_at), *row_values,
        )  # fmt: skip
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor
            if self.unchecked:  # check_parents checks the parents once instead
                raw.execute("SET LOCAL session_replication_role = replica")
            with raw.copy(f"COPY {RESPONSE_TABLE} ({', '.join(columns)}) FROM STDIN") as copy:
                write = copy.write_row
                for row in responses:
                    write(row)
            with raw.copy(f"COPY {ANSWER_TABLE} ({', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy:
                write = copy.write_row
                for stream in checked.streams:
                    common = (org_id, survey_id, stream.key, stream.kind)
                    values = stream.values
                    if stream.shape == "rows":
                        for i, answers in enumerate(values):
                            for score, expected, text in answers or ():
                                write((ids[i], *common, score, expected, text))
                        continue
                    given = [value is not None for value in values]
                    answered = compress(values, given)
                    cells = (
                        (answered, repeat(None), repeat(""))
                        if stream.shape == "score"
                        else (repeat(None), repeat(None), answered)
                    )
                    rows = zip(compress(ids, given), *map(repeat, common), *cells, strict=False)
                    for row in rows:  # strict=False: the repeated constants never end
                        write(row)
            if self.unchecked:
                raw.execute("SET LOCAL session_replication_role = origin")


def _may_skip_row_checks() -> bool:
    """PostgreSQL: may this connection switch per-row trigger checks off for its own inserts
    (``session_replication_role``: superuser, or from PostgreSQL 15 a SET privilege)?"""
    with connection.cursor() as cursor:
        if connection.pg_version >= 150000:  # type: ignore[attr-defined]  # psycopg backend
            cursor.execute("SELECT has_parameter_privilege('session_replication_role', 'SET')")
        else:
            cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        return bool(cursor.fetchone()[0])


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
    return add_cells(
        [
            (organisation_id, kind, survey_id, key, stage, tp, location, channel, day, score, n)
            for (kind, key, stage, tp, location, channel, day, score), n in cells.items()
        ]
    )


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
