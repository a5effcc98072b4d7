"""Builders for the replies, recovery and measures tests: cases written straight to the table
(the opening rules have their own tests)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import count

from django.utils import timezone

from palaute.loop.models import Case, LoopSettings
from palaute.outreach.tests.fake_twilio import FakeTwilio

_numbers = count(1)


def make_case(organisation, *, opened_at: datetime | None = None, hours: int = 24, **fields):
    """A case of ``organisation`` opened at ``opened_at`` (now) and due ``hours`` later."""
    opened_at = opened_at or timezone.now()
    values = {
        "organisation": organisation,
        "number": next(_numbers),
        "trigger": "nps_detractor",
        "title": "NPS 3",
        "severity": "normal",
        "owner_source": Case.OwnerSource.NONE,
        "opened_at": opened_at,
        "due_at": opened_at + timedelta(hours=hours),
        "customer_name": "Maija Meikäläinen",
        "customer_email": "maija@example.com",
        "language": "fi",
        "reply_channel": "email",
        **fields,
    }
    if values.get("touchpoint") is not None and "stage" not in fields:
        values["stage"] = values["touchpoint"].stage
    return Case.objects.create(**values)


def loop_settings(organisation, **fields) -> LoopSettings:
    row, _created = LoopSettings.objects.update_or_create(
        organisation=organisation, defaults=fields
    )
    return row


@contextmanager
def loopback_twilio(settings) -> Iterator[FakeTwilio]:
    """SMS go to a Twilio-like HTTP server on 127.0.0.1 (outreach/tests/fake_twilio.py)."""
    fake = FakeTwilio().start()
    settings.SMS_BACKEND = "twilio"
    settings.SMS_API_BASE_URL = fake.base_url
    settings.SMS_ACCOUNT_SID = fake.account_sid
    settings.SMS_AUTH_TOKEN = fake.auth_token
    settings.SMS_FROM = "+358451234567"
    settings.SMS_TIMEOUT = 5
    settings.SITE_URL = "http://testserver"
    try:
        yield fake
    finally:
        fake.stop()
