"""The hosted survey page: rendering, branching with and without JavaScript, double submits,
validation messages, tenancy, languages and the page-size budget."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from palaute.demo import definitions as demo
from palaute.surveys.models import Answer, Response
from palaute.surveys.tests.helpers import (
    NPS_WHY,
    definition,
    make_org,
    make_survey,
    make_touchpoint,
    options,
    question,
)

pytestmark = pytest.mark.django_db
STATIC = Path(__file__).resolve().parents[1] / "static" / "surveys"


def page_url(survey, query=""):
    return reverse("survey_page", args=[survey.public_key]) + query


def form_state(html):
    """The hidden fields of the rendered form."""
    idem = re.search(r'name="idem" value="([0-9a-f]{32})"', html).group(1)
    presented = re.search(r'name="presented" value="([^"]*)"', html).group(1)
    return idem, presented


def hidden_keys(html):
    return re.findall(r'<div class="q" id="q-(\w+)"[^>]*\shidden>', html)


def test_first_render_shows_only_unconditional_questions():
    survey = make_survey()
    response = Client().get(page_url(survey))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fi">' in html
    assert "Miten onnistuimme?" in html
    assert form_state(html)[1] == "nps"
    assert hidden_keys(html) == ["why", "best"]
    assert 'name="csrfmiddlewaretoken"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_language_switch_and_fallback():
    survey = make_survey()
    html = Client().get(page_url(survey, "?lang=en")).content.decode()
    assert '<html lang="en">' in html and "How did we do?" in html
    assert 'href="?lang=fi" lang="fi"' in html
    html = Client().get(page_url(survey, "?lang=de")).content.decode()
    assert '<html lang="fi">' in html
    html = Client(HTTP_ACCEPT_LANGUAGE="en").get(page_url(survey)).content.decode()
    assert '<html lang="en">' in html


def test_scales_are_radio_groups_in_fieldsets_with_legends():
    survey = make_survey()
    html = Client().get(page_url(survey, "?lang=en")).content.decode()
    assert html.count('type="radio" id="i-nps-') == 11
    assert re.search(r'<fieldset aria-describedby="a-nps"><legend>nps en', html)
    assert '<p class="anchors" id="a-nps"><span>0 = Not at all likely</span>' in html


def test_without_javascript_branching_shows_follow_up_then_stores():
    survey = make_survey()
    client = Client()
    idem, presented = form_state(client.get(page_url(survey)).content.decode())
    first = client.post(page_url(survey), {"idem": idem, "presented": presented, "nps": "4"})
    assert first.status_code == 200  # re-rendered with the follow-up question
    html = first.content.decode()
    assert form_state(html) == (idem, "nps,why")
    assert hidden_keys(html) == ["best"]
    assert 'value="4" checked' in html
    assert not Response.objects.exists()
    second = client.post(
        page_url(survey),
        {"idem": idem, "presented": "nps,why", "nps": "4", "why": "Slow service"},
    )
    assert second.status_code == 302
    assert second["Location"] == reverse("survey_thanks", args=[survey.public_key]) + "?lang=fi"
    response = Response.objects.get()
    assert {(a.question_key, a.score, a.text) for a in response.answers.all()} == {
        ("nps", 4, ""),
        ("why", None, "Slow service"),
    }
    assert response.channel == "web"


def test_follow_up_may_be_left_blank():
    survey = make_survey()
    client = Client()
    client.post(page_url(survey), {"idem": "a" * 32, "presented": "nps", "nps": "2"})
    done = client.post(page_url(survey), {"idem": "a" * 32, "presented": "nps,why", "nps": "2"})
    assert done.status_code == 302
    assert list(Answer.objects.values_list("question_key", flat=True)) == ["nps"]


def test_with_javascript_one_post_is_enough():
    # survey.js keeps `presented` in step with the questions it reveals.
    survey = make_survey()
    response = Client().post(
        page_url(survey, "?ch=qr"),
        {"idem": "b" * 32, "presented": "nps,best", "nps": "10", "best": "Coffee"},
    )
    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.channel == "qr"
    assert set(stored.answers.values_list("question_key", flat=True)) == {"nps", "best"}


def test_answers_to_questions_hidden_by_branching_are_dropped():
    survey = make_survey()
    Client().post(
        page_url(survey),
        {"idem": "c" * 32, "presented": "nps,why,best", "nps": "10", "why": "x", "best": "y"},
    )
    assert set(Answer.objects.values_list("question_key", flat=True)) == {"nps", "best"}


def test_double_submit_stores_one_response():
    survey = make_survey()
    client = Client()
    data = {"idem": "d" * 32, "presented": "nps,best", "nps": "9"}
    first = client.post(page_url(survey), data)
    second = client.post(page_url(survey), data)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1


def test_validation_errors_rerender_with_messages_and_store_nothing():
    survey = make_survey(
        definition(
            question("nps", "nps", required=True),
            question("c", "single_choice", options=options("a", "b")),
            question("comment", "text"),
        )
    )
    response = Client().post(
        page_url(survey, "?lang=en"),
        {"idem": "e" * 32, "presented": "nps,c,comment", "c": "zz", "comment": "kept text"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert '<p class="err" id="e-nps">This question is required.</p>' in html
    assert '<p class="err" id="e-c">Choose one of the options.</p>' in html
    assert 'aria-describedby="e-nps a-nps"' in html
    assert '<a href="#q-nps">This question is required.</a>' in html
    assert ">kept text</textarea>" in html
    assert form_state(html)[0] == "e" * 32
    assert not Response.objects.exists()


def test_ui_strings_follow_the_page_language():
    survey = make_survey()
    html = Client().get(page_url(survey, "?lang=en")).content.decode()
    assert ">Send</button>" in html


def test_checkbox_questions_seen_and_unticked_are_a_no():
    survey = make_survey(
        definition(question("nps", "nps"), question("ok", "consent"), question("me", "contact_me"))
    )
    Client().post(page_url(survey), {"idem": "f" * 32, "presented": "nps,ok,me", "nps": "7"})
    assert set(Answer.objects.values_list("question_key", "score")) == {
        ("nps", 7),
        ("ok", 0),
        ("me", 0),
    }


def test_contact_details_go_on_the_response():
    survey = make_survey(definition(question("me", "contact_me")))
    Client().post(
        page_url(survey),
        {
            "idem": "0" * 32,
            "presented": "me",
            "me": "1",
            "me.name": "Maija",
            "me.phone": "+358 40 123 4567",
        },
    )
    response = Response.objects.get()
    assert (response.contact_name, response.contact_phone) == ("Maija", "+358 40 123 4567")


def test_expectation_experience_from_the_form():
    survey = make_survey(definition(question("pair", "expectation_experience")))
    Client().post(
        page_url(survey),
        {"idem": "1" * 32, "presented": "pair", "pair.expected": "4", "pair.experience": "2"},
    )
    assert Answer.objects.values_list("expected", "score").get() == (4, 2)


def test_touchpoint_parameter_attributes_within_the_organisation():
    survey = make_survey()
    terrace = make_touchpoint(survey.organisation, "terrace")
    client = Client()
    client.post(
        page_url(survey, "?tp=terrace"), {"idem": "2" * 32, "presented": "nps,best", "nps": "9"}
    )
    assert Response.objects.get().touchpoint == terrace


def test_touchpoint_of_another_organisation_is_ignored():
    survey = make_survey()
    make_touchpoint(make_org("rival"), "rival-desk")
    client = Client()
    client.post(
        page_url(survey, "?tp=rival-desk"), {"idem": "3" * 32, "presented": "nps,best", "nps": "9"}
    )
    assert Response.objects.get().touchpoint == survey.touchpoint


def test_unknown_channel_falls_back_to_web():
    survey = make_survey()
    Client().post(page_url(survey, "?ch=kiosk"), {"idem": "4" * 32, "presented": "nps", "nps": "8"})
    assert Response.objects.get().channel == "web"


def test_csrf_is_enforced():
    survey = make_survey()
    client = Client(enforce_csrf_checks=True)
    response = client.post(page_url(survey), {"idem": "5" * 32, "presented": "nps", "nps": "8"})
    assert response.status_code == 403
    html = client.get(page_url(survey)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    idem, presented = form_state(html)
    response = client.post(
        page_url(survey),
        {"csrfmiddlewaretoken": token, "idem": idem, "presented": presented, "nps": "8"},
    )
    assert response.status_code == 302


def test_inactive_survey_is_gone():
    survey = make_survey()
    survey.is_active = False
    survey.save()
    assert Client().get(page_url(survey)).status_code == 410
    response = Client().post(page_url(survey), {"idem": "6" * 32, "nps": "8"})
    assert response.status_code == 410
    assert not Response.objects.exists()


def test_unknown_survey_is_not_found():
    assert Client().get("/s/nope/").status_code == 404


def test_thanks_page_in_the_respondents_language():
    survey = make_survey()
    url = reverse("survey_thanks", args=[survey.public_key])
    html = Client().get(url + "?lang=en").content.decode()
    assert '<html lang="en">' in html and "Thank you for your feedback!" in html
    assert "Kiitos palautteesta!" in Client().get(url).content.decode()


def test_every_question_type_renders():
    survey = make_survey(
        definition(
            question("nps", "nps"),
            question("smile", "smiley"),
            question("stars", "rating", scale={"min": 0, "max": 10}),
            question("pair", "expectation_experience"),
            question("one", "single_choice", options=options("a", "b")),
            question("many", "multiple_choice", options=options("a", "b")),
            question("comment", "text"),
            question("ok", "consent"),
            question("me", "contact_me"),
        )
    )
    html = Client().get(page_url(survey, "?lang=en")).content.decode()
    assert 'name="pair.expected"' in html and 'name="pair.experience"' in html
    assert 'type="checkbox" id="i-many-1" name="many" value="a"' in html
    assert '<span class="sr">Very happy</span>' in html
    assert 'name="me.email"' in html and 'autocomplete="email"' in html
    assert html.count('type="radio" id="i-stars-') == 11


def test_page_size_budget():
    """BRIEF §8: the survey page is at most 30 KB transferred (HTML + CSS + JS, uncompressed)."""
    biggest = max([*demo.CAFE.values(), *demo.INSTALLER.values()], key=lambda d: len(str(d)))
    survey = make_survey(biggest)
    html = Client().get(page_url(survey)).content
    total = (
        len(html) + (STATIC / "survey.css").stat().st_size + (STATIC / "survey.js").stat().st_size
    )
    assert total < 30 * 1024, total


def test_script_and_styles_are_external():
    survey = make_survey(NPS_WHY)
    html = Client().get(page_url(survey)).content.decode()
    assert "<script>" not in html and "style=" not in html and "onclick" not in html
    assert 'data-show-if="{&quot;question&quot;: &quot;nps&quot;' in html


@pytest.mark.django_db(transaction=True)
def test_javascript_reveals_follow_up_live(live_server, chromium_path, monkeypatch):
    """survey.js shows the branch question at once and keeps `presented` in step."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright runs an event loop
    survey = make_survey()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path)
        page = browser.new_page()
        page.goto(live_server.url + page_url(survey, "?lang=en"))
        assert page.is_hidden("#q-why")
        page.click("label[for=i-nps-4]")  # NPS 3
        assert page.is_visible("#q-why") and page.is_hidden("#q-best")
        assert page.input_value("input[name=presented]") == "nps,why"
        page.fill("#i-why", "Too slow")
        page.click("button[type=submit]")
        page.wait_for_url("**/thanks/**")
        assert "Thank you for your feedback!" in page.content()
        browser.close()
    response = Response.objects.get()
    assert set(response.answers.values_list("question_key", "score", "text")) == {
        ("nps", 3, ""),
        ("why", None, "Too slow"),
    }
