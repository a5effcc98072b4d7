"""In Chromium: the inbox is worked with the keyboard (j, k, Enter) and its filters swap the
list in place."""

import pytest

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import PASSWORD
from palaute.loop.tests.helpers import add_case, make_org, person


@pytest.mark.django_db(transaction=True)
def test_keyboard_moves_through_the_inbox_and_opens_a_case(live_server, chromium_path, monkeypatch):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    org = make_org("kahvila")
    agent = person(org, "aki", role=Role.AGENT)
    first = add_case(org, title="Ensimmäinen", hours=2)
    second = add_case(org, title="Toinen", hours=4, severity="high")
    add_case(org, title="Kolmas", hours=8)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context(locale="en-GB").new_page()
        page.goto(f"{live_server.url}/login/?next=/cases/")
        page.fill("input[name=username]", agent.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(f"{live_server.url}/cases/")

        page.keyboard.press("j")
        assert page.evaluate("document.activeElement.textContent") == first.title
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("k")
        assert page.evaluate("document.activeElement.textContent") == second.title
        assert page.locator("tr.is-current").count() == 1

        # A filter swaps the list without a reload; the keys work on the new list.
        page.select_option("#f-severity", "high")
        page.wait_for_function("document.querySelectorAll('[data-case-row]').length === 1")
        assert "severity=high" in page.url
        page.locator("body").focus()
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server.url}/cases/{second.number}/")
        assert page.locator("h1").inner_text() == f"#{second.number} Toinen"
        browser.close()
