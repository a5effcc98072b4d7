"""Public submission endpoint benchmark: widget-style JSON responses per second over HTTP,
durable (BRIEF §8: >= 3,000 responses/s, p99 < 50 ms on a 2-core machine).

    python bench/collect.py [--duration 10] [--connections 16] [--rate R] [--tuned]
                            [--workers 2] [--threads 1] [--database-url URL] [--port 8102]

Starts the real application, ``gunicorn palaute.wsgi``, on 127.0.0.1 against a fresh
database (SQLite in a temporary directory, or the PostgreSQL database
``palaute_bench_collect`` on the server of --database-url, created and dropped here), with an
organisation that allows the origin https://shop.example and one NPS + "why?" survey. Then
this process drives it with one lean event loop (raw non-blocking sockets, keep-alive when the
server offers it) posting what the widget posts: ``POST /c/<key>/responses`` with
``Origin: https://shop.example``, ``Content-Type: text/plain`` and a JSON body with a fresh
idempotency key. The per-IP rate limit stays on (raised so one client may send this much).

Without --rate the load is closed-loop: each connection sends its next request when the last
one is answered (the most the server can do). With --rate R requests are due at R per second
and latency counts from when a request was due, so a server that falls behind shows it.

Reports responses/s, p50/p95/p99/max latency, errors, the client's own CPU time, the
gunicorn workers' CPU time per request (less skewed by other work on the machine than the
wall-clock rate), and checks that the database holds exactly one response (and its answers
and score counts) per 201. ``--tuned`` runs the server with bench/collect_settings.py, the
settings change this benchmark proposes, to measure it beside the defaults.
Traffic goes to 127.0.0.1 only; the server is stopped at the end.
"""

from __future__ import annotations

import argparse
import errno
import http.client
import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BENCH_DB = "palaute_bench_collect"
BUDGET_RATE = 3000.0
BUDGET_P99_MS = 50.0
ORIGIN = "https://shop.example"
COMMENTS = ["Jono oli liian pitkä.", "The checkout page kept timing out.", ""]
DEFINITION = {
    "format": "palaute.survey/1",
    "languages": ["fi", "en"],
    "default_language": "fi",
    "title": {"fi": "Miten onnistuimme?", "en": "How did we do?"},
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
            "key": "why",
            "type": "text",
            "text": {"fi": "Mitä meidän pitäisi parantaa?", "en": "What should we improve?"},
            "show_if": {"question": "nps", "op": "lte", "value": 6},
        },
    ],
}


# --- set-up --------------------------------------------------------------------------------


def prepare_database(database_url: str | None, workdir: Path) -> str:
    if database_url is None:
        return f"sqlite:///{workdir / 'collect.sqlite3'}"
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return urlunsplit(urlsplit(database_url)._replace(path=f"/{BENCH_DB}"))


def drop_database(database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


def create_survey() -> str:
    """Migrate; create an organisation that allows ORIGIN, a touchpoint and the survey."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from palaute.accounts.models import Organisation
    from palaute.journeys.defaults import create_default_stages
    from palaute.journeys.models import Location, Touchpoint
    from palaute.surveys.publishing import create_survey as publish

    org = Organisation.objects.create(name="Bench Oy", slug="bench", allowed_origins=[ORIGIN])
    stage = create_default_stages(org)[1]
    location = Location.objects.create(organisation=org, name="Verkkokauppa")
    touchpoint = Touchpoint.objects.create(
        organisation=org, stage=stage, key="checkout", name="Checkout", channel="widget",
        location=location,
    )  # fmt: skip
    survey = publish(org, key="web", name="Web", touchpoint=touchpoint, definition=DEFINITION)
    return survey.public_key


def start_server(port: int, workers: int, threads: int, env: dict) -> subprocess.Popen:
    # gthread even with one thread: the sync worker closes every connection after a response.
    command = [
        str(Path(sys.executable).parent / "gunicorn"), "palaute.wsgi", "-k", "gthread",
        "-w", str(workers), "--threads", str(threads), "-b", f"127.0.0.1:{port}",
        "--log-level", "warning", "--keep-alive", "30", "--backlog", "2048",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_ready(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            status = conn.getresponse().status
            conn.close()
            if status == 200:
                return
            raise RuntimeError(f"GET {path}: HTTP {status}")
        except (ConnectionError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


# --- load ----------------------------------------------------------------------------------


class Requests:
    """Widget-style POSTs, each with its own idempotency key, built from a few templates."""

    def __init__(self, port: int, public_key: str, run: str):
        self.run = run
        self.count = 0
        self.head = (
            f"POST /c/{public_key}/responses HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Origin: {ORIGIN}\r\nContent-Type: text/plain;charset=UTF-8\r\n"
        )
        self.bodies = []
        for nps in range(11):
            answers = {"nps": nps}
            if nps <= 6:
                answers["why"] = COMMENTS[nps % len(COMMENTS)]
            body = {"answers": answers, "language": "fi", "channel": "widget",
                    "idempotency_key": "@KEY@"}  # fmt: skip
            self.bodies.append(json.dumps(body, ensure_ascii=False).encode().split(b"@KEY@"))

    def next(self) -> bytes:
        self.count += 1
        before, after = self.bodies[self.count % 11]
        body = before + f"{self.run}-{self.count}".encode() + after
        return f"{self.head}Content-Length: {len(body)}\r\n\r\n".encode() + body


class Conn:
    """One client connection: send a request, read one response, repeat."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""
        self.out = b""
        self.due = 0.0

    def connect(self, sel: selectors.BaseSelector) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        code = self.sock.connect_ex(("127.0.0.1", self.port))
        if code not in (0, errno.EINPROGRESS):
            raise OSError(code, os.strerror(code))
        sel.register(self.sock, selectors.EVENT_WRITE, self)

    def close(self, sel: selectors.BaseSelector) -> None:
        if self.sock is not None:
            sel.unregister(self.sock)
            self.sock.close()
            self.sock = None
        self.buffer = b""

    def response(self) -> tuple[int, bool] | None:
        """(status, keep-alive) once a whole response is in the buffer."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buffer[:end].decode("latin-1").lower()
        length = 0
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return None
        self.buffer = self.buffer[end + 4 + length :]
        return int(head[9:12]), "connection: close" not in head


def drive(port, requests, connections, duration, rate=None) -> dict:
    """Run the load for ``duration`` seconds; returns counts and latencies (ms)."""
    sel = selectors.DefaultSelector()
    conns = [Conn(port) for _ in range(connections)]
    idle: list[Conn] = []
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    errors: dict[str, int] = {}
    start = time.perf_counter()
    stop_sending = start + duration
    sent = 0

    def due_now(now: float) -> float | None:
        if now >= stop_sending:
            return None
        if rate is None:
            return now
        due = start + sent / rate
        return due if due <= now else None

    def send(conn: Conn, due: float) -> None:
        nonlocal sent
        sent += 1
        conn.due = due
        conn.out = requests.next()
        if conn.sock is None:
            conn.connect(sel)
        else:
            sel.modify(conn.sock, selectors.EVENT_WRITE, conn)

    for conn in conns:
        idle.append(conn)
    in_flight = 0
    while True:
        now = time.perf_counter()
        while idle:
            due = due_now(now)
            if due is None:
                break
            send(idle.pop(), due)
            in_flight += 1
        if in_flight == 0 and now >= stop_sending:
            break
        timeout = 0.05
        if rate is not None and idle and now < stop_sending:
            timeout = max(0.0, min(timeout, start + sent / rate - now))
        for key, events in sel.select(timeout):
            conn = key.data
            try:
                if events & selectors.EVENT_WRITE:
                    written = conn.sock.send(conn.out)
                    conn.out = conn.out[written:]
                    if not conn.out:
                        sel.modify(conn.sock, selectors.EVENT_READ, conn)
                    continue
                chunk = conn.sock.recv(65536)
                if not chunk:
                    raise ConnectionError("closed by the server")
                conn.buffer += chunk
                parsed = conn.response()
                if parsed is None:
                    continue
                status, keep_alive = parsed
                latencies.append((time.perf_counter() - conn.due) * 1000)
                statuses[status] = statuses.get(status, 0) + 1
                if not keep_alive:
                    conn.close(sel)
                in_flight -= 1
                idle.append(conn)
            except OSError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                conn.close(sel)
                in_flight -= 1
                idle.append(conn)
    elapsed = time.perf_counter() - start
    for conn in conns:
        conn.close(sel)
    return {"statuses": statuses, "latencies": latencies, "errors": errors, "elapsed": elapsed}


def server_cpu(master: int) -> float:
    """CPU seconds used so far by gunicorn's workers (Linux /proc): a figure that other work
    on the machine does not inflate the way it inflates wall-clock rates."""
    try:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        total = 0
        for pid in children:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


# --- report --------------------------------------------------------------------------------


def percentile(samples: list[float], p: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def stored() -> tuple[int, int, int]:
    """(responses, NPS answers, NPS score counts summed) in the database."""
    from django.db import connection
    from django.db.models import Sum

    from palaute.insights.models import ScoreCount
    from palaute.surveys.models import Answer, Response

    connection.close()  # a fresh connection sees everything the server committed
    counted = ScoreCount.objects.filter(kind="nps").aggregate(n=Sum("n"))["n"] or 0
    return Response.objects.count(), Answer.objects.filter(kind="nps").count(), counted


def report(
    result: dict, cpu: float, served: float, created_before: int, rows: tuple[int, int, int]
) -> bool:
    statuses, samples, elapsed = result["statuses"], result["latencies"], result["elapsed"]
    created = statuses.get(201, 0)
    rate = created / elapsed
    p50, p95, p99 = (percentile(samples, p) for p in (50, 95, 99))
    print(f"statuses: {dict(sorted(statuses.items()))}  client errors: {result['errors'] or 0}")
    print(f"latency ms: p50 {p50:.1f}  p95 {p95:.1f}  p99 {p99:.1f}  max {max(samples or [0]):.1f}")
    ok_rate, ok_p99 = rate >= BUDGET_RATE, p99 < BUDGET_P99_MS
    print(f"stored responses: {created:,} in {elapsed:.1f} s = {rate:,.0f}/s  "
          f"{'PASS' if ok_rate else 'FAIL'} (>= {BUDGET_RATE:,.0f}/s); p99 {p99:.1f} ms "
          f"{'PASS' if ok_p99 else 'FAIL'} (< {BUDGET_P99_MS:.0f} ms)")  # fmt: skip
    print(f"client CPU: {cpu:.1f} s of {elapsed:.1f} s wall (shares the server's cores)")
    answered = sum(statuses.values())
    if answered:
        per = served / answered * 1000
        print(
            f"gunicorn workers' CPU: {served:.1f} s = {per:.2f} ms per request (database "
            f"server not included) -> at most {2000 / per:,.0f}/s on 2 cores of their own"
        )
    expected = created + created_before
    consistent = rows == (expected, expected, expected)
    print(f"database check: {expected:,} responses answered 201 (incl. {created_before:,} "
          f"warm-up); stored {rows[0]:,} responses, {rows[1]:,} NPS answers, NPS counts sum to "
          f"{rows[2]:,} -> {'OK' if consistent else 'MISMATCH'}")  # fmt: skip
    return consistent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--rate", type=float, help="offered requests/s (default: closed loop)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--database-url", help="PostgreSQL server; default SQLite in a temp dir")
    parser.add_argument(
        "--tuned",
        action="store_true",
        help="run with bench/collect_settings.py (the settings changes this benchmark proposes)",
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="palaute-bench-collect-"))
    try:
        return run(args, workdir)
    finally:
        from django.db import connections

        connections.close_all()
        if args.database_url:
            drop_database(args.database_url)
        shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    env = {
        **os.environ,
        "DATABASE_URL": prepare_database(args.database_url, workdir),
        "DJANGO_SETTINGS_MODULE": "collect_settings" if args.tuned else "palaute.settings",
        "PYTHONPATH": str(ROOT / "bench"),
        "PALAUTE_DATA_DIR": str(workdir),
        "DEBUG": "false",
        "LOG_LEVEL": "ERROR",
        "ALLOWED_HOSTS": "127.0.0.1",
        "RATE_LIMIT_PUBLIC_IP": "100000000/min",  # one client sends it all; the check still runs
    }
    os.environ.update(env)
    public_key = create_survey()
    from django.db import connection

    load = "closed loop" if args.rate is None else f"{args.rate:,.0f}/s offered"
    print(
        f"settings: {env['DJANGO_SETTINGS_MODULE']}; database: {connection.vendor}; "
        f"gunicorn -k gthread -w {args.workers} --threads {args.threads} on "
        f"127.0.0.1:{args.port}; {args.connections} connections, {load}, "
        f"{args.duration:.0f} s; {os.cpu_count()} CPUs shared by server and client"
    )
    print(f"load average before the run: {os.getloadavg()[0]:.2f} (other work skews results)")
    connection.close()
    server = start_server(args.port, args.workers, args.threads, env)
    try:
        wait_ready(args.port, f"/c/{public_key}/survey.json")
        requests = Requests(args.port, public_key, run="warm")
        warm = drive(args.port, requests, min(args.connections, 8), 2.0)
        requests.run = "run"
        cpu, served = time.process_time(), server_cpu(server.pid)
        result = drive(args.port, requests, args.connections, args.duration, args.rate)
        cpu, served = time.process_time() - cpu, server_cpu(server.pid) - served
    finally:
        server.terminate()
        server.wait(timeout=30)
    ok = report(result, cpu, served, warm["statuses"].get(201, 0), stored())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
