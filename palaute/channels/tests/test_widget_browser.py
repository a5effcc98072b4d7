"""In Chromium: a page on another loopback origin, under a strict Content-Security-Policy,
embeds the widget with one script tag; a visitor answers with the keyboard, and the response
arrives. Also the delay and exit-intent triggers and the "don't ask again" snooze."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from palaute.channels import collect
from palaute.surveys.models import Response
from palaute.surveys.tests.helpers import make_org, make_survey

# Registers every CSP violation before any page script runs (init scripts are not subject to
# the page's CSP), so the test sees what the widget would trigger.
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""
# An inline script the CSP must block: proves the policy is in force and the watch works.
CANARY = "<script>window.inlineRan = true</script>"
SNOOZE = "palaute:snooze:{key}"


class HostSite:
    """A tiny website on 127.0.0.1:<free port> (a different origin from the live server)."""

    def __init__(self):
        self.pages: dict[str, tuple[str, str]] = {}  # path -> (html, csp)
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
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, palaute: str, script_attrs: str, lang: str = "en") -> str:
        csp = (
            f"default-src 'self'; script-src {palaute}; style-src 'self' {palaute}; "
            f"connect-src {palaute}"
        )
        html = (
            f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f"<title>Kauppa</title></head><body><h1>Verkkokauppa</h1>"
            f'<p><a href="#">Tuotteet</a></p>{CANARY}'
            f'<script src="{palaute}/static/channels/widget.js" {script_attrs} async></script>'
            f"</body></html>"
        )
        self.pages[path] = (html, csp)
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


def new_page(browser):
    page = browser.new_context(locale="en-GB").new_page()
    page.add_init_script(WATCH_CSP)
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    page.on("pageerror", lambda error: page.console_messages.append(f"pageerror: {error}"))
    return page


def assert_only_the_canary_was_blocked(page):
    assert page.evaluate("window.inlineRan") is None  # the CSP is in force
    violations = page.evaluate("window.__csp")
    assert violations == ["script-src-elem inline"], violations
    # The console keeps messages across reloads: one canary message per page load.
    csp_console = [m for m in page.console_messages if "Content Security Policy" in m]
    assert csp_console and all("inline script" in m for m in csp_console), csp_console
    assert not [m for m in page.console_messages if m.startswith("pageerror")]


def shadow_focus(page) -> str:
    """Class of the focused element inside the widget's shadow root."""
    return page.evaluate(
        "(document.querySelector('[data-palaute-widget]').shadowRoot.activeElement || {})"
        ".className || ''"
    )


def wait_closed(page):
    """Until the widget has removed its dialog: that happens in the dialog's close event,
    together with giving the focus back and remembering the snooze. (A role locator would see
    the closed dialog as gone a moment earlier, when it is only hidden.)"""
    page.locator("dialog").wait_for(state="detached")


def make_widget_survey(site):
    org = make_org("kauppa")
    org.allowed_origins = [site.origin]
    org.save()
    return make_survey(organisation=org)


@pytest.mark.django_db(transaction=True)
def test_visitor_answers_with_the_keyboard_under_a_strict_csp(live_server, site, browser):
    survey = make_widget_survey(site)
    url = site.add("/", live_server.url, f'data-survey="{survey.public_key}" data-lang="en"')
    page = new_page(browser)
    page.goto(url)

    launcher = page.get_by_role("button", name="Feedback")
    launcher.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="How did we do?")
    dialog.wait_for()
    assert page.evaluate(
        "getComputedStyle(document.querySelector('[data-palaute-widget]').shadowRoot"
        ".querySelector('dialog')).borderRadius"
    ) not in ("", "0px")  # widget.css applies inside the shadow root

    # Esc closes and gives the focus back to the launcher; closing is no reason to hide it.
    page.keyboard.press("Escape")
    wait_closed(page)
    assert shadow_focus(page) == "launch"
    assert launcher.is_visible()
    assert page.evaluate(f"localStorage.getItem('{SNOOZE.format(key=survey.public_key)}')") is None

    page.keyboard.press("Enter")
    dialog.wait_for()
    # Send without answering: the required question is named, next to its scale.
    dialog.get_by_role("button", name="Send").click()
    dialog.get_by_role("alert").get_by_text("Please check your answers").wait_for()
    assert dialog.get_by_text("This question is required.").count() == 2  # inline + summary
    assert dialog.get_by_role("radio", name="0", exact=True).get_attribute("aria-invalid") == "true"
    assert Response.objects.count() == 0

    # Keyboard only: the focus is on the first NPS point (the first invalid input).
    page.keyboard.press("ArrowRight")  # 1
    page.keyboard.press("ArrowRight")  # 2
    page.keyboard.press("ArrowRight")  # 3: a detractor, so "why?" appears
    why = dialog.get_by_role("textbox", name="why en")
    why.wait_for()
    page.keyboard.press("Tab")
    page.keyboard.type("Jono oli liian pitkä")
    page.keyboard.press("Tab")
    assert shadow_focus(page) == "send"
    page.keyboard.press("Enter")
    dialog.get_by_role("status").get_by_text("Thank you for your feedback!").wait_for()

    response = Response.objects.get()
    assert response.channel == "widget"
    assert response.language == "en"
    assert {a.question_key: (a.score, a.text) for a in response.answers.all()} == {
        "nps": (3, ""),
        "why": (None, "Jono oli liian pitkä"),
    }
    # Tab stays inside the dialog (only Close is left after the thanks).
    page.keyboard.press("Tab")
    assert shadow_focus(page) == "x"
    page.keyboard.press("Tab")
    assert shadow_focus(page) == "x"
    page.keyboard.press("Escape")
    wait_closed(page)
    # Answered: not asked again for the snooze period, even after a reload.
    until = page.evaluate(f"+localStorage.getItem('{SNOOZE.format(key=survey.public_key)}')")
    assert until > page.evaluate("Date.now()") + 29 * 86400_000
    assert not launcher.is_visible()
    page.reload()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.locator("[data-palaute-widget]").count() == 0
    assert not page.context.cookies()  # no cookies on either origin
    assert_only_the_canary_was_blocked(page)


@pytest.mark.django_db(transaction=True)
def test_delay_trigger_opens_by_itself_and_closing_snoozes(live_server, site, browser):
    survey = make_widget_survey(site)
    attrs = f'data-survey="{survey.public_key}" data-trigger="delay:0.3" data-snooze-days="2"'
    url = site.add("/fi", live_server.url, attrs, lang="fi")  # language from <html lang>
    page = new_page(browser)
    page.goto(url)
    dialog = page.get_by_role("dialog", name="Miten onnistuimme?")
    dialog.wait_for(timeout=5000)
    assert page.get_by_role("button", name="Anna palautetta").count() == 0  # no launcher
    dialog.get_by_role("button", name="Sulje").click()
    wait_closed(page)
    until = page.evaluate(f"+localStorage.getItem('{SNOOZE.format(key=survey.public_key)}')")
    assert 1.9 * 86400_000 < until - page.evaluate("Date.now()") <= 2 * 86400_000
    page.reload()
    page.wait_for_timeout(1000)  # more than the delay: nothing opens while snoozed
    assert page.locator("dialog").count() == 0
    assert_only_the_canary_was_blocked(page)


@pytest.mark.django_db(transaction=True)
def test_exit_intent_trigger_and_a_site_that_is_not_allowed(live_server, site, browser):
    survey = make_widget_survey(site)
    url = site.add(
        "/exit", live_server.url, f'data-survey="{survey.public_key}" data-trigger="exit"'
    )
    page = new_page(browser)
    page.goto(url)
    page.wait_for_load_state("load")
    page.mouse.move(200, 200)
    assert page.locator("dialog").count() == 0
    # The pointer leaves the window through the top edge.
    page.evaluate(
        "document.documentElement.dispatchEvent("
        "new MouseEvent('mouseout', {bubbles: true, clientX: 200, clientY: -2}))"
    )
    page.get_by_role("dialog", name="How did we do?").wait_for()

    # The same page on an origin the organisation did not allow: the widget says so, and the
    # server refuses the survey (403, no CORS headers).
    survey.organisation.allowed_origins = ["https://elsewhere.example"]
    survey.organisation.save()
    collect.clear_cache()
    other = new_page(browser)
    other.goto(url)
    other.wait_for_load_state("load")
    other.evaluate(
        "document.documentElement.dispatchEvent("
        "new MouseEvent('mouseout', {bubbles: true, clientX: 200, clientY: -2}))"
    )
    other.get_by_role("dialog", name="This survey is not available right now.").wait_for()
    assert any("allowed web origins" in m for m in other.console_messages)
    assert any("blocked by CORS policy" in m for m in other.console_messages)
