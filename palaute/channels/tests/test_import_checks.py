"""The dry run: every problem reported by row (as the file shows it), column, value and
message; the rules agree with the live submission path."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from palaute.channels import imports
from palaute.channels.tests.import_helpers import make_import_survey, write_csv, write_xlsx
from palaute.surveys.models import Response
from palaute.surveys.submission import AnswersInvalid, record_response
from palaute.surveys.tests.helpers import definition, question

pytestmark = pytest.mark.django_db

HEADER = ["Aika", "Piste", "NPS", "CSAT", "Käynti", "Piti", "Odotus", "Kokemus", "Lupa",
          "Soita", "Sähköposti", "Puhelin", "Tunnus", "Kieli", "Kanava"]  # fmt: skip
MAPPING = ["submitted_at", "touchpoint", "q:nps", "q:csat", "q:visit", "q:liked",
           "q:fit.expected", "q:fit.experience", "q:publish", "q:call", "contact_email",
           "contact_phone", "external_id", "language", "channel"]  # fmt: skip


def row(**cells):
    values = dict(zip(HEADER, [""] * len(HEADER), strict=True))
    values.update({"Aika": "2024-03-05 14:30", "NPS": "9"})
    values.update(cells)
    return [values[h] for h in HEADER]


def dry_run(tmp_path, rows, mapping=MAPPING, survey=None):
    survey = survey or make_import_survey()
    path = write_csv(tmp_path / "vastaukset.csv", [HEADER, *rows])
    sink = io.StringIO()
    with translation.override("en"):
        report = imports.dry_run(survey, path, mapping, problems_to=sink)
    return report, sink.getvalue()


def test_each_kind_of_problem_names_row_column_value_and_reason(tmp_path):
    future = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")
    rows = [
        row(),  # row 2 is fine
        row(NPS="11"),
        row(NPS="9,5"),
        row(NPS="kymmenen"),
        row(Käynti="brunch"),
        row(Piti="food;parking"),
        row(Aika="31.2.2024"),
        row(Aika="03/05/2024"),
        row(Aika=future),
        row(Piste="sauna"),
        row(NPS=""),
        row(Sähköposti="not-an-address"),
        row(Puhelin="call me maybe"),
        row(Odotus="3"),
        row(Soita="yes"),
        row(Lupa="perhaps"),
        row(Kieli="de"),
        row(Kanava="pigeon"),
        row(Aika=""),
        row(Tunnus="A-1"),
        row(Tunnus="A-1"),
    ]
    report, csv_text = dry_run(tmp_path, rows)
    assert [str(p) for p in report.problems] == [
        "row 3, column NPS: 11 is not between 0 and 10",
        "row 4, column NPS: 9,5 is not a whole number",
        "row 5, column NPS: kymmenen is not a number",
        "row 6, column Käynti: brunch is not an option of question visit (lunch, coffee, dinner)",
        "row 7, column Piti: food;parking is not an option of question liked (food, staff, price)",
        "row 8, column Aika: 31.2.2024 is not a valid date",
        "row 9, column Aika: 03/05/2024 is not a date and time (use for example "
        "2024-03-31 14:30, 31.3.2024 14.30)",
        f"row 10, column Aika: {future} is in the future",
        "row 11, column Piste: sauna is not a touchpoint of this organisation",
        "row 12, column NPS: is empty; the question is required",
        "row 13, column Sähköposti: not-an-address is not an email address",
        "row 14, column Puhelin: call me maybe is not a phone number",
        "row 15, column Kokemus: is empty; give both halves of the pair",
        "row 16, column Soita: yes needs a contact email or phone on the same row",
        "row 17, column Lupa: perhaps is not yes or no",
        "row 18, column Kieli: de is not a language of this survey (fi, en)",
        "row 19, column Kanava: pigeon is not a channel (" + ", ".join(_channels()) + ")",
        "row 20, column Aika: is empty; every row needs the date and time",
        "row 22, column Tunnus: A-1 is also on row 21",
    ]
    assert report.rows == 21
    assert report.bad_rows == 19
    assert report.good == 2 and report.problem_count == 19
    assert not report.ok and not report.importable
    lines = csv_text.strip().splitlines()
    assert lines[0] == "row,column,value,problem"
    assert lines[1] == "3,NPS,11,is not between 0 and 10"
    assert len(lines) == 20
    assert Response.objects.count() == 0  # a dry run stores nothing


def _channels():
    from palaute.journeys.models import Channel

    return Channel.values


def test_every_problem_of_a_row_is_reported(tmp_path):
    report, _ = dry_run(tmp_path, [row(NPS="12", CSAT="0", Piste="nowhere")])
    assert [(p.row, p.column) for p in report.problems] == [
        (2, "Piste"),
        (2, "NPS"),
        (2, "CSAT"),
    ]
    assert report.bad_rows == 1


def test_lenient_forms_that_people_and_spreadsheets_write(tmp_path):
    rows = [
        row(NPS=" 10 ", CSAT="4,0", Käynti="Coffee EN", Piti="food; Staff fi", Lupa="Kyllä",
            Kieli="English", Kanava="Email", Aika="5.3.2024 klo 9.05", Piste="Terassi"),
        row(NPS="0", Aika="2024-03-05T14:30:00+02:00", Odotus="1", Kokemus="5", Lupa="ei",
            Soita="k", Puhelin="+358 40 123 4567", Kieli="fi-FI", Piste="TERRACE"),
    ]  # fmt: skip
    report, _ = dry_run(tmp_path, rows)
    assert report.problems == []
    assert report.good == 2


def test_rows_with_more_cells_than_the_header(tmp_path):
    survey = make_import_survey()
    path = write_csv(
        tmp_path / "a.csv",
        [["date", "nps"], ["2024-01-01 10:00", "9", "stray"], ["2024-01-01 10:00", "8", ""]],
    )
    with translation.override("en"):
        report = imports.dry_run(survey, path, ["submitted_at", "q:nps"])
    assert [str(p) for p in report.problems] == [
        "row 2, column —: has 3 cells but the header has 2"
    ]
    assert report.good == 1


def test_answers_hidden_by_branching_are_left_out_as_on_the_survey_page(tmp_path):
    survey = make_import_survey()
    path = write_csv(
        tmp_path / "a.csv",
        [
            ["date", "nps", "why"],
            ["2024-01-01 10:00", "9", "Hyvä"],
            ["2024-01-01 11:00", "3", "Huono"],
        ],
    )
    report = imports.run_import(survey, path, ["submitted_at", "q:nps", "q:why"])
    assert report.imported == 2 and report.hidden_answers == 1
    texts = set(
        Response.objects.filter(answers__question_key="why").values_list("answers__text", flat=True)
    )
    assert texts == {"Huono"}


def test_a_required_question_behind_a_condition_is_required_where_it_shows(tmp_path):
    data = definition(
        question("nps", "nps", required=True),
        question(
            "why", "text", required=True, show_if={"question": "nps", "op": "lte", "value": 6}
        ),
    )
    survey = make_import_survey(data=data)
    path = write_csv(
        tmp_path / "a.csv",
        [["date", "nps", "why"], ["2024-01-01 10:00", "9", ""], ["2024-01-01 11:00", "3", ""]],
    )
    with translation.override("en"):
        report = imports.dry_run(survey, path, ["submitted_at", "q:nps", "q:why"])
        unmapped = imports.dry_run(survey, path, ["submitted_at", "q:nps", "ignore"])
    assert [str(p) for p in report.problems] == [
        "row 3, column why: is empty; the question is required"
    ]
    assert [str(p) for p in unmapped.problems] == [
        "row 3, column —: question why is required on this row; map a column to it"
    ]


def test_a_row_without_any_answer(tmp_path):
    data = definition(question("nps", "nps"), question("comment", "text"))
    survey = make_import_survey(data=data)
    path = write_csv(
        tmp_path / "a.csv", [["date", "nps", "comment"], ["2024-01-01 10:00", "", " "]]
    )
    with translation.override("en"):
        report = imports.dry_run(survey, path, ["submitted_at", "q:nps", "q:comment"])
    assert [str(p) for p in report.problems] == ["row 2, column —: has no answers"]


def test_mapping_and_file_errors_come_before_any_row(tmp_path):
    survey = make_import_survey()
    path = write_csv(tmp_path / "a.csv", [["date", "nps"], ["2024-01-01", "9"]])
    with translation.override("en"):
        report = imports.dry_run(survey, path, ["ignore", "q:nps"])
        missing = imports.dry_run(survey, tmp_path / "nope.csv", ["submitted_at"])
    assert report.errors == ["Choose the column that holds the date and time of each response."]
    assert report.rows == 0
    assert missing.errors and "cannot be read" in missing.errors[0]


def test_xlsx_cells_numbers_and_datetimes(tmp_path):
    from datetime import datetime

    survey = make_import_survey()
    path = write_xlsx(
        tmp_path / "a.xlsx",
        [["Aika", "NPS", "CSAT"], [datetime(2024, 3, 5, 14, 30), 9, 4.0],
         [datetime(2024, 3, 5, 15, 0), 10.5, 3], [45000, 3, 2]],
    )  # fmt: skip
    with translation.override("en"):
        report = imports.dry_run(survey, path, ["submitted_at", "q:nps", "q:csat"])
    assert [str(p) for p in report.problems] == [
        "row 3, column NPS: 10.5 is not a whole number",
        "row 4, column Aika: 45000 is a number, not a date; format the column as dates or text",
    ]


@pytest.mark.parametrize("value", ["11", "-1", "x", "9.5"])
def test_scores_the_live_path_refuses_are_refused(tmp_path, value):
    survey = make_import_survey()
    with pytest.raises(AnswersInvalid):
        record_response(
            survey, answers={"nps": value}, channel="web", language="fi", idempotency_key="k"
        )
    report, _ = dry_run(tmp_path, [row(NPS=value)], survey=survey)
    assert report.problem_count == 1
