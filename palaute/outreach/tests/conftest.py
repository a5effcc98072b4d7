"""Shared fixtures: a real SMTP server and a Twilio-compatible SMS server on loopback, an API
client with a write token, and a migrated SQLite file for the tests that run real worker
processes."""

from __future__ import annotations

import email
import email.policy
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.test import Client

from palaute.accounts.models import ApiToken
from palaute.accounts.tokens import create_token
from palaute.outreach.tests.fake_twilio import FakeTwilio


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def loopback_smtp(settings, inbox: Inbox | None = None) -> Iterator[Inbox]:
    """Email goes over SMTP to an aiosmtpd server on 127.0.0.1 that keeps what it accepts.
    The one SMTP set-up of every app's tests (the ``smtp_inbox`` fixture uses it)."""
    inbox = inbox or Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "kysely@kahvila.example"
    settings.EMAIL_BOUNCE_ADDRESS = "bounces@kahvila.example"
    settings.SITE_URL = "http://testserver"
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def smtp_inbox(settings):
    with loopback_smtp(settings) as inbox:
        yield inbox


@pytest.fixture
def twilio(settings):
    fake = FakeTwilio().start()
    settings.SMS_BACKEND = "twilio"
    settings.SMS_API_BASE_URL = fake.base_url
    settings.SMS_ACCOUNT_SID = fake.account_sid
    settings.SMS_AUTH_TOKEN = fake.auth_token
    settings.SMS_FROM = "+358451234567"
    settings.SMS_TIMEOUT = 5
    settings.SITE_URL = "http://testserver"
    yield fake
    fake.stop()


@pytest.fixture
def memory_sms(settings):
    """SMS kept in memory (sms_providers.MemoryProvider); the list of messages sent."""
    from palaute.outreach.sms_providers import MemoryProvider

    settings.SMS_BACKEND = "memory"
    settings.SMS_FROM = "+358451234567"
    MemoryProvider.outbox = []
    yield MemoryProvider.outbox
    MemoryProvider.outbox = []


class ApiClient:
    """Django's test client with a bearer token and JSON bodies."""

    def __init__(self, token: str):
        self.client = Client()
        self.token = token

    def post(self, path: str, body, headers: dict | None = None):
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        return self.client.post(
            f"/api/v1{path}",
            data=data,
            content_type="application/json",
            headers={"Authorization": f"Bearer {self.token}", **(headers or {})},
        )

    def get(self, path: str):
        return self.client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {self.token}"})


def api_client(organisation, scope=ApiToken.Scope.WRITE) -> ApiClient:
    _token, plain = create_token(organisation, name="integration", scope=scope)
    return ApiClient(plain)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


WORKER_SETTINGS = "palaute.outreach.tests.worker_settings"


@pytest.fixture(scope="session")
def migrated_worker_database(tmp_path_factory) -> Path:
    """A SQLite file migrated once per test session (migrating costs many seconds); tests
    that run worker processes copy it (``worker_database``)."""
    directory = tmp_path_factory.mktemp("migrated")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        PYTHONPATH=str(Path(__file__).resolve().parents[3]),
        PALAUTE_DATA_DIR=str(directory),
        DJANGO_SETTINGS_MODULE=WORKER_SETTINGS,
    )
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "-v0"],
        cwd=env["PYTHONPATH"],
        env=env,
        check=True,
    )
    return directory / "palaute.sqlite3"


@pytest.fixture
def worker_database(migrated_worker_database, tmp_path) -> Path:
    """A fresh copy of the migrated database in ``tmp_path`` (PALAUTE_DATA_DIR for the worker
    processes)."""
    shutil.copyfile(migrated_worker_database, tmp_path / "palaute.sqlite3")
    return tmp_path
