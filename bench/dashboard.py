"""Dashboard benchmark: one survey with N responses (default 1 M), BRIEF §8.

    python bench/dashboard.py [--responses 1000000] [--database-url URL] [--keep]

Creates a fresh database (SQLite under bench/out/, or PostgreSQL database ``palaute_bench``
on the server of --database-url), loads N responses spread over 12 months (NPS + CSAT, a
comment on ~30 %), rebuilds the score counts, and times

* the metrics calls the survey dashboard makes (summary, trend, breakdowns, comments),
* the real views through Django's test client, signed in as a member:
  GET /surveys/<key>/dashboard/ and GET / (the journey map),
* org-wide metrics (a summary of every kind over the whole organisation).

Budget: dashboard p95 < 200 ms; org-wide metrics over 10 M responses < 1 s.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))

BENCH_DB = "palaute_bench"
CHUNK = 50_000
DASHBOARD_BUDGET_MS = 200.0
ORG_BUDGET_MS = 1000.0
EXTRA_SURVEYS = 9
LOCATIONS = ["Helsinki", "Tampere", "Turku"]
CHANNELS = ["web", "qr", "email"]
COMMENTS = [
    "Jono kassalle oli todella pitkä ja kukaan ei kertonut miksi.",
    "Ystävällinen henkilökunta ja hyvä kahvi, tulen uudestaan.",
    "The booking calendar on the website was easy to use.",
    "Lasku oli väärän suuruinen ja sen korjaaminen kesti viikkoja.",
    "Asentaja tuli ajallaan ja siivosi jälkensä, kiitos!",
    "We waited over 20 minutes and the table was not clean.",
    "Price was fair for the quality, but the app kept crashing.",
    "Toivoisin että asiakaspalvelu vastaisi puhelimeen nopeammin.",
]
DEFINITION = {
    "format": "palaute.survey/1",
    "languages": ["fi", "en"],
    "default_language": "fi",
    "title": {"fi": "Miten onnistuimme?", "en": "How did we do?"},
    "intro": {"fi": "Kiitos käynnistä.", "en": "Thank you for visiting."},
    "thank_you": {"fi": "Kiitos palautteesta!", "en": "Thank you for your feedback!"},
    "questions": [
        {
            "key": "nps",
            "type": "nps",
            "required": True,
            "text": {
                "fi": "Kuinka todennäköisesti suosittelisit meitä?",
                "en": "How likely are you to recommend us?",
            },
        },
        {
            "key": "csat",
            "type": "csat",
            "required": True,
            "text": {"fi": "Kuinka tyytyväinen olit?", "en": "How satisfied were you?"},
        },
        {
            "key": "why",
            "type": "text",
            "text": {"fi": "Mitä meidän pitäisi parantaa?", "en": "What should we improve?"},
        },
    ],
}
RESPONSE_COLS = [
    *("id", "organisation_id", "survey_id", "version_id", "touchpoint_id", "stage_id"),
    *("location_id", "channel", "language", "submitted_at", "idempotency_key"),
    *("contact_name", "contact_email", "contact_phone", "created_at", "device_id", "flagged"),
]
ANSWER_COLS = [
    *("id", "response_id", "organisation_id", "survey_id", "question_key", "kind"),
    *("score", "expected", "text"),
]


# --- setup ---------------------------------------------------------------------------------


def prepare_database(database_url: str | None, reuse: bool) -> str:
    """Create an empty benchmark database and return its URL (before django.setup())."""
    OUT.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        path = OUT / "dashboard.sqlite3"
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    parts = urlsplit(database_url)
    if not reuse:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
            conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def drop_database(url: str, database_url: str | None) -> None:
    from django.db import connections

    connections.close_all()
    if database_url is None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{urlsplit(url).path}{suffix}").unlink(missing_ok=True)
        return
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def create_organisation():
    """An organisation with default stages, 3 locations, a touchpoint at each, one survey."""
    from django.contrib.auth import get_user_model

    from palaute.accounts.models import Membership, Organisation, Role
    from palaute.journeys.defaults import create_default_stages
    from palaute.journeys.models import Location, Touchpoint

    org = Organisation.objects.create(name="Bench Oy", slug="bench")
    stages = create_default_stages(org)
    purchase = next(s for s in stages if s.key == "purchase")
    touchpoints = []
    for i, name in enumerate(LOCATIONS):
        location = Location.objects.create(organisation=org, name=name)
        touchpoints.append(
            Touchpoint.objects.create(
                organisation=org,
                stage=purchase,
                key=f"counter-{name.lower()}",
                name=f"Counter {name}",
                channel="qr",
                location=location,
                position=i,
            )
        )
    survey, version = add_survey(org, "visit")
    user = get_user_model().objects.create_user("bench", "bench@example.com", "bench-pass-123")
    Membership.objects.create(organisation=org, user=user, role=Role.VIEWER)
    return org, survey, version, touchpoints, user


def add_survey(org, key: str):
    from palaute.surveys.publishing import create_survey

    survey = create_survey(
        org, key=key, name=f"Survey {key}", touchpoint=None, definition=DEFINITION
    )
    return survey, survey.current_version


def generate(n, start_id, org, survey, version, touchpoints, end, rng):
    """Yield (responses, answers) chunks; submitted_at rises over the 365 days before ``end``."""
    span = timedelta(days=365).total_seconds()
    begin = end - timedelta(days=365)
    nps_weights = [2, 1, 1, 2, 2, 4, 5, 10, 18, 25, 30]
    csat_weights = [4, 6, 15, 40, 35]
    tps = [(tp.id, tp.stage_id, tp.location_id) for tp in touchpoints]
    answer_id = start_id * 3  # at most 3 answers per response: ranges never overlap
    for chunk_start in range(0, n, CHUNK):
        size = min(CHUNK, n - chunk_start)
        nps = rng.choices(range(11), nps_weights, k=size)
        csat = rng.choices(range(1, 6), csat_weights, k=size)
        where = rng.choices(tps, [5, 3, 2], k=size)
        channels = rng.choices(CHANNELS, [6, 3, 1], k=size)
        responses, answers = [], []
        for j in range(size):
            i = chunk_start + j
            rid = start_id + i
            at = (begin + timedelta(seconds=span * (i + 0.5) / n)).isoformat(sep=" ")
            tp, stage, location = where[j]
            responses.append(
                (rid, org.id, survey.id, version.id, tp, stage, location, channels[j],
                 "fi" if i % 4 else "en", at, f"bench-{rid}", "", "", "", at, "", "")
            )  # fmt: skip
            common = (rid, org.id, survey.id)
            answers.append((answer_id, *common, "nps", "nps", nps[j], None, ""))
            answers.append((answer_id + 1, *common, "csat", "csat", csat[j], None, ""))
            answer_id += 2
            if rng.random() < 0.3:
                text = COMMENTS[rng.randrange(len(COMMENTS))]
                answers.append((answer_id, *common, "why", "text", None, None, text))
                answer_id += 1
        yield responses, answers


def insert_responses(plan, org, touchpoints) -> tuple[int, float]:
    """Insert responses for each (survey, version, n) of ``plan``; return (rows, seconds)."""
    from django.db import connection

    rng = random.Random(42)
    end = datetime.now(UTC).replace(microsecond=0)
    load = _copy_postgresql if connection.vendor == "postgresql" else _executemany_sqlite
    rows, next_id = 0, 1
    started = time.perf_counter()
    for survey, version, n in plan:
        rows += load(generate(n, next_id, org, survey, version, touchpoints, end, rng))
        next_id += n
    if connection.vendor == "postgresql":
        _reset_sequences()
    return rows, time.perf_counter() - started


def _executemany_sqlite(chunks) -> int:
    from django.db import connection, transaction

    connection.ensure_connection()
    raw = connection.connection  # the sqlite3 connection: no per-row Django overhead
    r_sql = _insert_sql("surveys_response", RESPONSE_COLS, "?")
    a_sql = _insert_sql("surveys_answer", ANSWER_COLS, "?")
    rows = 0
    for responses, answers in chunks:
        with transaction.atomic():  # one transaction per chunk
            raw.executemany(r_sql, responses)
            raw.executemany(a_sql, answers)
        rows += len(responses) + len(answers)
    return rows


def _copy_postgresql(chunks) -> int:
    from django.db import connection, transaction

    rows = 0
    for responses, answers in chunks:
        with transaction.atomic(), connection.cursor() as cursor:
            raw = cursor.cursor  # the psycopg cursor
            for table, cols, data in (
                ("surveys_response", RESPONSE_COLS, responses),
                ("surveys_answer", ANSWER_COLS, answers),
            ):
                with raw.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in data:
                        copy.write_row(row)
        rows += len(responses) + len(answers)
    return rows


def _reset_sequences() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("surveys_response", "surveys_answer"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )


def _insert_sql(table: str, cols: list[str], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join([mark] * len(cols))})"


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def load_data(responses: int, org_responses: int):
    """Migrate, create the organisation, insert the responses, rebuild the counts."""
    from palaute.insights import rollup

    migrate()
    org, survey, version, touchpoints, user = create_organisation()

    plan = [(survey, version, responses)]
    extra = org_responses // EXTRA_SURVEYS
    if extra:
        plan += [(*add_survey(org, f"extra-{i}"), extra) for i in range(EXTRA_SURVEYS)]
    total = sum(n for _, _, n in plan)
    print(f"inserting {total:,} responses in {len(plan)} survey(s) …")
    rows, seconds = insert_responses(plan, org, touchpoints)
    print(f"insert: {rows:,} rows in {seconds:.1f} s = {rows / seconds:,.0f} rows/s "
          f"({total / seconds:,.0f} responses/s)")  # fmt: skip
    started = time.perf_counter()
    written = rollup.rebuild(organisation_id=org.id, time_zone=org.time_zone)
    print(f"rollup.rebuild: {written:,} count rows in {time.perf_counter() - started:.1f} s")
    analyze()  # planner statistics, as autovacuum (PostgreSQL) or PRAGMA optimize would give
    return org, survey, user, total


def existing_organisation():
    from django.contrib.auth import get_user_model

    from palaute.accounts.models import Organisation
    from palaute.surveys.models import Response, Survey

    org = Organisation.objects.get(slug="bench")
    survey = Survey.objects.get(organisation=org, key="visit")
    user = get_user_model().objects.get(username="bench")
    return org, survey, user, Response.objects.filter(organisation=org).count()


# --- measure -------------------------------------------------------------------------------


def timed(fn, runs: int, warmups: int = 3) -> list[float]:
    for _ in range(warmups):
        fn()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def dashboard_calls(org, survey) -> dict[str, list]:
    """What GET /surveys/<key>/dashboard/ asks of metrics.py (insights/views.py), by function:
    the last 365 days; summary + monthly trend per scored question; breakdowns by channel,
    touchpoint and location for the main question; the latest comments. Name -> thunks."""
    from palaute.insights import metrics

    today = datetime.now(ZoneInfo(org.time_zone)).date()
    scope = metrics.Scope(
        organisation_id=org.id, survey_id=survey.id, start=today - timedelta(days=364), end=today
    )
    calls: dict[str, list] = {"question_kinds": [lambda: metrics.question_kinds(scope)]}
    scored = [
        (k, kind) for k, kind in metrics.question_kinds(scope) if kind in metrics.METRIC_KINDS
    ]
    for key, kind in scored:
        q = replace(scope, question_key=key)
        calls.setdefault("summary", []).append(lambda q=q, k=kind: metrics.summary(q, k))
        calls.setdefault("trend (month)", []).append(lambda q=q, k=kind: metrics.trend(q, k))
    main, kind = scored[0]
    for by in ("channel", "touchpoint", "location"):
        q = replace(scope, question_key=main)
        calls[f"breakdown by {by}"] = [lambda q=q, by=by: metrics.breakdown(q, kind, by)]
    calls["latest_comments"] = [lambda: metrics.latest_comments(scope)]
    return calls


def run_all(thunks) -> None:
    for thunk in thunks:
        thunk()


def org_metrics(org):
    """Org-wide, all time: a summary of every metric kind over all surveys and touchpoints."""
    from palaute.insights import metrics

    scope = metrics.Scope(organisation_id=org.id)
    return [metrics.summary(scope, kind) for kind in metrics.METRIC_KINDS]


def http_client(user):
    from django.test import Client

    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # failures are printed below
    client = Client()
    client.force_login(user)
    return client


def get_ok(client, url: str):
    def fetch():
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
        return response

    return fetch


# --- report --------------------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(name: str, samples: list[float], budget_ms: float | None = None) -> None:
    p50, p95 = statistics.median(samples), percentile(samples, 95)
    line = f"{name:<42} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  max {max(samples):7.1f} ms"
    if budget_ms is not None:
        verdict = "PASS" if p95 < budget_ms else "FAIL"
        line += f"  {verdict} (p95 < {budget_ms:.0f} ms)"
    print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument(
        "--org-responses",
        type=int,
        default=0,
        help=f"extra responses spread over {EXTRA_SURVEYS} more surveys (org-wide figure)",
    )
    parser.add_argument("--database-url", help="PostgreSQL server; default SQLite in bench/out")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)

    url = prepare_database(args.database_url, reuse=args.reuse)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "palaute.settings")
    os.environ["DEBUG"] = "false"
    import django

    django.setup()
    from django.db import connection

    busy = os.getloadavg()[0]
    print(f"database: {connection.vendor} ({url}); {os.cpu_count()} CPUs; load {busy:.2f}")
    if args.reuse:
        org, survey, user, total = existing_organisation()
        print(f"reusing {total:,} responses from an earlier --keep run")
    else:
        org, survey, user, total = load_data(args.responses, args.org_responses)

    print(f"\ntimings, {args.requests} runs after 3 warm-ups:")
    calls = dashboard_calls(org, survey)
    everything = [thunk for thunks in calls.values() for thunk in thunks]
    report("dashboard metrics calls, all", timed(lambda: run_all(everything), args.requests),
           DASHBOARD_BUDGET_MS)  # fmt: skip
    for name, thunks in calls.items():
        report(f"  {name} (x{len(thunks)})", timed(lambda t=thunks: run_all(t), args.requests))
    client = http_client(user)
    for label, path in (("GET /surveys/<key>/dashboard/", f"/surveys/{survey.key}/dashboard/"),
                        ("GET / (journey map)", "/")):  # fmt: skip
        try:
            report(label, timed(get_ok(client, path), args.requests), DASHBOARD_BUDGET_MS)
        except Exception as exc:  # the view may not exist yet
            print(f"{label:<42} not measured: {exc}")
    report(f"org-wide summaries ({total:,} responses)",
           timed(lambda: org_metrics(org), args.requests), ORG_BUDGET_MS)  # fmt: skip

    if not args.keep:
        drop_database(url, args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
