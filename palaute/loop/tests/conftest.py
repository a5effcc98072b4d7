"""Fixtures of the closed-loop tests: a real SMTP server on loopback, and a clean rule cache."""

from __future__ import annotations

import pytest

from palaute.loop import rules

# The real SMTP server on loopback shared by every app's tests.
from palaute.outreach.tests.conftest import smtp_inbox  # noqa: F401


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
