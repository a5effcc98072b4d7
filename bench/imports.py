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
each row stores one response and its answers (≈ 3.85 database rows). On SQLite the script
also prints the CPU seconds of the two threads (reading + checking, and the database), which
estimate the time on an otherwise idle machine when the benchmark machine is busy.
``--experiment-sql`` changes the throw-away schema first (e.g. drops an index) to show what it
costs; such runs are labelled and are not the shipped schema.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
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


def measure_file(label: str, path: Path, survey, n: int, compare_rebuild: bool) -> None:
    from django.db import connection

    from palaute.channels import imports
    from palaute.insights import rollup
    from palaute.surveys.models import Answer, Response

    mapping = mapping_for(path, survey)
    started = time.perf_counter()
    report = imports.dry_run(survey, path, mapping)
    line(f"{label}: dry run (read + check)", n, time.perf_counter() - started)
    assert report.ok and report.good == n, (report.errors, report.problems[:5], report.good)

    answers_before = Answer.objects.filter(survey=survey).count()
    started = time.perf_counter()
    report = imports.run_import(survey, path, mapping, filename=path.name)
    seconds = time.perf_counter() - started
    line(f"{label}: import (end to end)", n, seconds, budget=True)
    assert report.imported == n, (report.errors, report.problems[:5])
    t = report.timings
    answers = Answer.objects.filter(survey=survey).count() - answers_before
    print(
        f"  wall: read + check {t['read_check']:.2f} s (worker thread, overlaps the "
        f"database), database {t['database']:.2f} s (look-ups and inserts), counts "
        f"{t['counts']:.2f} s, commit {t['commit']:.2f} s; "
        f"{answers:,} answer rows ({answers / n:.2f} per response), so "
        f"{(n + answers) / seconds:,.0f} database rows/s"
    )
    # CPU seconds per thread (SQLite works inside this process): what the two cores of an
    # otherwise idle machine would spend. The import takes about the larger of the two plus
    # the commit. An estimate for a busy machine, not a measurement.
    busiest = max(t["read_check_cpu"], t["database_cpu"]) + t["commit"] + t["counts"]
    if connection.vendor == "sqlite":
        print(f"  CPU: read + check thread {t['read_check_cpu']:.2f} s, database thread "
              f"{t['database_cpu']:.2f} s → on an idle 2-core machine ≈ {busiest:.1f} s "
              f"({n / busiest:,.0f} rows/s, estimate)")  # fmt: skip

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

    started = time.perf_counter()
    again = imports.run_import(survey, path, mapping, filename=path.name)
    line(f"{label}: same file again (all duplicates)", n, time.perf_counter() - started)
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
        "'DROP INDEX surveys_response_survey_id_907701cf' to see what an index costs",
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
