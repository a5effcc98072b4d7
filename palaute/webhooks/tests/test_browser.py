"""In Chromium: a manager redelivers a failed delivery from the log (htmx swaps the row), and
the log refreshes itself until the worker has sent it."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member, make_org
from palaute.outreach.tests.jobs_helpers import run_due_jobs
from palaute.webhooks.events import emit
from palaute.webhooks.models import Delivery
from palaute.webhooks.tests.helpers import make_endpoint


@pytest.fixture
def browser(chromium_path, monkeypatch):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def signed_in_page(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="en-GB")
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": django_settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


@pytest.mark.django_db(transaction=True)
def test_redeliver_from_the_log(live_server, receiver, browser):
    org = make_org("kahvila")
    manager = make_member(org, "aino", Role.MANAGER)
    endpoint = make_endpoint(org, receiver.url)
    receiver.answer(500, b"database is down")
    emit(org, "case.opened", {"id": 1})
    run_due_jobs()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED

    page = signed_in_page(browser, live_server, manager)
    page.goto(f"{live_server.url}/org/settings/webhooks/{endpoint.pk}/")
    row = page.locator(f"#delivery-{delivery.pk}")
    assert "Failed, will retry" in row.inner_text()
    assert "database is down" in row.inner_text()
    page.evaluate("window.notReloaded = true")

    row.get_by_role("button", name="Redeliver").click()
    page.get_by_text("Queued.").wait_for()
    assert page.evaluate("window.notReloaded")  # htmx swapped the row, no page load
    assert row.get_by_role("button", name="Redeliver").is_disabled()

    run_due_jobs()  # the worker sends it; the page polls the log every 3 s
    row.get_by_text("Delivered").wait_for(timeout=8000)
    assert page.evaluate("window.notReloaded")
    assert len(receiver.requests) == 2
    assert page.errors == []
