"""Recording responses: validation, storage mapping, branching, idempotency, score counts."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from palaute.insights.models import ScoreCount
from palaute.surveys.models import Answer, Response
from palaute.surveys.publishing import publish_version
from palaute.surveys.submission import AnswersInvalid, record_response
from palaute.surveys.tests.helpers import (
    NPS_WHY,
    definition,
    make_org,
    make_survey,
    make_touchpoint,
    options,
    question,
    texts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


ALL_TYPES = definition(
    question("nps", "nps", required=True),
    question("csat", "csat"),
    question("ces", "ces"),
    question("smiley", "smiley"),
    question("stars", "rating", scale={"min": 1, "max": 10}),
    question("pair", "expectation_experience"),
    question("one", "single_choice", options=options("a", "b", "c")),
    question("many", "multiple_choice", options=options("a", "b", "c")),
    question("comment", "text"),
    {
        "key": "publish_ok",
        "type": "consent",
        "text": texts("Saa julkaista.", "You may publish."),
    },
    question("contact", "contact_me"),
)


def submit(survey, answers, key="k1", **extra):
    extra.setdefault("channel", "web")
    extra.setdefault("language", "fi")
    return record_response(survey, answers=answers, idempotency_key=key, **extra)


def rows(response):
    return {
        (a.question_key, a.kind, a.score, a.expected, a.text)
        for a in Answer.objects.filter(response=response)
    }


def test_storage_mapping_for_every_type():
    survey = make_survey(ALL_TYPES)
    response, created = submit(
        survey,
        {
            "nps": "9",
            "csat": 4,
            "ces": "2",
            "smiley": 4,
            "stars": "10",
            "pair": {"expected": "3", "experience": 5},
            "one": "b",
            "many": ["a", "c", "a"],
            "comment": "  Hyvää kahvia  ",
            "publish_ok": "on",
            "contact": {"contact": True, "name": "Maija", "email": "maija@example.com"},
        },
        language="en",
    )
    assert created
    assert rows(response) == {
        ("nps", "nps", 9, None, ""),
        ("csat", "csat", 4, None, ""),
        ("ces", "ces", 2, None, ""),
        ("smiley", "smiley", 4, None, ""),
        ("stars", "rating", 10, None, ""),
        ("pair", "expectation_experience", 5, 3, ""),
        ("one", "single_choice", 1, None, "b"),
        ("many", "multiple_choice", 0, None, "a"),
        ("many", "multiple_choice", 2, None, "c"),
        ("comment", "text", None, None, "Hyvää kahvia"),
        ("publish_ok", "consent", 1, None, "You may publish."),
        ("contact", "contact_me", 1, None, ""),
    }
    response.refresh_from_db()
    assert response.contact_name == "Maija"
    assert response.contact_email == "maija@example.com"
    assert response.language == "en"
    assert response.version == survey.current_version
    tp = survey.touchpoint
    assert (response.touchpoint, response.stage_id, response.location_id) == (
        tp,
        tp.stage_id,
        tp.location_id,
    )


def test_no_to_consent_and_contact_stores_zero_and_no_details():
    survey = make_survey(ALL_TYPES)
    response, _ = submit(
        survey, {"nps": 5, "publish_ok": False, "contact": {"contact": "0", "email": "x@y.fi"}}
    )
    assert ("publish_ok", "consent", 0, None, "Saa julkaista.") in rows(response)
    assert ("contact", "contact_me", 0, None, "") in rows(response)
    response.refresh_from_db()
    assert response.contact_email == ""


@pytest.mark.parametrize(
    ("answers", "key", "message"),
    [
        ({"nps": "11"}, "nps", "Choose a number from 0 to 10."),
        ({"nps": "-1"}, "nps", "Choose a number from 0 to 10."),
        ({"nps": "seven"}, "nps", "Choose a number from 0 to 10."),
        ({"nps": True}, "nps", "Choose a number from 0 to 10."),
        ({"nps": 5, "csat": 0}, "csat", "Choose a number from 1 to 5."),
        ({"nps": 5, "stars": 11}, "stars", "Choose a number from 1 to 10."),
        ({"nps": 5, "pair": {"expected": 3}}, "pair", "Give both what you expected"),
        ({"nps": 5, "pair": 3}, "pair", "Give both what you expected"),
        ({"nps": 5, "pair": {"expected": 3, "experience": 9}}, "pair", "Choose a number"),
        ({"nps": 5, "one": "z"}, "one", "Choose one of the options."),
        ({"nps": 5, "one": ["a"]}, "one", "Choose one of the options."),
        ({"nps": 5, "many": ["a", "z"]}, "many", "Choose from the options."),
        ({"nps": 5, "comment": "x" * 5001}, "comment", "Keep the answer under 5,000 characters."),
        ({"nps": 5, "comment": 42}, "comment", "The answer must be text."),
        ({"nps": 5, "publish_ok": "maybe"}, "publish_ok", "Answer yes or no."),
        ({"nps": 5, "contact": {"contact": True}}, "contact", "Give an email address or a phone"),
        ({"nps": 5, "contact": {"contact": 1, "email": "nope"}}, "contact", "valid email"),
        ({"nps": 5, "contact": {"contact": 1, "phone": "call me"}}, "contact", "valid phone"),
        ({"nps": 5, "contact": {"contact": 1, "fax": "1"}}, "contact", "Unknown contact field"),
        ({"csat": 3}, "nps", "This question is required."),
        ({"nps": 5, "colour": "red"}, "colour", "This survey has no such question."),
        ({}, "nps", "This question is required."),
    ],
)
def test_invalid_answers_give_messages_and_store_nothing(answers, key, message):
    survey = make_survey(ALL_TYPES)
    with pytest.raises(AnswersInvalid) as caught:
        submit(survey, answers)
    assert message in caught.value.errors[key]
    assert not Response.objects.exists()
    assert not Answer.objects.exists()
    assert not ScoreCount.objects.exists()


def test_text_of_exactly_5000_characters_is_accepted():
    survey = make_survey(ALL_TYPES)
    response, _ = submit(survey, {"nps": 5, "comment": "x" * 5000})
    assert Answer.objects.get(response=response, question_key="comment").text == "x" * 5000


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("channel", "pigeon", "must be one of"),
        ("language", "de", "must be one of fi, en"),
        ("idempotency_key", "", "must be 1–64 characters"),
        ("idempotency_key", "k" * 65, "must be 1–64 characters"),
    ],
)
def test_invalid_submission_fields(field, value, message):
    survey = make_survey()
    kwargs = {"channel": "web", "language": "fi", "idempotency_key": "k"}
    kwargs[field] = value
    with pytest.raises(AnswersInvalid) as caught:
        record_response(survey, answers={"nps": 5}, **kwargs)
    assert message in caught.value.errors[field]
    assert not Response.objects.exists()


def test_touchpoint_of_another_organisation_is_rejected():
    survey = make_survey()
    other = make_touchpoint(make_org("agency"), "lobby")
    with pytest.raises(AnswersInvalid) as caught:
        submit(survey, {"nps": 5}, touchpoint=other)
    assert caught.value.errors == {"touchpoint": "belongs to another organisation"}


def test_touchpoint_override_copies_its_stage_and_location():
    survey = make_survey()
    terrace = make_touchpoint(survey.organisation, "terrace", stage_key="post_purchase")
    response, _ = submit(survey, {"nps": 5}, touchpoint=terrace)
    assert response.touchpoint == terrace
    assert response.stage_id == terrace.stage_id


def test_answers_to_hidden_questions_are_dropped():
    survey = make_survey(NPS_WHY)
    response, _ = submit(survey, {"nps": 10, "why": "should be dropped", "best": "coffee"})
    assert {a.question_key for a in response.answers.all()} == {"nps", "best"}


def test_hidden_question_errors_are_ignored_and_required_only_when_visible():
    data = definition(
        question("nps", "nps"),
        question(
            "why", "text", required=True, show_if={"question": "nps", "op": "lte", "value": 6}
        ),
        question("n2", "csat", show_if={"question": "nps", "op": "lte", "value": 6}),
    )
    survey = make_survey(data)
    response, _ = submit(survey, {"nps": 9, "n2": "99"})
    assert [a.question_key for a in response.answers.all()] == ["nps"]
    with pytest.raises(AnswersInvalid) as caught:
        submit(survey, {"nps": 3}, key="k2")
    assert caught.value.errors == {"why": "This question is required."}


def test_empty_submission_is_rejected():
    survey = make_survey(definition(question("comment", "text")), key="optional")
    with pytest.raises(AnswersInvalid) as caught:
        submit(survey, {"comment": "   "})
    assert caught.value.errors == {"answers": "Answer at least one question."}


def test_duplicate_idempotency_key_returns_the_first_response():
    survey = make_survey()
    first, created = submit(survey, {"nps": 3})
    again, created_again = submit(survey, {"nps": 3})
    assert created and not created_again
    assert again.pk == first.pk
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 1
    assert ScoreCount.objects.get().n == 1


def test_same_idempotency_key_on_another_survey_is_a_new_response():
    survey = make_survey()
    other = make_survey(organisation=survey.organisation, key="other")
    submit(survey, {"nps": 3})
    _, created = submit(other, {"nps": 3})
    assert created


def test_score_counts_follow_responses():
    survey = make_survey(ALL_TYPES)
    when = dt.datetime(2025, 3, 1, 23, 30, tzinfo=dt.UTC)  # 1:30 on 2 March in Helsinki
    submit(survey, {"nps": 9, "pair": {"expected": 4, "experience": 2}}, key="a", submitted_at=when)
    submit(survey, {"nps": 9, "comment": "hi"}, key="b", submitted_at=when, channel="qr")
    submit(survey, {"nps": 2}, key="c", submitted_at=when)
    counts = {
        (c.question_key, c.kind, c.channel, c.score, c.day.isoformat()): c.n
        for c in ScoreCount.objects.filter(survey_id=survey.pk)
    }
    assert counts == {
        ("nps", "nps", "web", 9, "2025-03-02"): 1,
        ("nps", "nps", "qr", 9, "2025-03-02"): 1,
        ("nps", "nps", "web", 2, "2025-03-02"): 1,
        ("pair", "expectation_experience", "web", 2, "2025-03-02"): 1,
        ("pair.expected", "expectation", "web", 4, "2025-03-02"): 1,
    }
    tp = survey.touchpoint
    assert set(ScoreCount.objects.values_list("touchpoint_id", "stage_id", "location_id")) == {
        (tp.pk, tp.stage_id, tp.location_id)
    }


def test_responses_point_to_the_version_they_answered():
    survey = make_survey()
    first, _ = submit(survey, {"nps": 3}, key="a")
    publish_version(survey, definition(question("nps", "nps"), question("extra", "csat")))
    second, _ = submit(survey, {"nps": 3, "extra": 5}, key="b")
    assert (first.version.number, second.version.number) == (1, 2)


def test_submission_runs_in_few_queries():
    from palaute.surveys.models import Survey

    survey = make_survey(ALL_TYPES)
    submit(survey, {"nps": 1}, key="warm")  # the parsed definition is cached per version
    survey = Survey.objects.select_related("organisation", "touchpoint", "current_version").get()
    answers = {"nps": 9, "many": ["a", "b", "c"], "comment": "ok", "one": "a", "csat": 5}
    with CaptureQueriesContext(connection) as queries:
        submit(survey, answers, key="fast")
    # savepoint + insert + release, bulk answers, upsert counts (+ BEGIN/COMMIT on some DBs)
    assert len(queries) <= 7, [q["sql"] for q in queries]
