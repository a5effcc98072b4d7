"""In a real browser: a respondent answers the hosted survey on a phone-sized screen, and a
staff member then sees that response on the survey dashboard and the journey map."""

import pytest
from django.contrib.auth import get_user_model

from palaute.accounts.models import Membership, Role
from palaute.surveys.models import Response
from palaute.surveys.tests.helpers import make_org, make_survey

PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
def test_respondent_answers_and_dashboard_shows_it(live_server, chromium_path, monkeypatch):
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    org = make_org("kahvila")
    survey = make_survey(organisation=org)
    user = get_user_model().objects.create_user("aino", password="salasana-123")
    Membership.objects.create(organisation=org, user=user, role=Role.VIEWER)

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = phone.new_page()
        page.goto(f"{live_server.url}/s/{survey.public_key}/?lang=en")
        page.click("label[for=i-nps-3]")  # NPS 2: a detractor, so "why?" appears
        page.fill("#i-why", "Jono oli liian pitkä")
        page.click("button[type=submit]")
        page.wait_for_url("**/thanks/**")
        assert "Thank you" in page.content()

        staff = browser.new_context(locale="en-GB").new_page()
        staff.goto(f"{live_server.url}/login/")
        staff.fill("input[name=username]", "aino")
        staff.fill("input[name=password]", "salasana-123")
        staff.click("main button[type=submit]")
        staff.wait_for_url(f"{live_server.url}/")
        assert "n = 1" in staff.content()  # the journey map cell of the touchpoint
        staff.goto(f"{live_server.url}/surveys/{survey.key}/dashboard/?period=all")
        html = staff.content()
        assert "n = 1" in html
        assert "Jono oli liian pitkä" in html
        assert "−100" in html or "-100" in html
        browser.close()

    response = Response.objects.get()
    assert response.answers.get(question_key="nps").score == 2
