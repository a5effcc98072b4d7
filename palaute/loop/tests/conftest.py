"""Fixtures of the closed-loop tests: a real SMTP server on loopback, and a clean rule cache."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller

from palaute.loop import rules
from palaute.outreach.tests.conftest import Inbox, free_port


@pytest.fixture
def smtp_inbox(settings):
    """Emails go over SMTP to an aiosmtpd server on 127.0.0.1; the inbox keeps them."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "palaute@kahvila.example"
    settings.SITE_URL = "http://testserver"
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def _fresh_rule_cache():
    # Ids are reused between tests on SQLite: a cached rule set must not leak into the next.
    rules.forget()
    yield
    rules.forget()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Every page test signs people in; the production hasher costs ~0.5 s per user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
