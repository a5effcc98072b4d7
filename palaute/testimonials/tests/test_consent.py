"""A consent is recorded exactly as given (wording in the language shown, language, time,
survey version, naming, name or company), on every channel, in the response's transaction;
and a testimonial candidate with the right quote and rating comes with it."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from palaute.outreach.tests.helpers import invitation_for, make_account, make_contact
from palaute.outreach.tokens import ANSWER, make_token
from palaute.surveys.models import Answer, Response
from palaute.surveys.publishing import publish_version
from palaute.surveys.submission import AnswersInvalid
from palaute.surveys.tests.helpers import definition, question, texts
from palaute.testimonials.models import ConsentRecord, Testimonial
from palaute.testimonials.tests.helpers import (
    WORDING_EN,
    WORDING_FI,
    consent_question,
    consent_survey,
    make_org,
    respond,
)

pytestmark = pytest.mark.django_db


def test_consent_record_keeps_exactly_what_was_agreed_to():
    survey = consent_survey()
    before = timezone.now()
    response = respond(
        survey,
        language="en",
        consent={
            "agreed": True,
            "naming": "full_name",
            "name": " Maija   Meikäläinen ",
            "company": "Rakennus Oy",
        },
    )
    record = ConsentRecord.objects.get(response=response)
    assert record.wording == WORDING_EN  # the exact text shown, in the language shown
    assert record.language == "en"
    assert record.version == survey.current_version and record.version_number == 1
    assert record.question_key == "publish"
    assert before <= record.given_at == response.submitted_at <= timezone.now()
    assert record.channel == "web"
    assert (record.naming, record.name, record.company) == (
        "full_name",
        "Maija Meikäläinen",
        "Rakennus Oy",
    )
    assert record.withdrawn_at is None
    # The answer row keeps the yes and the wording too (exports, analytics).
    row = Answer.objects.get(response=response, kind="consent")
    assert (row.score, row.text) == (1, WORDING_EN)

    testimonial = Testimonial.objects.get(consent=record)
    assert testimonial.status == "pending"
    assert testimonial.quote == testimonial.original_quote == "Loistavaa palvelua!"
    assert testimonial.quote_question_key == "comment"
    assert (testimonial.rating, testimonial.rating_worst, testimonial.rating_best) == (10, 0, 10)
    assert testimonial.language == "en"


def test_the_version_answered_is_recorded_after_the_survey_changes():
    survey = consent_survey()
    data = dict(survey.current_version.definition)
    data["questions"] = [*data["questions"], question("extra", "text")]
    publish_version(survey, data)
    survey.refresh_from_db()
    record = ConsentRecord.objects.get(response=respond(survey, consent=True))
    assert record.version_number == 2
    assert record.wording == WORDING_FI


def test_only_the_name_or_company_the_naming_shows_is_kept():
    survey = consent_survey()
    record = ConsentRecord.objects.get(
        response=respond(
            survey,
            consent={"agreed": True, "naming": "anonymous", "name": "Maija", "company": "Oy"},
        )
    )
    assert (record.naming, record.name, record.company) == ("anonymous", "", "")
    record = ConsentRecord.objects.get(
        response=respond(
            survey, consent={"agreed": True, "naming": "company", "name": "Maija", "company": "Oy"}
        )
    )
    assert (record.naming, record.name, record.company) == ("company", "", "Oy")


def test_a_bare_yes_gets_the_most_private_naming_offered():
    survey = consent_survey(naming=["full_name", "company"])
    with translation.override("en"), pytest.raises(AnswersInvalid) as caught:
        respond(survey, consent=True)  # "company" is the most private, and needs the company
    assert caught.value.errors == {"publish": "Write the name of your company."}
    survey = consent_survey(make_org("toinen"), naming=["full_name", "anonymous"])
    record = ConsentRecord.objects.get(response=respond(survey, consent="yes"))
    assert record.naming == "anonymous"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"agreed": True, "naming": "full_name"}, "Write the name we may show with your feedback."),
        ({"agreed": True, "naming": "nickname"}, "Choose one of the offered ways to name you."),
        ({"agreed": True, "naming": "company", "company": " "}, "Write the name of your company."),
        ({"agreed": True, "nick": "x"}, "Unknown consent field: nick."),
        ({"agreed": "maybe"}, "Answer yes or no."),
        (
            {"agreed": True, "naming": "full_name", "name": "x" * 121},
            "Keep the name under 120 characters.",
        ),
        ({"agreed": True, "naming": "full_name", "name": ["Maija"]}, "The name must be text."),
    ],
)
def test_bad_consent_answers_are_refused_with_the_reason(answer, message):
    survey = consent_survey()
    with translation.override("en"), pytest.raises(AnswersInvalid) as caught:
        respond(survey, consent=answer)
    assert caught.value.errors == {"publish": message}
    assert not Response.objects.exists() and not ConsentRecord.objects.exists()


def test_no_or_no_answer_records_nothing():
    survey = consent_survey()
    respond(survey, consent=False)
    respond(survey, consent={"agreed": False, "naming": "full_name", "name": "Maija"})
    respond(survey)  # not answered
    assert not ConsentRecord.objects.exists() and not Testimonial.objects.exists()
    assert Answer.objects.filter(kind="consent", score=0).count() == 2


def test_the_chosen_quote_question_and_an_empty_quote():
    org = make_org()
    survey_data = definition(
        question("nps", "nps"),
        question("worst", "text"),
        question("best", "text"),
        consent_question(quote="best"),
    )
    from palaute.surveys.tests.helpers import make_survey

    survey = make_survey(survey_data, organisation=org)
    response = respond(
        survey, comment=None, worst="Parkkipaikka", best="Ystävällinen henkilökunta", consent=True
    )
    testimonial = Testimonial.objects.get(consent__response=response)
    assert (testimonial.quote_question_key, testimonial.quote) == (
        "best",
        "Ystävällinen henkilökunta",
    )
    response = respond(survey, comment=None, worst="Parkkipaikka", consent=True)
    assert Testimonial.objects.get(consent__response=response).quote == ""


def test_hosted_page_without_javascript_records_the_naming(client):
    survey = consent_survey()
    page = client.get(reverse("survey_page", args=[survey.public_key]) + "?lang=en")
    html = page.content.decode()
    assert WORDING_EN in html
    assert 'name="publish.naming" value="anonymous" checked' in html  # privacy by default
    for label in ("My full name", "My first name and the initial of my surname"):
        assert label in html
    assert 'name="publish.name"' in html and 'name="publish.company"' in html
    posted = client.post(
        reverse("survey_page", args=[survey.public_key]) + "?lang=en",
        {
            "presented": "nps,comment,publish",
            "nps": "9",
            "comment": "Nopea toimitus",
            "publish": "1",
            "publish.naming": "first_name_initial",
            "publish.name": "Maija Meikäläinen",
            "publish.company": "",
        },
    )
    assert posted.status_code == 302
    record = ConsentRecord.objects.get()
    assert (record.language, record.wording, record.naming, record.name) == (
        "en",
        WORDING_EN,
        "first_name_initial",
        "Maija Meikäläinen",
    )
    assert record.channel == "web"


def test_hosted_page_unticked_consent_is_a_no_and_errors_are_shown(client):
    survey = consent_survey()
    url = reverse("survey_page", args=[survey.public_key]) + "?lang=en"
    base = {"presented": "nps,comment,publish", "nps": "9", "comment": "Hyvä"}
    page = client.post(url, {**base, "publish": "1", "publish.naming": "full_name"})
    assert page.status_code == 422
    assert "Write the name we may show with your feedback." in page.content.decode()
    assert 'name="publish.naming" value="full_name" checked' in page.content.decode()
    assert not ConsentRecord.objects.exists()
    assert client.post(url, {**base, "publish.naming": "anonymous"}).status_code == 302
    assert not ConsentRecord.objects.exists()
    assert Answer.objects.get(kind="consent").score == 0


def test_widget_endpoint_records_the_naming():
    survey = consent_survey()
    definition_json = Client().get(f"/c/{survey.public_key}/survey.json?lang=en").json()
    publish = next(q for q in definition_json["questions"] if q["key"] == "publish")
    assert publish["naming"] == ["full_name", "first_name_initial", "company", "anonymous"]
    body = {
        "answers": {
            "nps": 10,
            "publish": {"agreed": True, "naming": "company", "name": "", "company": "Rakennus Oy"},
        },
        "language": "fi",
        "idempotency_key": "k-1",
        "channel": "widget",
    }
    sent = Client().post(
        f"/c/{survey.public_key}/responses", json.dumps(body), content_type="text/plain"
    )
    assert sent.status_code == 201, sent.content
    record = ConsentRecord.objects.get()
    assert (record.channel, record.naming, record.company, record.wording) == (
        "widget",
        "company",
        "Rakennus Oy",
        WORDING_FI,
    )
    # The same submission again (a retry) stores nothing new.
    Client().post(f"/c/{survey.public_key}/responses", json.dumps(body), content_type="text/plain")
    assert ConsentRecord.objects.count() == 1


def test_invited_contact_links_the_account_after_commit(client, django_capture_on_commit_callbacks):
    org = make_org()
    survey = consent_survey(org)
    account = make_account(org, "Rakennus Oy")
    contact = make_contact(org, "maija@rakennus.example", account=account)
    invitation = invitation_for(survey, contact, status="sent", sent_at=timezone.now())
    token = make_token(invitation.key, ANSWER)
    url = reverse("survey_page", args=[survey.public_key]) + f"?inv={token}&lang=fi"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            url,
            {
                "presented": "nps,comment,publish",
                "nps": "10",
                "comment": "Hyvä",
                "publish": "1",
                "publish.naming": "company",
                "publish.company": "Rakennus",
            },
        )
    testimonial = Testimonial.objects.get()
    assert testimonial.account == account
    assert testimonial.consent.response.invitation == invitation


def test_texts_helper_is_used_for_both_languages():
    assert texts(WORDING_FI, WORDING_EN) == {"fi": WORDING_FI, "en": WORDING_EN}
