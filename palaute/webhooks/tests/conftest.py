"""Fixtures: a loopback receiver, and settings that let endpoints point at it."""

from __future__ import annotations

import pytest

from palaute.webhooks import events
from palaute.webhooks.tests.receiver import Receiver


@pytest.fixture
def receiver(settings):
    # Loopback is a private address: allowed here as WEBHOOKS_ALLOW_PRIVATE_NETWORKS allows it
    # for an intranet receiver.
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    settings.WEBHOOKS_TIMEOUT = 2
    settings.SITE_URL = "http://testserver"
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _forget_cached_answers():
    """The "no endpoints" memory is per process; tests must not see each other's."""
    events._none_until.clear()
    yield
    events._none_until.clear()
