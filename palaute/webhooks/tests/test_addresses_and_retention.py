"""Where an endpoint may point (pure checks, no network: IP literals and localhost), and how
long the log is kept."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from palaute.accounts.tests.helpers import make_org
from palaute.webhooks import retention
from palaute.webhooks.addresses import AddressRefused, check_url, resolve_problem
from palaute.webhooks.events import emit
from palaute.webhooks.models import Attempt, Delivery
from palaute.webhooks.tests.helpers import make_endpoint


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/x",
        "https://localhost:8443/x",
        "https://10.0.0.5/x",
        "https://192.168.1.1/x",
        "https://172.16.0.1/x",
        "https://100.64.0.1/x",  # carrier-grade NAT
        "https://169.254.169.254/latest/meta-data",  # cloud metadata
        "https://0.0.0.0/x",
        "https://[::1]/x",
        "https://[fe80::1]/x",
        "https://[fd00::1]/x",
        "https://[::ffff:10.0.0.1]/x",  # IPv4-mapped
        "https://224.0.0.1/x",
    ],
)
def test_private_and_local_addresses_are_refused_in_production(settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    with translation.override("en"):
        with pytest.raises(AddressRefused, match="private or local"):
            check_url(url)
        assert "private or local" in (resolve_problem(url) or "")


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://93.184.215.14/hook", True),
        ("https://[2606:4700::1111]/hook", True),
        ("http://93.184.215.14/hook", False),
        ("https://no-such-host.invalid/hook", True),  # checked again at every attempt
        ("http://no-such-host.invalid/hook", False),
        ("https://user:secret@93.184.215.14/hook", False),
        ("https://93.184.215.14:99999/hook", False),
        ("mailto:someone@example.com", False),
    ],
)
def test_production_rules(settings, url, allowed):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    if allowed:
        check_url(url)
    else:
        with pytest.raises(AddressRefused):
            check_url(url)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("http://127.0.0.1:8080/hook", True),
        ("http://localhost/hook", True),
        ("http://10.0.0.5/hook", True),
        ("https://10.0.0.5/hook", True),
        ("http://93.184.215.14/hook", False),  # plain http to the internet: never
    ],
)
def test_private_networks_when_allowed(settings, url, allowed):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    if allowed:
        check_url(url)
    else:
        with pytest.raises(AddressRefused, match="https"):
            check_url(url)


def test_debug_allows_private_networks_unless_set(settings):
    settings.DEBUG = True
    del settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS
    check_url("http://127.0.0.1:8000/hook")
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    with pytest.raises(AddressRefused):
        check_url("http://127.0.0.1:8000/hook")


def test_an_unresolvable_name_fails_the_attempt():
    assert "does not resolve" in (resolve_problem("https://no-such-host.invalid/x") or "")


@pytest.mark.django_db
def test_old_finished_deliveries_are_pruned(receiver):
    org = make_org("kahvila")
    make_endpoint(org, receiver.url)
    for n in range(4):
        emit(org, "case.opened", {"id": n})
    old = timezone.now() - timedelta(days=31)
    kept_pending, delivered, given_up, recent = Delivery.objects.order_by("id")
    Delivery.objects.filter(pk=kept_pending.pk).update(created_at=old)
    Delivery.objects.filter(pk=delivered.pk).update(created_at=old, status="succeeded")
    Delivery.objects.filter(pk=given_up.pk).update(created_at=old, status="given_up")
    Delivery.objects.filter(pk=recent.pk).update(status="succeeded")
    Attempt.objects.create(delivery=delivered, number=1, started_at=old, duration_ms=3)

    out = io.StringIO()
    call_command("prune_webhook_deliveries", stdout=out)
    assert out.getvalue().strip() == "2 webhook deliveries deleted"

    assert set(Delivery.objects.values_list("pk", flat=True)) == {kept_pending.pk, recent.pk}
    assert not Attempt.objects.exists()
    assert retention.prune() == 0
