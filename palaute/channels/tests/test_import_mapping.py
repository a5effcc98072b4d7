"""Suggesting and checking which column holds what."""

import pytest
from django.utils import translation

from palaute.channels.import_mapping import check, parse_target, suggest
from palaute.channels.tests.import_helpers import FULL
from palaute.surveys.definition import validate_definition
from palaute.surveys.tests.helpers import definition, question, texts

DEFINITION, _errors = validate_definition(FULL)


def test_finnish_export_headers_are_recognised():
    headers = ["Pvm", "Kosketuspiste", "NPS", "Tyytyväisyys", "Kommentti", "Sähköposti", "Muu"]
    assert suggest(headers, DEFINITION) == [
        "submitted_at",
        "touchpoint",
        "q:nps",
        "q:csat",
        "q:why",  # the first text question of the survey
        "contact_email",
        "ignore",
    ]


def test_english_headers_question_keys_and_texts():
    headers = [
        "Date",
        "Language",
        "csat",
        "visit en",
        "Comment",
        "ID",
        "fit expected",
        "fit.experience",
    ]
    assert suggest(headers, DEFINITION) == [
        "submitted_at",
        "language",
        "q:csat",
        "q:visit",  # the question's English text
        "q:comment",  # a question key
        "external_id",
        "q:fit.expected",
        "q:fit.experience",
    ]


def test_a_target_is_suggested_once_and_stronger_evidence_wins():
    data = definition(
        question("nps", "nps", required=True),
        {
            "key": "improve",
            "type": "text",
            "text": texts("Mitä parantaisimme?", "What to improve?"),
        },
        question("comment", "text"),
    )
    parsed, _ = validate_definition(data)
    # "comment" is a question key, "kommentti" only a word for a text question.
    assert suggest(["kommentti", "comment", "date", "time"], parsed) == [
        "q:improve",
        "q:comment",
        "submitted_at",
        "ignore",
    ]


def test_check_names_each_problem():
    headers = ["a", "b", "c", "d"]
    with translation.override("en"):
        errors = check(["q:nps", "q:nps", "q:fit.expected", "q:nope"], headers, DEFINITION)
    assert "Columns a and b both fill question nps; choose one." in errors
    assert "Column d: q:nope is not a field or question of this survey." in errors
    assert "Choose the column that holds the date and time of each response." in errors
    assert "Question fit needs both halves, expected and experience." in errors


def test_required_question_must_be_mapped():
    with translation.override("en"):
        errors = check(["submitted_at", "q:csat"], ["date", "csat"], DEFINITION)
    assert errors == ["Question nps is required; choose the column that holds its answers."]


def test_a_valid_mapping_has_no_errors():
    assert check(["submitted_at", "q:nps", "ignore"], ["date", "nps", "x"], DEFINITION) == []


@pytest.mark.parametrize(
    ("typed", "target"),
    [
        ("submitted_at", "submitted_at"),
        ("ignore", "ignore"),
        ("nps", "q:nps"),
        ("q:nps", "q:nps"),
        ("fit.expected", "q:fit.expected"),
        ("fit", None),
        ("nps.expected", None),
        ("unknown", None),
    ],
)
def test_targets_typed_on_the_command_line(typed, target):
    assert parse_target(typed, DEFINITION) == target
