"""In Chromium: the tone guard checks the reply as it is typed (htmx), marks the words and
says why, and the reply can still be posted."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palaute.accounts.tests.helpers import PASSWORD, make_member
from palaute.reviews.incoming import IncomingReview
from palaute.reviews.models import ReviewReply
from palaute.reviews.store import record_review


@pytest.fixture
def browser(chromium_path, monkeypatch):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.mark.django_db(transaction=True)
def test_tone_warnings_appear_while_typing(browser, live_server, org, google_source):
    review = record_review(
        google_source,
        IncomingReview(
            "kota", timezone.now() - timedelta(days=30), 1, "ONE", text="Kylmää kahvia."
        ),
    ).review
    make_member(org, "johanna", role="agent")
    page = browser.new_context(
        locale="en-GB", extra_http_headers={"Accept-Language": "en"}
    ).new_page()
    page.goto(f"{live_server.url}/login/?next=/reviews/{review.pk}/")
    page.fill("input[name=username]", "johanna")
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{live_server.url}/reviews/{review.pk}/")

    page.fill("#id_body", "Sorry! You should have read the menu before ordering.")
    mark = page.wait_for_selector("#tone-panel mark.tone-flag.tone-blame", timeout=10_000)
    assert mark.inner_text().startswith("You should have read")
    assert "you can still post" in page.inner_text("#tone-panel")

    page.fill("#id_body", "We are sorry you had to wait. Welcome back! – Johanna")
    page.wait_for_selector("#tone-panel .tone-ok", timeout=10_000)
    page.fill("#id_body", "Sorry! You should have read the menu before ordering.")
    page.wait_for_selector("#tone-panel mark.tone-flag", timeout=10_000)
    page.click("text=Post reply")
    page.wait_for_selector(".messages")
    reply = ReviewReply.objects.get()
    assert [flag["category"] for flag in reply.tone_flags] == ["blame"]
