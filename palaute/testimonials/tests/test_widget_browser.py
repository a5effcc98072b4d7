"""In Chromium: a website on another loopback origin, under a strict Content-Security-Policy,
embeds the testimonial widget with one script tag, as a grid and as a carousel operated with
the keyboard; a withdrawal disappears on the next page view. And the survey widget asks for
consent with the naming choice, and the consent is recorded."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from palaute.channels import collect
from palaute.testimonials import workflow
from palaute.testimonials.models import ConsentRecord
from palaute.testimonials.publication import publication_for
from palaute.testimonials.tests.helpers import WORDING_EN, consent_survey, make_org, published

# Records every CSP violation before any page script runs (init scripts are exempt from the
# page's CSP); the inline canary must be the only one.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""
CANARY = "<script>window.inlineRan = true</script>"
HOST = "[data-palaute-testimonials]"


class HostSite:
    """A tiny website on 127.0.0.1:<free port>, a different origin from the live server."""

    def __init__(self):
        self.pages: dict[str, tuple[str, str]] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                html, csp = site.pages.get(self.path.split("?")[0], (None, ""))
                if html is None:
                    self.send_error(404)
                    return
                body = html.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", csp)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def add(self, path: str, palaute: str, script: str) -> str:
        csp = (
            f"default-src 'self'; script-src {palaute}; style-src 'self' {palaute}; "
            f"connect-src {palaute}; img-src 'self'"
        )
        self.pages[path] = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rakennus Oy'
            f"</title></head><body><h1>Rakennus Oy</h1><p><a href='#'>Palvelut</a></p>{CANARY}"
            f"{script}<footer><a href='#'>Yhteystiedot</a></footer></body></html>",
            csp,
        )
        return self.origin + path

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    host = HostSite()
    yield host
    host.close()


@pytest.fixture
def browser(chromium_path, monkeypatch):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    collect.clear_cache()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def new_page(browser, **context):
    page = browser.new_context(locale="en-GB", **context).new_page()
    page.add_init_script(WATCH_CSP)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def assert_only_the_canary_was_blocked(page):
    assert page.evaluate("window.inlineRan") is None  # the CSP is in force
    assert page.evaluate("window.__csp") == ["script-src-elem inline"]
    assert page.errors == []
    assert page.context.cookies() == []  # the widget sets none, and gets none


def three_testimonials():
    org = make_org("rakennus")
    survey = consent_survey(org)
    for consent, comment, nps in (
        ({"agreed": True, "naming": "anonymous"}, "Kolmas lainaus", 8),
        ({"agreed": True, "naming": "company", "company": "Putki Oy"}, "Toinen lainaus", 9),
        (
            {
                "agreed": True,
                "naming": "first_name_initial",
                "name": "Maija Meikäläinen",
                "company": "Rakennus Oy",
            },
            "Ensimmäinen lainaus",
            10,
        ),
    ):
        published(survey, consent=consent, comment=comment, nps=nps)
    return publication_for(org)


def embed(live_server, publication, attrs: str) -> str:
    return f'<script src="{live_server.url}/t/{publication.key}/widget.js" {attrs} async></script>'


@pytest.mark.django_db(transaction=True)
def test_grid_under_a_strict_csp_and_withdrawal(live_server, site, browser):
    publication = three_testimonials()
    url = site.add("/", live_server.url, embed(live_server, publication, 'data-layout="grid"'))
    page = new_page(browser)
    page.goto(url)
    region = page.get_by_role("region", name="Customer testimonials")
    region.wait_for()
    items = region.get_by_role("listitem")
    assert items.count() == 3
    first = items.nth(0)
    assert first.locator("blockquote").inner_text() == "Ensimmäinen lainaus"
    assert first.locator("figcaption .who").inner_text() == "Maija M., Rakennus Oy"
    assert "Putki Oy" in items.nth(1).inner_text()
    assert "A customer" in items.nth(2).inner_text()
    assert region.get_by_role("img", name="Rating: 10 out of 10").count() == 1
    assert (
        page.evaluate(
            f"getComputedStyle(document.querySelector('{HOST}').shadowRoot.querySelector('.cards'))"
            ".display"
        )
        == "grid"
    )  # widget.css applies inside the shadow root
    # Placed where the script tag is: between the page's own content and footer.
    assert page.evaluate(f"document.querySelector('{HOST}').nextElementSibling.tagName") == "FOOTER"
    assert_only_the_canary_was_blocked(page)

    # The person withdraws: the next page view (same browser, same HTTP cache) shows two.
    record = ConsentRecord.objects.get(testimonial__quote="Ensimmäinen lainaus")
    workflow.withdraw(record, via="link")
    page.reload()
    region.wait_for()
    assert region.get_by_role("listitem").count() == 2
    assert "Ensimmäinen lainaus" not in region.inner_text()


@pytest.mark.django_db(transaction=True)
def test_carousel_with_the_keyboard(live_server, site, browser):
    publication = three_testimonials()
    script = embed(live_server, publication, 'data-layout="carousel" data-lang="fi"')
    url = site.add("/", live_server.url, script)
    page = new_page(browser)
    page.goto(url)
    carousel = page.get_by_role("region", name="Asiakkaidemme kokemuksia")
    carousel.wait_for()
    assert carousel.get_attribute("aria-roledescription") == "karuselli"
    slide = carousel.get_by_role("group")  # only the current slide is exposed
    assert slide.count() == 1 and slide.get_attribute("aria-label") == "1 / 3"
    assert "Ensimmäinen lainaus" in slide.inner_text()
    assert carousel.get_by_role("button", name="Pysäytä automaattinen vaihto").count() == 0

    # Keyboard only: Tab from the page's link reaches Previous, then Next.
    page.get_by_role("link", name="Palvelut").focus()
    page.keyboard.press("Tab")
    assert (
        page.evaluate(f"document.querySelector('{HOST}').shadowRoot.activeElement.className")
        == "prev"
    )
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # Next
    assert slide.get_attribute("aria-label") == "2 / 3" and "Toinen lainaus" in slide.inner_text()
    page.keyboard.press("Space")
    assert "Kolmas lainaus" in slide.inner_text()
    page.keyboard.press("Enter")  # wraps around
    assert "Ensimmäinen lainaus" in slide.inner_text()
    page.keyboard.press("ArrowLeft")
    assert slide.get_attribute("aria-label") == "3 / 3"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # Previous
    assert slide.get_attribute("aria-label") == "2 / 3"
    assert carousel.locator(".slides").get_attribute("aria-live") == "polite"
    assert_only_the_canary_was_blocked(page)


@pytest.mark.django_db(transaction=True)
def test_carousel_rotation_pauses_and_respects_reduced_motion(live_server, site, browser):
    publication = three_testimonials()
    script = embed(live_server, publication, 'data-layout="carousel" data-autoplay="5"')
    url = site.add("/", live_server.url, script)

    page = new_page(browser)
    page.clock.install()
    page.goto(url)
    carousel = page.get_by_role("region", name="Customer testimonials")
    carousel.wait_for()
    slide = carousel.get_by_role("group")
    stop = carousel.get_by_role("button", name="Stop automatic rotation")
    assert stop.count() == 1
    assert carousel.locator(".slides").get_attribute("aria-live") == "off"
    page.clock.run_for(5_100)
    assert slide.get_attribute("aria-label") == "2 of 3"  # it rotates when asked to
    stop.click()
    play = carousel.get_by_role("button", name="Start automatic rotation")
    assert play.count() == 1
    page.clock.run_for(20_000)
    assert slide.get_attribute("aria-label") == "2 of 3"  # paused stays paused
    play.click()
    page.clock.run_for(5_100)
    assert slide.get_attribute("aria-label") == "3 of 3"
    # Keyboard focus entering the carousel stops it.
    carousel.get_by_role("button", name="Next testimonial").focus()
    assert carousel.get_by_role("button", name="Start automatic rotation").count() == 1
    page.clock.run_for(20_000)
    assert slide.get_attribute("aria-label") == "3 of 3"
    assert_only_the_canary_was_blocked(page)

    calm = new_page(browser, reduced_motion="reduce")
    calm.clock.install()
    calm.goto(url)
    carousel = calm.get_by_role("region", name="Customer testimonials")
    carousel.wait_for()
    calm.clock.run_for(30_000)
    assert carousel.get_by_role("group").get_attribute("aria-label") == "1 of 3"
    assert carousel.get_by_role("button", name="Stop automatic rotation").count() == 0


@pytest.mark.django_db(transaction=True)
def test_survey_widget_asks_for_consent_with_the_naming(live_server, site, browser):
    org = make_org("rakennus")
    org.allowed_origins = [site.origin]
    org.save()
    survey = consent_survey(org)
    script = (
        f'<script src="{live_server.url}/static/channels/widget.js" '
        f'data-survey="{survey.public_key}" data-lang="en" async></script>'
    )
    page = new_page(browser)
    page.goto(site.add("/", live_server.url, script))
    page.get_by_role("button", name="Feedback").click()
    dialog = page.get_by_role("dialog", name="How did we do?")
    dialog.wait_for()
    dialog.get_by_role("radio", name="10", exact=True).check()
    dialog.get_by_role("textbox", name="comment en").fill("Urakka valmistui ajallaan.")
    naming = dialog.get_by_role("radio", name="No name (anonymously)")
    assert not naming.is_visible()  # asked only after the yes
    dialog.get_by_role("checkbox", name=WORDING_EN).check()
    assert naming.is_checked()  # the most private way is preselected
    dialog.get_by_role("radio", name="My first name and the initial of my surname").check()
    dialog.get_by_role("button", name="Send").click()
    dialog.get_by_text("Write the name we may show with your feedback.").first.wait_for()
    dialog.get_by_role("textbox", name="Your name").fill("Maija Meikäläinen")
    dialog.get_by_role("textbox", name="Company").fill("Rakennus Oy")
    dialog.get_by_role("button", name="Send").click()
    dialog.get_by_role("status").get_by_text("Thank you for your feedback!").wait_for()
    record = ConsentRecord.objects.get()
    assert (record.channel, record.language, record.wording) == ("widget", "en", WORDING_EN)
    assert (record.naming, record.name, record.company) == (
        "first_name_initial",
        "Maija Meikäläinen",
        "Rakennus Oy",
    )
    assert record.testimonial.quote == "Urakka valmistui ajallaan."
