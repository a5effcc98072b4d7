"""Fixtures of the testimonial tests: a real SMTP server on loopback (the outreach tests'
Inbox) and a fresh cache for every test."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from palaute.outreach.tests.conftest import loopback_smtp


@pytest.fixture
def smtp_inbox(settings):
    """The shared loopback SMTP server, sending as the organisation these tests use."""
    with loopback_smtp(settings) as inbox:
        settings.DEFAULT_FROM_EMAIL = "palaute@rakennus.example"
        settings.EMAIL_BOUNCE_ADDRESS = "bounces@rakennus.example"
        yield inbox


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
