"""In Chromium: the kiosk keeps working offline. Taps made without a network wait in
IndexedDB and arrive exactly once when it returns; a reload without a network still shows
the faces from the service worker's cache."""

from contextlib import contextmanager

import pytest
from django.core.signals import request_started

from palaute.channels.mashing import BURST_TAPS, BURST_WINDOW
from palaute.channels.tests.test_kiosk import KIOSK
from palaute.surveys.models import Answer, Response
from palaute.surveys.tests.helpers import make_survey

TABLET = {"width": 1024, "height": 768}
FAST = "lang=en&reset=0.2&why_timeout=1&sync=1"


@pytest.fixture
def browser(chromium_path, monkeypatch):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    # Lets context.route() see the service worker's own fetches, so "offline" covers them
    # too (context.set_offline alone does not reach a service worker).
    monkeypatch.setenv("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def open_kiosk(browser, url):
    context = browser.new_context(viewport=TABLET, has_touch=True, service_workers="allow")
    page = context.new_page()
    page.goto(url)
    page.wait_for_function("() => document.documentElement.dataset.offlineReady === '1'")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    return context, page


def go_offline(context):
    context.set_offline(True)
    context.route("**/*", lambda route: route.abort("internetdisconnected"))


def go_online(context):
    context.unroute("**/*")
    context.set_offline(False)


@contextmanager
def server_hits():
    paths = []

    def record(sender, environ, **kwargs):
        paths.append(environ["PATH_INFO"])

    request_started.connect(record)
    try:
        yield paths
    finally:
        request_started.disconnect(record)


def wait_until(condition, page, seconds=15):
    for _ in range(seconds * 10):
        if condition():
            return
        page.wait_for_timeout(100)  # lets Playwright serve routes meanwhile
    raise AssertionError("condition not met in time")


def expected_flags(times):
    """The mashing rule written out plainly: a tap with five earlier ones less than ten
    seconds before it is flagged."""
    ordered = sorted(times)
    return sum(
        1
        for i, t in enumerate(ordered)
        if sum(1 for u in ordered[:i] if t - u < BURST_WINDOW) >= BURST_TAPS
    )


@pytest.mark.django_db(transaction=True)
def test_offline_taps_arrive_exactly_once(live_server, browser):
    survey = make_survey(KIOSK)
    context, page = open_kiosk(browser, f"{live_server.url}/k/{survey.public_key}/?{FAST}")
    go_offline(context)
    page.wait_for_function(
        "() => document.getElementById('kiosk-status').textContent.includes('Offline')"
    )

    for i in range(20):
        face = (4, 3, 2, 1)[i % 4]
        page.click(f".face[data-score='{face}']")
        if face <= 2:  # a sad face asks why: answer once, skip once, let it time out otherwise
            page.locator("#why-text").wait_for(state="visible")
            if i == 2:
                page.fill("#why-text", "Jono oli pitkä")
                page.click("#why-send")
            elif i == 3:
                page.click("#why-skip")
        page.locator("#faces").wait_for(state="visible")

    page.wait_for_function("() => document.documentElement.dataset.queued === '20'")
    assert "Waiting to be sent: 20" in page.text_content("#kiosk-status")
    assert Response.objects.count() == 0

    go_online(context)
    page.wait_for_function("() => document.documentElement.dataset.queued === '0'", timeout=30_000)
    assert "Ready to work offline" in page.text_content("#kiosk-status")
    context.close()

    responses = Response.objects.filter(survey=survey)
    assert responses.count() == 20
    assert responses.filter(channel="kiosk").count() == 20
    assert len(set(responses.values_list("idempotency_key", flat=True))) == 20
    assert len(set(responses.values_list("device_id", flat=True))) == 1
    times = list(responses.values_list("submitted_at", flat=True))
    # Taps this fast are a burst: most are flagged, all are kept.
    flagged = responses.exclude(flagged="").count()
    assert flagged == expected_flags(times) >= 5
    assert list(Answer.objects.filter(question_key="why").values_list("text", flat=True)) == [
        "Jono oli pitkä"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_reload_without_network_still_shows_the_faces(live_server, browser):
    survey = make_survey(KIOSK)
    url = f"{live_server.url}/k/{survey.public_key}/?{FAST}"
    context, page = open_kiosk(browser, url)
    go_offline(context)
    with server_hits() as paths:
        page.reload()
        page.wait_for_function("() => document.documentElement.dataset.ready === '1'")
    assert not [p for p in paths if p.startswith(("/k/", "/static/"))]  # all from the cache
    assert page.locator(".face").count() == 4
    assert page.locator(".face[data-score='4']").is_enabled()
    assert "smiley en" in page.text_content("h1")

    page.click(".face[data-score='4']")  # and taps still queue
    page.wait_for_function("() => document.documentElement.dataset.queued === '1'")
    go_online(context)
    page.wait_for_function("() => document.documentElement.dataset.queued === '0'", timeout=30_000)
    context.close()
    assert Response.objects.filter(survey=survey, channel="kiosk").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_answer_lost_on_the_way_back_is_retried_without_doubling(live_server, browser):
    survey = make_survey(KIOSK)
    context, page = open_kiosk(browser, f"{live_server.url}/k/{survey.public_key}/?{FAST}")
    swallowed = []

    def store_but_lose_the_answer(route):
        route.fetch()  # the server stores the taps...
        swallowed.append(route.request.url)
        route.abort("connectionreset")  # ...but the kiosk never hears back

    context.route("**/taps", store_but_lose_the_answer)
    for _ in range(3):
        page.locator("#faces").wait_for(state="visible")
        page.click(".face[data-score='4']")
    page.wait_for_function("() => document.documentElement.dataset.queued === '3'")
    wait_until(lambda: Response.objects.filter(survey=survey).count() == 3, page)
    attempts = len(swallowed)
    wait_until(lambda: len(swallowed) > attempts, page)  # the kiosk retries, and is cut off again
    assert page.evaluate("() => document.documentElement.dataset.queued") == "3"

    context.unroute("**/taps")
    page.wait_for_function("() => document.documentElement.dataset.queued === '0'", timeout=30_000)
    context.close()
    assert Response.objects.filter(survey=survey).count() == 3
