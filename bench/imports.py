"""Bulk import benchmark: N rows of historical responses from a CSV file (BRIEF §8:
≥ 100,000 rows/s, 1 M rows < 10 s), and an XLSX file with fewer rows.

    python bench/imports.py [--rows 1000000] [--existing 200000] [--xlsx-rows 100000]
                            [--database-url postgres://user@127.0.0.1:5432/postgres] [--keep]

Creates a fresh database (SQLite in a temporary directory, or the PostgreSQL database
``palaute_bench_imports`` on the server of --database-url, dropped afterwards), migrates, and
creates an organisation with three touchpoints and one survey (NPS + CSAT + comment). It then

1. imports ``--existing`` rows from another file, so the measured import goes into a survey
   that already has data;
2. writes a "typical" CSV of ``--rows`` rows — date and time, touchpoint key, NPS, CSAT and a
   comment on ~85 % of rows (≈ 2.85 answer rows per response) — and times
   * the dry run (read + check every row + look up already-imported keys),
   * the import (the same, plus inserting responses and answers, plus the score counts),
     with its parts: checking (in the worker thread), database work, counts;
3. times ``rollup.rebuild`` for the survey (the alternative to the incremental counts) and
   checks that it yields exactly the cells the import wrote;
4. imports the same file again (every row is recognised as already imported);
5. the same for an XLSX file of ``--xlsx-rows`` rows (openpyxl, read-only mode).

Figures are rows of the file per second, end to end (the call that a view or the CLI makes);
each row stores one response and its answers (≈ 3.85 database rows). Each step also prints
the CPU seconds of this process (all threads; SQLite works inside it) and, for a PostgreSQL
server on this machine, of the server process behind the connection, with the load average
before and after. On a shared machine wall time follows the other work: compare variants by
CPU seconds over repeated runs. The CPU seconds of the two import threads (reading +
checking, and the database) give an estimate for an otherwise idle two-core machine. On
SQLite the checkpoint that follows an import in the background is waited for, timed and
kept out of the next step.
``--experiment-sql`` changes the throw-away schema first (e.g. drops an index) to show what it
costs; such runs are labelled and are not the shipped schema.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "palaute_bench_imports"
BUDGET_ROWS_PER_S = 100_000
TOUCHPOINTS = ["counter", "terrace", "webshop"]
COMMENTS = [
    "Jono kassalle oli todella pitkä ja kukaan ei kertonut miksi.",
    "Ystävällinen henkilökunta ja hyvä kahvi, tulen uudestaan.",
    "The booking calendar on the website was easy to use.",
    "Lasku oli väärän suuruinen ja sen korjaaminen kesti viikkoja.",
    "Asentaja tuli ajallaan ja siivosi jälkensä, kiitos!",
    "We waited over 20 minutes and the table was not clean.",
]
DEFINITION = {
    "format": "palaute.survey/1",
    "languages": ["fi", "en"],
    "default_language": "fi",
    "title": {"fi": "Miten onnistuimme?", "en": "How did we do?"},
    "questions": [
        {"key": "nps", "type": "nps", "required": True,
         "text": {"fi": "Suosittelisitko meitä?", "en": "Would you recommend us?"}},
        {"key": "csat", "type": "csat",
         "text": {"fi": "Kuinka tyytyväinen olit?", "en": "How satisfied were you?"}},
        {"key": "comment", "type": "text",
         "text": {"fi": "Kerro lisää", "en": "Tell us more"}},
    ],
}  # fmt: skip
HEADER = ["Päivämäärä", "Touchpoint", "NPS", "CSAT", "Kommentti"]


# --- data ----------------------------------------------------------------------------------


def rows(n: int, seed: int, end: datetime):
    """n rows over the year before ``end``, in time order, local time as ISO text."""
    rng = random.Random(seed)
    step = timedelta(days=365) / max(n, 1)
    begin = end - timedelta(days=365)
    nps = rng.choices(range(11), [2, 1, 1, 2, 2, 4, 5, 10, 18, 25, 30], k=n)
    csat = rng.choices(range(1, 6), [4, 6, 15, 40, 35], k=n)
    where = rng.choices(TOUCHPOINTS, [5, 3, 2], k=n)
    for i in range(n):
        at = (begin + step * i).strftime("%Y-%m-%d %H:%M:%S")
        comment = COMMENTS[i % len(COMMENTS)] if rng.random() < 0.85 else ""
        yield [at, where[i], nps[i], csat[i], comment]


def write_csv(path: Path, n: int, seed: int, end: datetime) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(n, seed, end))


def write_xlsx(path: Path, n: int, seed: int, end: datetime) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Vastaukset")
    sheet.append(HEADER)
    for at, where, nps, csat, comment in rows(n, seed, end):
        # Dates as real datetime cells, as Excel saves them.
        sheet.append([datetime.fromisoformat(at), where, nps, csat, comment])
    workbook.save(path)


# --- database ------------------------------------------------------------------------------


def prepare_database(database_url: str | None, workdir: Path) -> str:
    if database_url is None:
        return f"sqlite:///{workdir / 'imports.sqlite3'}"
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{BENCH_DB}"))


def drop_database(database_url: str | None) -> None:
    from django.db import connections

    connections.close_all()
    if database_url is None:
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def create_survey():
    from django.core.management import call_command

    from palaute.accounts.models import Organisation
    from palaute.journeys.defaults import create_default_stages
    from palaute.journeys.models import Location, Touchpoint
    from palaute.surveys.publishing import create_survey as create

    call_command("migrate", verbosity=0, interactive=False)
    org = Organisation.objects.create(name="Bench Oy", slug="bench")
    stage = next(s for s in create_default_stages(org) if s.key == "purchase")
    touchpoints = []
    for i, key in enumerate(TOUCHPOINTS):
        location = Location.objects.create(organisation=org, name=f"Place {i}")
        touchpoints.append(
            Touchpoint.objects.create(
                organisation=org, stage=stage, key=key, name=key.title(), channel="web",
                location=location, position=i,
            )
        )  # fmt: skip
    survey = create(
        org, key="visits", name="Visits", touchpoint=touchpoints[0], definition=DEFINITION
    )
    return survey


def counts(survey) -> list[tuple]:
    from palaute.insights.models import ScoreCount

    return sorted(
        ScoreCount.objects.filter(survey_id=survey.pk).values_list(
            "question_key", "kind", "stage_id", "touchpoint_id", "location_id", "channel", "day",
            "score", "n",
        )
    )  # fmt: skip


# --- measure -------------------------------------------------------------------------------


def mapping_for(path: Path, survey) -> list[str]:
    from palaute.channels.import_files import open_table
    from palaute.channels.import_mapping import suggest
    from palaute.surveys.publishing import current_definition

    with open_table(path) as table:
        mapping = suggest(table.headers, current_definition(survey)[1])
    expected = ["submitted_at", "touchpoint", "q:nps", "q:csat", "q:comment"]
    if mapping != expected:
        raise SystemExit(f"suggested mapping {mapping} is not {expected}")
    return mapping


def line(label: str, n: int, seconds: float, budget: bool = False) -> None:
    text = f"{label:<44} {n:>10,} rows {seconds:7.2f} s {n / seconds:>11,.0f} rows/s"
    if budget:
        verdict = "PASS" if n / seconds >= BUDGET_ROWS_PER_S else "FAIL"
        text += f"  {verdict} (≥ {BUDGET_ROWS_PER_S:,} rows/s)"
    print(text, flush=True)


def process_cpu() -> tuple[float, float]:
    """(user, system) CPU seconds of this process so far, all threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def server_cpu() -> float | None:
    """CPU seconds so far of the PostgreSQL server process behind our connection, when the
    server runs on this machine; None for SQLite (it works inside this process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # a server on another machine
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for_checkpoint() -> float | None:
    """Seconds the SQLite checkpoint after the latest import took (it runs in a thread once
    the import has returned; waiting keeps it out of the next measurement)."""
    from palaute.channels.import_store import Checkpoint

    checkpoint = Checkpoint.wait()
    if checkpoint is None:
        return None
    Checkpoint.latest = None
    return checkpoint.seconds


class Usage:
    """Wall time, CPU time and load around one measured call. The machine is shared, so
    wall time is noisy: compare variants by CPU seconds, over repeated runs."""

    def __enter__(self) -> Usage:
        self.load_before = os.getloadavg()[0]
        self.cpu_before = process_cpu()
        self.server_before = server_cpu()
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc_info) -> None:
        self.seconds = time.perf_counter() - self.started
        user, system = process_cpu()
        self.user = user - self.cpu_before[0]
        self.system = system - self.cpu_before[1]
        server = server_cpu()
        self.server = None if server is None else server - (self.server_before or 0.0)
        self.load_after = os.getloadavg()[0]

    def report(self) -> str:
        total = self.user + self.system
        text = f"  CPU: this process {total:.2f} s (user {self.user:.2f}, sys {self.system:.2f})"
        if self.server is not None:
            text += f", PostgreSQL server process {self.server:.2f} s"
        return f"{text}; load average {self.load_before:.2f} → {self.load_after:.2f}"


def measure_file(label: str, path: Path, survey, n: int, compare_rebuild: bool) -> None:
    from django.db import connection

    from palaute.channels import imports
    from palaute.insights import rollup
    from palaute.surveys.models import Answer, Response

    mapping = mapping_for(path, survey)
    with Usage() as usage:
        report = imports.dry_run(survey, path, mapping)
    line(f"{label}: dry run (read + check)", n, usage.seconds)
    print(usage.report())
    assert report.ok and report.good == n, (report.errors, report.problems[:5], report.good)

    answers_before = Answer.objects.filter(survey=survey).count()
    with Usage() as usage:
        report = imports.run_import(survey, path, mapping, filename=path.name)
    seconds = usage.seconds
    line(f"{label}: import (end to end)", n, seconds, budget=True)
    assert report.imported == n, (report.errors, report.problems[:5])
    print(usage.report())
    checkpoint = wait_for_checkpoint()
    if checkpoint is not None:
        print(f"  then, in the background: checkpoint of the write-ahead log {checkpoint:.2f} s "
              f"(import + checkpoint {seconds + checkpoint:.2f} s)")  # fmt: skip
    t = report.timings
    answers = Answer.objects.filter(survey=survey).count() - answers_before
    print(
        f"  wall: read + check {t['read_check']:.2f} s (worker thread, overlaps the "
        f"database), database {t['database']:.2f} s (look-ups and inserts), counts "
        f"{t['counts']:.2f} s, commit {t['commit']:.2f} s; "
        f"{answers:,} answer rows ({answers / n:.2f} per response), so "
        f"{(n + answers) / seconds:,.0f} database rows/s"
    )
    # CPU seconds per thread: the import takes about the larger of the two plus the counts
    # and the commit. On SQLite the database thread's CPU includes SQLite's own work; on
    # PostgreSQL it is the client's side of COPY, the server's is the figure above.
    busiest = max(t["read_check_cpu"], t["database_cpu"]) + t["commit"] + t["counts"]
    print(f"  CPU by thread: read + check {t['read_check_cpu']:.2f} s, database "
          f"{t['database_cpu']:.2f} s, commit (wall) {t['commit']:.2f} s")  # fmt: skip
    if connection.vendor == "sqlite":
        print(f"  → on an idle 2-core machine ≈ {busiest:.1f} s "
              f"({n / busiest:,.0f} rows/s, an estimate from the CPU figures)")  # fmt: skip

    if compare_rebuild:
        incremental = counts(survey)
        org = survey.organisation
        started = time.perf_counter()
        rollup.rebuild(organisation_id=org.pk, survey_id=survey.pk, time_zone=org.time_zone)
        rebuilt_s = time.perf_counter() - started
        total = Response.objects.filter(survey=survey).count()
        same = "identical" if counts(survey) == incremental else "DIFFERENT"
        print(f"  rollup.rebuild of the survey ({total:,} responses): {rebuilt_s:.2f} s "
              f"vs incremental counts {t['counts']:.2f} s; cells {same}")  # fmt: skip

    with Usage() as usage:
        again = imports.run_import(survey, path, mapping, filename=path.name)
    wait_for_checkpoint()
    line(f"{label}: same file again (all duplicates)", n, usage.seconds)
    print(usage.report())
    assert again.imported == 0 and again.duplicates == n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--existing", type=int, default=200_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--database-url", help="PostgreSQL server; default SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the files and database")
    parser.add_argument(
        "--experiment-sql",
        action="append",
        default=[],
        metavar="SQL",
        help="run this on the fresh database before measuring, e.g. "
        "'DROP INDEX response_tp_time' to see what an index costs",
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="palaute-bench-imports-"))
    url = prepare_database(args.database_url, workdir)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palaute.settings")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.db import connection

    from palaute.channels import imports

    print(f"database: {connection.vendor}; {os.cpu_count()} CPUs; "
          f"load {os.getloadavg()[0]:.2f}; files in {workdir}")  # fmt: skip
    survey = create_survey()
    for sql in args.experiment_sql:
        print(f"EXPERIMENT, not the shipped schema: {sql}")
        with connection.cursor() as cursor:
            cursor.execute(sql)
    end = datetime.now().replace(microsecond=0) - timedelta(days=1)
    try:
        if args.existing:
            existing = workdir / "earlier.csv"
            write_csv(existing, args.existing, seed=7, end=end - timedelta(days=365))
            started = time.perf_counter()
            report = imports.run_import(survey, existing, mapping_for(existing, survey))
            assert report.imported == args.existing, report.errors or report.problems[:3]
            wait_for_checkpoint()
            line("earlier data, imported first", args.existing, time.perf_counter() - started)

        path = workdir / "responses.csv"
        started = time.perf_counter()
        write_csv(path, args.rows, seed=1, end=end)
        size = path.stat().st_size / 1e6
        print(f"wrote {path.name}: {args.rows:,} rows, {size:.0f} MB in "
              f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        measure_file("CSV", path, survey, args.rows, compare_rebuild=True)

        if args.xlsx_rows:
            xlsx = workdir / "responses.xlsx"
            started = time.perf_counter()
            write_xlsx(xlsx, args.xlsx_rows, seed=2, end=end - timedelta(days=730))
            print(f"wrote {xlsx.name}: {args.xlsx_rows:,} rows, {xlsx.stat().st_size / 1e6:.0f} MB "
                  f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
            measure_file("XLSX", xlsx, survey, args.xlsx_rows, compare_rebuild=False)
    finally:
        if not args.keep:
            drop_database(args.database_url)
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
