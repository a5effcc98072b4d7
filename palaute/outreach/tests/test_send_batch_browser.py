"""In Chromium: a manager sends a survey to everyone; the send's page shows it waiting, and
when the worker has created the invitations the progress part updates itself (htmx, every
2 s) without the page reloading."""

import pytest

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import PASSWORD, make_member
from palaute.outreach.models import SendBatch
from palaute.outreach.send_batches import run_send_batch
from palaute.outreach.tests.helpers import make_contact
from palaute.surveys.tests.helpers import make_org, make_survey


@pytest.mark.django_db(transaction=True)
def test_the_progress_updates_itself_without_a_reload(live_server, chromium_path, monkeypatch):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    org = make_org("kahvila")
    manager = make_member(org, "manager", role=Role.MANAGER)
    survey = make_survey(organisation=org, key="visit")
    for i in range(3):
        make_contact(org, f"c{i}@example.com")

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context(locale="en-GB").new_page()
        invitations = f"{live_server.url}/surveys/{survey.key}/invitations/"
        page.goto(f"{live_server.url}/login/?next=/surveys/{survey.key}/invitations/")
        page.fill("input[name=username]", manager.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.wait_for_url(invitations)

        page.select_option("select[name=channel]", "email")
        page.click("form.row-form button[type=submit]")
        page.wait_for_url(f"{invitations}sends/*/")
        assert "Waiting for the worker" in page.locator(".batch-progress h2").inner_text()
        assert page.locator(".batch-progress progress").get_attribute("value") == "0"
        page.evaluate("window.stillTheSamePage = true")

        run_send_batch(SendBatch.objects.get().pk)  # the worker's part

        page.wait_for_function(
            "document.querySelector('.batch-progress h2').textContent.includes('created')",
            timeout=10_000,
        )
        assert page.evaluate("window.stillTheSamePage") is True  # swapped in place
        progress = page.locator(".batch-progress")
        assert progress.locator("progress").get_attribute("value") == "100"
        assert "3 contacts handled." in progress.inner_text()
        assert progress.get_attribute("hx-trigger") is None  # it stopped asking
        browser.close()
