"""Automation benchmark: events in through the API, SMS out through a Twilio-compatible server,
and the two queries that must stay cheap as invitations pile up (the funnel, the frequency
cap).

    python bench/automation.py [--events 2000] [--sms 1000] [--invitations 200000]

Uses a fresh SQLite database in a temporary directory and, for SMS, the loopback Twilio server
of the tests (palaute/outreach/tests/fake_twilio.py) on 127.0.0.1. Steps, each timed:

1. ``POST /api/v1/events`` through Django's test client (token auth, validation, contact
   upsert, one trigger rule → one scheduled invitation per event): events/s;
2. ``palaute worker --batch`` sending N SMS invitations over HTTP: SMS/s;
3. with N invitations in the table (bulk-created over 5,000 contacts and 2 channels): the
   survey's funnel (one GROUP BY query) and the frequency-cap check of one contact, median of
   20 runs each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    workdir = tempfile.mkdtemp(prefix="palaute-bench-automation-")
    try:
        run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _median_ms(function, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(workdir: str) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--sms", type=int, default=1000)
    parser.add_argument("--invitations", type=int, default=200_000)
    args = parser.parse_args()

    os.environ.pop("DATABASE_URL", None)
    os.environ.update(
        PALAUTE_DATA_DIR=workdir, DJANGO_SETTINGS_MODULE="palaute.outreach.tests.worker_settings"
    )
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test.utils import override_settings
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    settings.RATE_LIMIT_API_TOKEN = settings.RATE_LIMIT_API_IP = "100000000/min"

    from palaute.outreach.caps import earlier_within_cap
    from palaute.outreach.funnel import survey_funnel
    from palaute.outreach.models import (
        Contact,
        Invitation,
        OutreachSettings,
        TriggerRule,
    )
    from palaute.outreach.tests.conftest import api_client
    from palaute.outreach.tests.fake_twilio import FakeTwilio
    from palaute.outreach.tests.jobs_helpers import make_worker
    from palaute.surveys.tests.helpers import make_org, make_survey

    org = make_org("bench")
    survey = make_survey(organisation=org)
    TriggerRule.objects.create(
        organisation=org,
        name="After delivery",
        event_name="delivery.done",
        survey=survey,
        channel_preference="sms_first",
        delay_amount=0,
        delay_unit="minutes",
    )

    # 1. events through the API
    client = api_client(org)
    with override_settings(ROOT_URLCONF="palaute.outreach.tests.events_urls"):
        start = time.perf_counter()
        for i in range(args.events):
            response = client.post(
                "/events",
                {
                    "id": f"delivery-{i}",
                    "name": "delivery.done",
                    "contact": {"external_id": f"C-{i}", "phone": f"+35840{i:07d}"},
                    "attributes": {"order": i},
                },
            )
            assert response.status_code == 201, response.content
        elapsed = time.perf_counter() - start
    print(
        f"events via API: {args.events} in {elapsed:.2f} s = {args.events / elapsed:,.0f} events/s"
        f" ({elapsed / args.events * 1000:.2f} ms each, one rule, one invitation each)"
    )

    # 2. SMS through the loopback Twilio server
    twilio = FakeTwilio().start()
    settings.SMS_BACKEND = "twilio"
    settings.SMS_API_BASE_URL = twilio.base_url
    settings.SMS_ACCOUNT_SID = twilio.account_sid
    settings.SMS_AUTH_TOKEN = twilio.auth_token
    settings.SMS_FROM = "+358451234567"
    Invitation.objects.filter(
        pk__in=list(Invitation.objects.values_list("pk", flat=True))[args.sms :]
    ).update(status="skipped", skip_reason="opted_out")
    start = time.perf_counter()
    make_worker("bench").run()
    elapsed = time.perf_counter() - start
    sent = Invitation.objects.filter(status="sent").count()
    assert sent == args.sms == len(twilio.messages) and not twilio.problems, (sent, twilio.problems)
    print(f"SMS sent by one worker: {sent} in {elapsed:.2f} s = {sent / elapsed:,.0f} SMS/s")
    twilio.stop()

    # 3. funnel and frequency cap over many invitations
    OutreachSettings.objects.update_or_create(organisation=org, defaults={"frequency_cap_days": 30})
    contacts = list(Contact.objects.filter(organisation=org).values_list("pk", flat=True)[:5000])
    now = timezone.now()
    batch = []
    for i in range(args.invitations):
        sent_at = now - timedelta(days=i % 90)
        batch.append(
            Invitation(
                organisation=org,
                survey=survey,
                contact_id=contacts[i % len(contacts)],
                channel="email" if i % 2 else "sms",
                dedup_key=f"bench:{i}",
                status="completed" if i % 5 == 0 else "sent",
                scheduled_for=sent_at,
                sent_at=sent_at,
                opened_at=sent_at if i % 3 == 0 else None,
                completed_at=sent_at if i % 5 == 0 else None,
            )
        )
        if len(batch) == 5000:
            Invitation.objects.bulk_create(batch)
            batch = []
    Invitation.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    total = Invitation.objects.count()
    funnel_ms = _median_ms(lambda: survey_funnel(survey))
    probe = Invitation.objects.filter(contact_id=contacts[0]).order_by("-pk").first()
    cap_ms = _median_ms(lambda: earlier_within_cap(probe, timezone.now()))
    print(f"funnel of one survey over {total:,} invitations: {funnel_ms:.1f} ms (median of 20)")
    print(f"frequency-cap check of one contact among {total:,} invitations: {cap_ms:.2f} ms")


if __name__ == "__main__":
    main()
