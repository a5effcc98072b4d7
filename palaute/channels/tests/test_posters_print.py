"""In Chromium: the poster prints on exactly one A4 or A6 page, without the app's chrome, with
a QR code large enough to scan."""

import re

import pytest
from django.conf import settings

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member, make_org, make_stage, make_touchpoint
from palaute.surveys.publishing import create_survey
from palaute.surveys.tests.helpers import definition

MM_PER_CSS_PX = 25.4 / 96
LONG_FI = (
    "Kuinka todennäköisesti suosittelisit Rantakahvilaa ystävällesi tai kollegallesi, kun "
    "ajattelet tämänpäiväistä käyntiäsi, palvelua, tuotteita ja odotusaikaa kassalla?"
)
LONG_EN = (
    "How likely are you to recommend Rantakahvila to a friend or colleague, thinking of "
    "today's visit, the service, the products and the wait at the counter?"
)


def pdf_pages(data: bytes) -> int:
    """Page objects in a PDF (``/Type /Page``, not ``/Type /Pages``)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


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


def signed_in_page(browser, client, live_server, user):
    client.force_login(user)
    context = browser.new_context(locale="fi-FI")
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("size", "pdf_options", "min_qr_mm"),
    [
        ("a4", {"format": "A4"}, 100),
        ("a6", {"width": "105mm", "height": "148mm"}, 30),
    ],
)
def test_poster_prints_on_one_page_with_a_scannable_code(
    browser, client, live_server, size, pdf_options, min_qr_mm
):
    org = make_org("kahvila", "Rantakahvila")
    touchpoint = make_touchpoint(make_stage(org), "counter", name="Kassa")
    data = definition(
        {"key": "nps", "type": "nps", "required": True, "text": {"fi": LONG_FI, "en": LONG_EN}}
    )
    create_survey(org, key="counter-nps", name="NPS", touchpoint=touchpoint, definition=data)
    page = signed_in_page(browser, client, live_server, make_member(org, "ville", Role.VIEWER))

    page.goto(f"{live_server.url}/touchpoints/counter/poster/?size={size}")
    assert page.locator("[data-print]").is_visible()  # poster.js revealed the Print button
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert not page.locator("[data-print]").is_visible()
    qr = page.locator(".poster-qr svg")
    assert qr.count() == 1
    box = qr.bounding_box()
    assert box is not None and box["width"] * MM_PER_CSS_PX >= min_qr_mm
    assert LONG_FI in page.locator(".poster").inner_text()

    pdf = page.pdf(print_background=True, prefer_css_page_size=True, **pdf_options)
    assert pdf.startswith(b"%PDF")
    assert pdf_pages(pdf) == 1
