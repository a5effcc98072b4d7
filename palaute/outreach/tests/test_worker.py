"""The job queue: retries with backoff, recovery of jobs whose worker died, a worker killed
in the middle of sending (real processes), and two workers sharing 1,000 jobs on PostgreSQL."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from palaute.outreach.jobs import RetryLater, backoff_seconds, retrying
from palaute.outreach.models import JobFailure, WorkerHeartbeat
from palaute.outreach.tests.conftest import free_port
from palaute.outreach.worker import MAX_RUNS, recover_stale_jobs

REPO = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


# ------------------------------------------------------------------ retry wrapper units


@retrying(max_attempts=3, base_delay=10, max_delay=100)
def flaky_job(mode: str) -> str:
    if mode == "later":
        raise RetryLater(timezone.now() + timedelta(minutes=5), "not yet")
    if mode == "fail":
        raise ValueError("broken")
    return "done"


def test_backoff_doubles_and_is_capped():
    for attempt, expected in ((1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (9, 100)):
        assert expected * 0.8 <= backoff_seconds(attempt, 10, 100) <= expected * 1.2


@pytest.mark.django_db
def test_retrying_reenqueues_until_max_attempts():
    with pytest.raises(ValueError):
        flaky_job.call("fail")
    first = DBTaskResult.objects.get()
    assert first.args_kwargs == {"args": ["fail"], "kwargs": {"_attempt": 2}}
    with pytest.raises(ValueError):
        flaky_job.call("fail", _attempt=2)
    with pytest.raises(ValueError):
        flaky_job.call("fail", _attempt=3)
    # The last attempt records the failure with no retry time, and enqueues nothing.
    assert DBTaskResult.objects.count() == 2
    failures = list(JobFailure.objects.order_by("attempt").values_list("attempt", "retry_at"))
    assert [a for a, _ in failures] == [1, 2, 3]
    assert failures[-1][1] is None and all(r is not None for _, r in failures[:-1])
    assert JobFailure.objects.first().error == "ValueError: broken"


@pytest.mark.django_db
def test_retry_later_does_not_count_an_attempt():
    result = flaky_job.call("later", _attempt=2)
    assert result["reason"] == "not yet"
    job = DBTaskResult.objects.get()
    assert job.args_kwargs["kwargs"] == {"_attempt": 2}
    assert job.run_after > timezone.now() + timedelta(minutes=4)
    assert not JobFailure.objects.exists()


# --------------------------------------------------------------------- stale recovery


def _running_job(worker_ids, started_ago: float) -> DBTaskResult:
    return DBTaskResult.objects.create(
        args_kwargs={"args": ["ok"], "kwargs": {}},
        task_path="palaute.outreach.tests.test_worker.flaky_job",
        backend_name="default",
        run_after=timezone.now(),
        status="RUNNING",
        started_at=timezone.now() - timedelta(seconds=started_ago),
        worker_ids=worker_ids,
    )


@pytest.mark.django_db
def test_recover_requeues_only_jobs_of_dead_workers():
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="alive", hostname="h", pid=1, last_seen_at=now)
    WorkerHeartbeat.objects.create(
        worker_id="dead", hostname="h", pid=2, last_seen_at=now - timedelta(seconds=120)
    )
    of_alive = _running_job(["alive"], started_ago=600)
    of_dead = _running_job(["dead"], started_ago=600)
    of_unknown = _running_job(["gone"], started_ago=600)
    just_started = _running_job(["gone"], started_ago=1)
    too_often = _running_job(["a", "b", "c", "d", "dead"][:MAX_RUNS], started_ago=600)

    assert recover_stale_jobs("default", stale_after=60) == 3
    status = dict(DBTaskResult.objects.values_list("id", "status"))
    assert status[of_alive.id] == "RUNNING"
    assert status[just_started.id] == "RUNNING"
    assert status[of_dead.id] == "READY" and status[of_unknown.id] == "READY"
    assert status[too_often.id] == "FAILED"
    # Running it again changes nothing.
    assert recover_stale_jobs("default", stale_after=60) == 0


# ------------------------------------------------- a worker killed in the middle of a send


class SlowFirstServer:
    """SMTP handler that holds the first message (the worker is mid-send when killed) and
    then refuses it; later messages are accepted."""

    def __init__(self):
        self.accepted: list[bytes] = []
        self.first_arrived = threading.Event()
        self.release_first = threading.Event()
        self.sessions = 0

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        self.sessions += 1
        if self.sessions == 1:
            self.first_arrived.set()
            while not self.release_first.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        self.accepted.append(envelope.content)
        return "250 OK"


def _env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    env.update(PYTHONPATH=str(REPO), **extra)
    return env


def _worker(env, worker_id: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            PYTHON,
            "-m",
            "django",
            "worker",
            "--worker-id",
            worker_id,
            "--no-startup-delay",
            "--interval",
            "0.2",
            *extra,
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_killed_worker_mid_send_runs_again_and_sends_once(worker_database):
    """SIGKILL a worker while the SMTP server holds its message: the job is requeued from the
    dead worker's stale heartbeat, another worker takes over after the send lease, and the
    invitation is sent exactly once. Runs on its own SQLite file in child processes."""
    server = SlowFirstServer()
    controller = Controller(server, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = _env(
        PALAUTE_DATA_DIR=str(worker_database),
        DJANGO_SETTINGS_MODULE="palaute.outreach.tests.worker_settings",
        TEST_SMTP_PORT=str(controller.port),
    )
    workers: list[subprocess.Popen] = []
    try:
        seeded = subprocess.run(
            [PYTHON, "-m", "palaute.outreach.tests.scenario"],
            cwd=REPO,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        invitation_id = int(seeded.stdout.strip())
        database = sqlite3.connect(worker_database / "palaute.sqlite3", timeout=20)

        def one(sql):
            return database.execute(sql, [invitation_id] if "?" in sql else []).fetchone()

        first = _worker(env, "first", "--heartbeat", "0.5", "--stale-after", "2")
        workers.append(first)
        assert server.first_arrived.wait(30), "the first worker never reached the SMTP server"
        assert one("SELECT status FROM outreach_invitation WHERE id = ?") == ("sending",)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        server.release_first.set()
        send_job = (
            "SELECT {} FROM django_tasks_database_dbtaskresult"
            " WHERE task_path LIKE '%send_invitation_job'"
        )
        assert one(send_job.format("status")) == ("RUNNING",)

        second = _worker(env, "second", "--heartbeat", "0.5", "--stale-after", "2")
        workers.append(second)
        _wait(
            lambda: one("SELECT status FROM outreach_invitation WHERE id = ?") == ("sent",),
            60,
            "the second worker to send",
        )
        _wait(
            lambda: one(send_job.format("status")) == ("SUCCESSFUL",),
            10,
            "the job to finish",
        )
        assert one(send_job.format("worker_ids")) == ('["first", "second"]',)
        assert len(server.accepted) == 1
        assert b"maija@example.com" in server.accepted[0]
        assert one("SELECT COUNT(*) FROM outreach_outboundmessage") == (1,)
        assert one("SELECT attempts FROM outreach_invitation WHERE id = ?") == (2,)
        database.close()
    finally:
        for process in workers:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
        controller.stop()


# -------------------------------------------- two workers share 1,000 jobs (PostgreSQL)


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_1000_jobs_each_run_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL=postgres://…): SKIP LOCKED claims")
    from palaute.outreach.tests.probe_tasks import TABLE, record_run

    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (number integer PRIMARY KEY, worker text)")
    try:
        for number in range(1000):
            record_run.enqueue(number)
        params = connection.settings_dict
        url = (
            f"postgres://{params['USER']}:{params['PASSWORD']}@{params['HOST'] or '127.0.0.1'}"
            f":{params['PORT'] or 5432}/{params['NAME']}"
        )
        env = _env(
            DATABASE_URL=url, DJANGO_SETTINGS_MODULE="palaute.outreach.tests.worker_settings"
        )
        started = time.monotonic()
        workers = [_worker(env, name, "--batch") for name in ("alpha", "beta")]
        for process in workers:
            _, stderr = process.communicate(timeout=240)
            assert process.returncode == 0, stderr.decode()[-2000:]
        elapsed = time.monotonic() - started
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT worker, COUNT(*) FROM {TABLE} GROUP BY worker")
            per_worker = dict(cursor.fetchall())
            cursor.execute(f"SELECT COUNT(DISTINCT number), COUNT(*) FROM {TABLE}")
            distinct, total = cursor.fetchone()
        assert (distinct, total) == (1000, 1000)
        assert set(per_worker) == {"alpha", "beta"} and all(n > 0 for n in per_worker.values())
        jobs = DBTaskResult.objects.filter(task_path__endswith="record_run")
        assert jobs.filter(status="SUCCESSFUL").count() == 1000
        assert all(len(ids) == 1 for ids in jobs.values_list("worker_ids", flat=True))
        print(f"\n1,000 jobs, 2 workers: {elapsed:.1f} s, split {per_worker}")
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
