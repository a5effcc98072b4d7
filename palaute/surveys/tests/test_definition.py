"""Survey definition validation: every rule names its path and problem (docs/surveys.md)."""

import pytest

from palaute.demo import definitions as demo
from palaute.surveys.definition import validate_definition, visible_keys
from palaute.surveys.tests.helpers import NPS_WHY, definition, options, question, texts


def errors_of(data):
    parsed, errors = validate_definition(data)
    assert parsed is None
    return [str(error) for error in errors]


def test_valid_definition_parses():
    parsed, errors = validate_definition(NPS_WHY)
    assert errors == []
    assert [q.key for q in parsed.questions] == ["nps", "why", "best"]
    assert parsed.question("nps").bounds == (0, 10)


@pytest.mark.parametrize("group", [demo.CAFE, demo.INSTALLER], ids=["cafe", "installer"])
def test_demo_definitions_are_valid(group):
    for key, data in group.items():
        assert validate_definition(data)[1] == [], key


def test_not_an_object():
    assert errors_of([1, 2]) == ["a survey definition must be a JSON object"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"format": "other/2"}, "format: must be 'palaute.survey/1'"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"languages": []}, "languages: must list at least one language"),
        ({"languages": ["fi", "EN"]}, "languages[1]: must be a two-letter code such as 'fi'"),
        ({"languages": ["fi", "fi"]}, "languages[1]: duplicate language 'fi'"),
        ({"default_language": "sv"}, "default_language: must be one of the survey's languages"),
        ({"title": {"fi": "Otsikko"}}, "title: missing the 'en' text"),
        ({"title": texts("a", " ")}, "title.en: must not be empty"),
        ({"title": {**texts("a"), "sv": "b"}}, "title.sv: is not one of the survey's languages"),
        ({"intro": "hello"}, "intro: must be an object"),
        ({"questions": []}, "questions: must have at least one question"),
    ],
)
def test_survey_level_rules(change, expected):
    assert expected in errors_of({**NPS_WHY, **change})


def test_missing_required_fields():
    data = {k: v for k, v in NPS_WHY.items() if k != "title"}
    assert "title: is required" in errors_of(data)


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        (
            question("Bad Key", "text"),
            "questions[1].key: must be 1–40 characters of a–z, 0–9 and _",
        ),
        (question("k" * 41, "text"), "questions[1].key: must be 1–40 characters of a–z, 0–9 and _"),
        (question("nps", "text"), "questions[1].key: duplicate question key 'nps'"),
        (
            {"key": "x", "type": "bogus", "text": texts("x")},
            "questions[1].type: unknown question type 'bogus'",
        ),
        ({"key": "x", "text": texts("x")}, "questions[1].type: is required"),
        ({"key": "x", "type": "text"}, "questions[1].text: is required"),
        ({"type": "text", "text": texts("x")}, "questions[1].key: is required"),
        (
            {"key": "x", "type": "text", "text": {"fi": "x"}},
            "questions[1].text: missing the 'en' text",
        ),
        (question("x", "text", required="yes"), "questions[1].required: must be true or false"),
        (
            question("x", "text", scale={"min": 1, "max": 5}),
            "questions[1].scale: is not a field of a text question",
        ),
        ("just text", "questions[1]: must be an object"),
    ],
)
def test_question_rules(bad, expected):
    data = definition(question("nps", "nps"), bad)
    assert any(error.startswith(expected) for error in errors_of(data)), errors_of(data)


@pytest.mark.parametrize(
    ("type_", "scale", "expected"),
    [
        ("nps", {"min": 1, "max": 10}, "questions[0].scale: must be 0–10 for nps"),
        ("csat", {"min": 1, "max": 7}, "questions[0].scale: must be 1–5 for csat"),
        ("ces", {"min": 0, "max": 7}, "questions[0].scale: must be 1–7 for ces"),
        ("smiley", {"min": 1, "max": 5}, "questions[0].scale: must be 1–4 for smiley"),
        ("rating", {"min": 2, "max": 5}, "questions[0].scale.min: must be 0 or 1 for rating"),
        ("rating", {"min": 1, "max": 11}, "questions[0].scale.max: must be 3–10 for rating"),
        ("rating", {"min": 1, "max": 2}, "questions[0].scale.max: must be 3–10 for rating"),
        (
            "expectation_experience",
            {"min": 1, "max": 20},
            "questions[0].scale.max: must be 3–10 for expectation_experience",
        ),
        ("rating", {"min": "1", "max": 5}, "questions[0].scale.min: must be a whole number"),
        ("rating", {"min": 1}, "questions[0].scale.max: is required"),
    ],
)
def test_scale_rules(type_, scale, expected):
    assert expected in errors_of(definition(question("q", type_, scale=scale)))


def test_fixed_scale_may_be_spelled_out_and_rating_defaults_to_1_5():
    data = definition(
        question("n", "nps", scale={"min": 0, "max": 10}),
        question("r", "rating"),
        question("r0", "rating", scale={"min": 0, "max": 10}),
    )
    parsed, errors = validate_definition(data)
    assert errors == []
    assert parsed.question("r").bounds == (1, 5)
    assert parsed.question("r0").bounds == (0, 10)


@pytest.mark.parametrize(
    ("opts", "expected"),
    [
        ([], "questions[0].options: must have at least one option"),
        (options("a", "a"), "questions[0].options[1].key: duplicate option key 'a'"),
        (options("A b"), "questions[0].options[0].key: must be 1–40 characters"),
        (
            [{"key": "a", "text": {"fi": "a"}}],
            "questions[0].options[0].text: missing the 'en' text",
        ),
        ([{"key": "a"}], "questions[0].options[0].text: is required"),
    ],
)
def test_option_rules(opts, expected):
    errors = errors_of(definition(question("c", "single_choice", options=opts)))
    assert any(error.startswith(expected) for error in errors), errors


def test_choice_needs_options():
    assert "questions[0].options: is required" in errors_of(
        definition(question("c", "multiple_choice"))
    )


CHOICE = question("c", "single_choice", options=options("a", "b"))
MULTI = question("m", "multiple_choice", options=options("a", "b"))


@pytest.mark.parametrize(
    ("earlier", "show_if", "expected"),
    [
        (
            question("n", "nps"),
            {"question": "zz", "op": "eq", "value": 1},
            ".question: refers to unknown question 'zz'",
        ),
        (
            question("n", "nps"),
            {"question": "later", "op": "eq", "value": 1},
            ".question: must refer to an earlier question",
        ),
        (
            question("n", "nps"),
            {"question": "x", "op": "eq", "value": 1},
            ".question: must refer to an earlier question",
        ),
        (question("n", "nps"), {"question": "n", "op": "like", "value": 1}, ".op: must be 'lte'"),
        (
            question("n", "nps"),
            {"question": "n", "op": "lte", "value": 11},
            ".value: must be a whole number 0–10 for a nps question",
        ),
        (
            question("n", "nps"),
            {"question": "n", "op": "lte", "value": "6"},
            ".value: must be a whole number 0–10",
        ),
        (
            question("n", "nps"),
            {"question": "n", "op": "in", "value": 6},
            ".value: must be a non-empty list of numbers",
        ),
        (
            question("n", "nps"),
            {"question": "n", "op": "in", "value": [6, 12]},
            ".value: must be a whole number 0–10",
        ),
        (
            question("n", "csat"),
            {"question": "n", "op": "eq", "value": True},
            ".value: must be a whole number 1–5",
        ),
        (
            question("t", "text"),
            {"question": "t", "op": "eq", "value": "x"},
            ".question: cannot branch on a text question",
        ),
        (
            CHOICE,
            {"question": "c", "op": "lte", "value": "a"},
            ".op: must be eq, ne or in for a single_choice question",
        ),
        (
            CHOICE,
            {"question": "c", "op": "eq", "value": "z"},
            ".value: 'z' is not an option of 'c'",
        ),
        (
            CHOICE,
            {"question": "c", "op": "eq", "value": ["a"]},
            ".value: must be one option key; use in for a list",
        ),
        (
            CHOICE,
            {"question": "c", "op": "in", "value": []},
            ".value: must be a non-empty list of option keys",
        ),
        (
            MULTI,
            {"question": "m", "op": "in", "value": ["a", "q"]},
            ".value: 'q' is not an option of 'm'",
        ),
        (
            question("y", "consent"),
            {"question": "y", "op": "gt", "value": 0},
            ".op: must be eq or ne for a consent question",
        ),
        (
            question("y", "contact_me"),
            {"question": "y", "op": "eq", "value": 1},
            ".value: must be true or false for a contact_me question",
        ),
        (question("n", "nps"), {"question": "n", "op": "eq"}, ".value: is required"),
    ],
)
def test_show_if_rules(earlier, show_if, expected):
    data = definition(earlier, question("x", "text", show_if=show_if), question("later", "nps"))
    errors = errors_of(data)
    assert any(e.startswith("questions[1].show_if" + expected) for e in errors), errors


@pytest.mark.parametrize(
    ("earlier", "show_if"),
    [
        (question("n", "nps"), {"question": "n", "op": "in", "value": [0, 1, 2]}),
        (question("e", "expectation_experience"), {"question": "e", "op": "lt", "value": 3}),
        (CHOICE, {"question": "c", "op": "in", "value": ["a", "b"]}),
        (MULTI, {"question": "m", "op": "eq", "value": "a"}),
        (question("y", "contact_me"), {"question": "y", "op": "eq", "value": True}),
    ],
)
def test_valid_show_if(earlier, show_if):
    assert validate_definition(definition(earlier, question("x", "text", show_if=show_if)))[1] == []


def test_errors_are_all_reported_at_once():
    data = definition(
        question("a", "nps", scale={"min": 1, "max": 10}),
        question("a", "text"),
        question("b", "single_choice", options=[]),
    )
    assert errors_of(data) == [
        "questions[0].scale: must be 0–10 for nps",
        "questions[1].key: duplicate question key 'a'",
        "questions[2].options: must have at least one option",
    ]


def test_visible_keys_follow_branching_in_order():
    parsed, _ = validate_definition(
        definition(
            question("n", "nps"),
            question("why", "text", show_if={"question": "n", "op": "lte", "value": 6}),
            question("c", "single_choice", options=options("a", "b")),
            question("deep", "text", show_if={"question": "c", "op": "eq", "value": "b"}),
            question("m", "multiple_choice", options=options("a", "b")),
            question("m_b", "text", show_if={"question": "m", "op": "in", "value": ["b"]}),
            question("e", "expectation_experience"),
            question("e_low", "text", show_if={"question": "e", "op": "lt", "value": 3}),
            question("y", "contact_me"),
            question("y_yes", "text", show_if={"question": "y", "op": "eq", "value": True}),
        )
    )
    assert visible_keys(parsed, {}) == ["n", "c", "m", "e", "y"]
    answers = {
        "n": 3,
        "c": "b",
        "m": ["a", "b"],
        "e": {"expected": 5, "experience": 2},
        "y": {"contact": True},
    }
    assert visible_keys(parsed, answers) == [
        "n",
        "why",
        "c",
        "deep",
        "m",
        "m_b",
        "e",
        "e_low",
        "y",
        "y_yes",
    ]
    assert "why" not in visible_keys(parsed, {"n": 7})


def test_chained_condition_hidden_when_its_question_is_hidden():
    parsed, _ = validate_definition(
        definition(
            question("n", "nps"),
            question(
                "c",
                "single_choice",
                options=options("a", "b"),
                show_if={"question": "n", "op": "lte", "value": 6},
            ),
            question("d", "text", show_if={"question": "c", "op": "eq", "value": "a"}),
        )
    )
    assert visible_keys(parsed, {"n": 9, "c": "a"}) == ["n"]
    assert visible_keys(parsed, {"n": 2, "c": "a"}) == ["n", "c", "d"]


def test_text_falls_back_to_default_language():
    parsed, _ = validate_definition(NPS_WHY)
    assert parsed.text({"fi": "Hei", "en": "Hi"}, "en") == "Hi"
    assert parsed.text({"fi": "Hei", "en": ""}, "en") == "Hei"
    assert parsed.text({"fi": "Hei"}, "sv") == "Hei"
    assert parsed.language_for("sv") == "fi"
    assert parsed.language_for("en") == "en"
