"""The consent question in a survey definition: naming options, the quote question, and the
rule against review gating (a consent question may not depend on a score)."""

from __future__ import annotations

from palaute.surveys.definition import validate_definition
from palaute.surveys.tests.helpers import definition, options, question
from palaute.testimonials.tests.helpers import consent_question


def errors(*questions) -> list[str]:
    _parsed, found = validate_definition(definition(*questions))
    return [str(error) for error in found]


def test_a_consent_question_with_its_options_is_valid():
    parsed, found = validate_definition(
        definition(
            question("nps", "nps"), question("comment", "text"), consent_question(quote="comment")
        )
    )
    assert found == []
    publish = parsed.question("publish")
    assert publish.naming == ["full_name", "first_name_initial", "company", "anonymous"]
    assert publish.default_naming == "anonymous"


def test_naming_defaults_to_anonymous_only():
    consent = consent_question()
    del consent["naming"]
    parsed, found = validate_definition(definition(consent))
    assert found == [] and parsed.question("publish").naming == ["anonymous"]


def test_naming_and_quote_are_checked():
    assert errors(consent_question(naming=[])) == [
        "questions[0].naming: must offer at least one way to name"
    ]
    assert errors(consent_question(naming=["company", "company"])) == [
        "questions[0].naming[1]: duplicate 'company'"
    ]
    (message,) = errors(consent_question(naming=["nickname"]))
    assert message.startswith("questions[0].naming[0]: must be 'full_name'")
    assert errors(question("nps", "nps"), consent_question(quote="nps")) == [
        "questions[1].quote: 'nps' is not a text question"
    ]
    assert errors(consent_question(quote="nothing")) == [
        "questions[0].quote: refers to unknown question 'nothing'"
    ]
    assert errors(
        question("nps", "nps"), question("contact", "contact_me", naming=["anonymous"])
    ) == ["questions[1].naming: is not a field of a contact_me question"]


def test_a_consent_question_that_depends_on_a_score_is_review_gating():
    found = errors(
        question("nps", "nps"),
        consent_question(show_if={"question": "nps", "op": "gte", "value": 9}),
    )
    assert found == [
        "questions[1].show_if: a consent question must be asked whatever the score, but it "
        "depends on 'nps' (nps); asking only happy customers is review gating"
    ]
    for kind in ("csat", "rating", "smiley", "ces", "expectation_experience"):
        found = errors(
            question("score", kind),
            consent_question(show_if={"question": "score", "op": "gte", "value": 3}),
        )
        assert len(found) == 1 and found[0].startswith("questions[1].show_if: a consent question")


def test_gating_through_another_question_is_found_too():
    found = errors(
        question("nps", "nps"),
        question(
            "fan",
            "single_choice",
            options=options("yes", "no"),
            show_if={"question": "nps", "op": "gte", "value": 9},
        ),
        consent_question(show_if={"question": "fan", "op": "eq", "value": "yes"}),
    )
    assert found == [
        "questions[2].show_if: a consent question must be asked whatever the score, but it "
        "depends on 'nps' (nps); asking only happy customers is review gating"
    ]


def test_a_condition_that_is_not_a_score_is_allowed():
    assert (
        errors(
            question("nps", "nps"),
            question("customer", "single_choice", options=options("b2b", "b2c")),
            consent_question(show_if={"question": "customer", "op": "eq", "value": "b2b"}),
        )
        == []
    )
    # Follow-up questions may branch on the score, and on the consent itself.
    assert (
        errors(
            question("nps", "nps"),
            consent_question(),
            question("why", "text", show_if={"question": "nps", "op": "lte", "value": 6}),
            question("thanks", "text", show_if={"question": "publish", "op": "eq", "value": True}),
        )
        == []
    )
