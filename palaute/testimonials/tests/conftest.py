"""Fixtures of the testimonial tests: a real SMTP server on loopback (the outreach tests'
Inbox) and a fresh cache for every test."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache

from palaute.outreach.tests.conftest import Inbox, free_port


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.DEFAULT_FROM_EMAIL = "palaute@rakennus.example"
    settings.EMAIL_BOUNCE_ADDRESS = "bounces@rakennus.example"
    settings.SITE_URL = "http://testserver"
    yield inbox
    controller.stop()


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
