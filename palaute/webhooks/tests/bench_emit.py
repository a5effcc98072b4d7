"""What webhooks add to a survey submission (not part of the test run: the file name does not
start with ``test_``). Run it explicitly:

    .venv/bin/pytest -p no:cacheprovider -q -s palaute/webhooks/tests/bench_emit.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/palaute .venv/bin/pytest … (same file)

On SQLite (in-process) it reports CPU time, which a busy shared machine disturbs less than wall
time; on PostgreSQL wall time, as the database works in another process. Each figure is the best
of seven rounds.
"""

from __future__ import annotations

import time

import pytest
from django.db import connection

from palaute.outreach.jobs import enqueue
from palaute.surveys.models import Answer
from palaute.surveys.submission import record_response
from palaute.surveys.tests.helpers import NPS_WHY, make_org, make_survey
from palaute.webhooks import events, payloads, receivers
from palaute.webhooks.tasks import send_delivery_job
from palaute.webhooks.tests.helpers import make_endpoint

pytestmark = pytest.mark.django_db


def best_us(fn, n: int = 300, rounds: int = 7) -> float:
    clock = time.process_time if connection.vendor == "sqlite" else time.perf_counter
    results = []
    for _ in range(rounds):
        start = clock()
        for _ in range(n):
            fn()
        results.append((clock() - start) / n * 1e6)
    return min(results)


def test_emit_cost(receiver, settings, capsys):
    quiet = make_survey(NPS_WHY, organisation=make_org("quiet"))
    busy = make_survey(NPS_WHY, organisation=make_org("busy"))
    make_endpoint(busy.organisation, receiver.url, events=["response.created"])
    counter = iter(range(10**9))

    def submit(survey):
        return lambda: record_response(
            survey,
            answers={"nps": 9},
            channel="web",
            language="fi",
            idempotency_key=str(next(counter)),
        )

    def stored(survey):
        response, _ = record_response(
            survey, answers={"nps": 9}, channel="web", language="fi", idempotency_key="stored"
        )
        return response, list(Answer.objects.filter(response=response))

    quiet_response, quiet_answers = stored(quiet)
    busy_response, busy_answers = stored(busy)
    payload = payloads.response_payload(busy_response, busy_answers)
    results = {
        "submission, no endpoint": best_us(submit(quiet), 200),
        "submission, one endpoint": best_us(submit(busy), 200),
        "receiver, no endpoint (remembered)": best_us(
            lambda: receivers.on_response_recorded(
                None, response=quiet_response, answers=quiet_answers
            ),
            2000,
        ),
    }
    settings.WEBHOOKS_NO_ENDPOINTS_CACHE_SECONDS = 0
    events._none_until.clear()
    results["receiver, no endpoint (query)"] = best_us(
        lambda: receivers.on_response_recorded(None, response=quiet_response, answers=quiet_answers)
    )
    results["receiver, one endpoint"] = best_us(
        lambda: receivers.on_response_recorded(None, response=busy_response, answers=busy_answers)
    )
    results["  of which: endpoint query"] = best_us(
        lambda: events.subscribers(busy.organisation_id, "response.created")
    )
    results["  of which: payload"] = best_us(
        lambda: payloads.response_payload(busy_response, busy_answers)
    )
    results["  of which: job enqueue"] = best_us(lambda: enqueue(send_delivery_job, 1))
    endpoint_ids = events.subscribers(busy.organisation_id, "response.created")
    results["  of which: delivery row + job"] = best_us(
        lambda: events.queue_deliveries(
            busy.organisation_id, "response.created", payload, endpoint_ids
        )
    )
    unit = "µs CPU" if connection.vendor == "sqlite" else "µs wall"
    with capsys.disabled():
        print(f"\nwebhooks emit cost on {connection.vendor}:")
        for name, value in results.items():
            print(f"  {name:38s} {value:9.1f} {unit}")
