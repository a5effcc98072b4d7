"""Importing historical responses from a CSV or XLSX file (BRIEF §2 "earlier survey results").

    report = dry_run(survey, path, mapping)                 # every problem, nothing stored
    report = run_import(survey, path, mapping, user=user)   # all rows or none
    undo_import(batch, user=user)                           # remove a whole import

A dry run reads and checks every row and reports every problem as (row as the file shows it,
column header, value, message), plus how many rows are good and how many were imported
before (their idempotency keys already exist in the survey; see ``import_rows``).

An import does the same inside one transaction and stores the good rows as it goes; if any
row has a problem, the transaction is rolled back, so nothing is half-written. Otherwise the
transaction also holds the ``ImportBatch``, the score counts of the new answers and the audit
entry. Rows imported before are skipped, not errors.

Speed: reading and checking run in a second thread while the database stores the previous
chunk (``import_pipeline``), so on two cores an import costs about as long as the slower of
the two.
"""

from __future__ import annotations

import csv
import time
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palaute.accounts.models import record_audit
from palaute.channels import import_mapping, import_store
from palaute.channels.import_files import CHUNK_ROWS, FIRST_CHUNK_ROWS, TableError, open_table
from palaute.channels.import_pipeline import CheckedChunks, gc_paused
from palaute.channels.import_rows import Checked, Checker, Problem
from palaute.insights import rollup
from palaute.journeys.models import Touchpoint
from palaute.surveys.models import ImportBatch
from palaute.surveys.publishing import current_definition
from palaute.text.hooks import request_reanalysis

SHOWN_PROBLEMS = 100


@dataclass
class Report:
    """What a dry run found, or what an import did."""

    filename: str = ""
    rows: int = 0  # data rows read (blank rows are not counted)
    good: int = 0  # rows without problems that are new to the survey
    bad_rows: int = 0
    duplicates: int = 0  # rows imported before: skipped
    hidden_answers: int = 0  # answers dropped because the row's own answers hide the question
    problem_count: int = 0
    problems: list[Problem] = field(default_factory=list)  # the first SHOWN_PROBLEMS
    errors: list[str] = field(default_factory=list)  # the file or the mapping is unusable
    imported: int = 0
    batch: ImportBatch | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.problem_count

    @property
    def importable(self) -> bool:
        return self.ok and self.good > 0


class _Rollback(Exception):
    pass


def dry_run(
    survey, path: str | Path, mapping: list[str], *, sheet: str = "", problems_to=None
) -> Report:
    """Check every row; store nothing. ``problems_to``: a file-like object that receives
    every problem as CSV."""
    return _run(survey, path, mapping, sheet=sheet, problems_to=problems_to, store=None)


def run_import(
    survey,
    path: str | Path,
    mapping: list[str],
    *,
    filename: str = "",
    user=None,
    sheet: str = "",
    problems_to=None,
) -> Report:
    """Check every row and store them all in one transaction, or store nothing."""
    store = {"filename": filename or Path(path).name, "user": user}
    return _run(survey, path, mapping, sheet=sheet, problems_to=problems_to, store=store)


def undo_import(batch: ImportBatch, *, user=None) -> int:
    """Delete an import's responses and answers (and what hangs off them) and rebuild the
    survey's counts, in one transaction. Returns the number of responses deleted."""
    survey = batch.survey
    organisation = survey.organisation
    with transaction.atomic():
        deleted = import_store.delete_batch_responses(batch)
        record_audit(
            organisation,
            user,
            "responses.import_undo",
            survey.key,
            {"batch": batch.pk, "file": batch.filename, "responses": deleted},
        )
        batch.delete()
        rollup.rebuild(
            organisation_id=organisation.pk, survey_id=survey.pk, time_zone=organisation.time_zone
        )
    return deleted


# ---------------------------------------------------------------------------------- run


def _run(survey, path, mapping, *, sheet, problems_to, store) -> Report:
    started = time.perf_counter()
    report = Report(filename=(store or {}).get("filename") or Path(path).name)
    current = current_definition(survey)
    if current is None:
        report.errors.append(_("This survey has no published version."))
        return report
    version, definition = current
    try:
        table = open_table(path, sheet)
    except TableError as exc:
        report.errors.append(str(exc))
        return report
    with table:
        mapping = list(mapping) + [import_mapping.IGNORE] * (len(table.headers) - len(mapping))
        report.errors += import_mapping.check(mapping, table.headers, definition)
        if report.errors:
            return report
        organisation = survey.organisation
        checker = Checker(
            survey=survey,
            definition=definition,
            mapping=mapping,
            headers=table.headers,
            touchpoints=list(Touchpoint.objects.filter(organisation=organisation)),
            tz=zoneinfo.ZoneInfo(organisation.time_zone),
            now=timezone.now(),
        )
        sink = _ProblemSink(problems_to)
        payloads = store is not None and connection.vendor == "sqlite"

        def check(rows):
            checked = checker.check(rows)
            if store is not None:
                checked = import_store.in_time_order(checked)
            return checked, import_store.prepare(checked, checker.constants, payloads=payloads)

        with gc_paused():
            chunks = CheckedChunks(table.chunks(CHUNK_ROWS, FIRST_CHUNK_ROWS), check)
            try:
                if store is None:
                    _consume(report, chunks, survey, sink, writer=None)
                else:
                    _import(report, chunks, survey, version, checker, sink, store, table, mapping)
            except TableError as exc:
                report.errors.append(str(exc))
            finally:
                chunks.close()
        report.timings["read_check"] = chunks.busy
        report.timings["read_check_cpu"] = chunks.cpu
    report.timings["total"] = time.perf_counter() - started
    return report


def _import(report, chunks, survey, version, checker, sink, store, table, mapping) -> None:
    try:
        with import_store.bulk_session(), transaction.atomic():
            batch = _store(report, chunks, survey, version, checker, sink, store, table, mapping)
            committing = time.perf_counter()
    except _Rollback:
        return
    # On SQLite the commit writes the changed pages to the write-ahead log; copying them
    # into the database file follows in the background (import_store.Checkpoint).
    report.timings["commit"] = time.perf_counter() - committing
    report.imported = report.good
    report.batch = batch


def _store(report, chunks, survey, version, checker, sink, store, table, mapping) -> ImportBatch:
    """The body of the import transaction; raises _Rollback to store nothing."""
    organisation = survey.organisation
    import_store.start(survey.pk)
    batch = ImportBatch.objects.create(
        organisation=organisation,
        survey=survey,
        filename=store["filename"][:200],
        mapping={"columns": import_mapping.as_json(mapping, table.headers), "sheet": table.sheet},
        created_by=store["user"] if getattr(store["user"], "pk", None) else None,
    )
    writer = import_store.Writer(
        survey=survey, version=version, batch=batch, constants=checker.constants
    )
    cells: Counter = Counter()
    _consume(report, chunks, survey, sink, writer=writer, cells=cells)
    if not report.ok or not report.good:
        raise _Rollback
    try:
        import_store.check_parents(survey, version, writer.touchpoints)
    except import_store.ImportConflict as exc:
        report.errors.append(
            _("The survey or its touchpoints changed during the import (%(what)s); "
              "nothing was imported. Check the file again.")
            % {"what": exc}
        )  # fmt: skip
        raise _Rollback from None
    counting = time.perf_counter()
    import_store.add_counts(cells, organisation_id=organisation.pk, survey_id=survey.pk)
    report.timings["counts"] = time.perf_counter() - counting
    batch.rows = report.good
    batch.save(update_fields=["rows"])
    record_audit(
        organisation,
        store["user"],
        "responses.import",
        survey.key,
        {
            "batch": batch.pk,
            "file": batch.filename,
            "responses": report.good,
            "already_imported": report.duplicates,
        },
    )
    if writer.wrote_text:
        # Imported comments get sentiment and themes like live ones, in the background once
        # the import commits. The text app offers only a whole-organisation re-analysis so far.
        request_reanalysis(organisation.pk)
    return batch


def _consume(report, chunks, survey, sink, *, writer, cells=None) -> None:
    """Account for each checked chunk; with a writer, store it while nothing has failed."""
    storing = storing_cpu = 0.0
    for checked, prepared in chunks:
        report.rows += checked.rows
        report.bad_rows += checked.bad_rows
        report.hidden_answers += checked.hidden_answers
        for problem in checked.problems:
            report.problem_count += 1
            if len(report.problems) < SHOWN_PROBLEMS:
                report.problems.append(problem)
            sink.write(problem)
        started, started_cpu = time.perf_counter(), time.thread_time()
        existing = import_store.existing_keys(survey.pk, checked, prepared)
        if existing:
            report.duplicates += len(existing)
            checked = _without(checked, existing)
            if writer is not None:
                payloads = bool(prepared.responses_json)
                prepared = import_store.prepare(checked, writer.constants, payloads=payloads)
        report.good += len(checked.keys)
        if writer is not None and report.ok:
            writer.write(checked, prepared)
            cells.update(prepared.cells)
        storing += time.perf_counter() - started
        storing_cpu += time.thread_time() - started_cpu
    report.timings["database"] = storing
    report.timings["database_cpu"] = storing_cpu


def _without(checked: Checked, keys: set[str]) -> Checked:
    """The chunk without the rows whose keys are in ``keys`` (already accounted for: no
    problems or bad rows left to report)."""
    kept = checked.take([i for i, key in enumerate(checked.keys) if key not in keys])
    kept.problems, kept.bad_rows, kept.hidden_answers = [], 0, 0
    return kept


class _ProblemSink:
    """Writes every problem as a CSV row to a file-like object (or nowhere)."""

    def __init__(self, target):
        self.writer = csv.writer(target) if target is not None else None
        if self.writer is not None:
            self.writer.writerow(["row", "column", "value", "problem"])

    def write(self, problem: Problem) -> None:
        if self.writer is not None:
            self.writer.writerow([problem.row, problem.column, problem.value, problem.message])
