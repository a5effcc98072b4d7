"""``palaute import_responses``: the same check and import from the command line."""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from palaute.channels.tests.import_helpers import make_import_survey, write_csv
from palaute.surveys.models import ImportBatch, Response

pytestmark = pytest.mark.django_db

HEADER = ["Pvm", "NPS", "Kommentti", "Tunniste"]
ROWS = [["2024-01-05 10:00", "9", "Hyvä", "r1"], ["2024-01-06 11:00", "4", "Huono", "r2"]]


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    with translation.override("en"):
        call_command("import_responses", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_suggested_mapping_with_overrides_imports_and_reimport_finds_duplicates(tmp_path):
    survey = make_import_survey()
    path = write_csv(tmp_path / "vanhat.csv", [HEADER, *ROWS])
    out, _ = run(survey.key, str(path), "--org", "cafe", "--map", "Kommentti=comment",
                 "--map", "Tunniste=external_id")  # fmt: skip
    assert "  Pvm -> submitted_at" in out and "  Kommentti -> q:comment" in out
    assert "2 rows: 2 ready, 0 with problems, 0 imported before" in out
    batch = ImportBatch.objects.get()
    assert f"imported 2 responses as batch {batch.pk}" in out
    assert set(Response.objects.values_list("idempotency_key", flat=True)) == {"x:r1", "x:r2"}

    out, _ = run(survey.key, str(path), "--org", "cafe", "--map", "Tunniste=external_id")
    assert "2 rows: 0 ready, 0 with problems, 2 imported before" in out
    assert "nothing new to import" in out
    assert Response.objects.count() == 2


def test_dry_run_prints_every_problem_and_fails(tmp_path):
    survey = make_import_survey()
    rows = [*ROWS, ["2024-01-07 10:00", "42", "", "r3"], ["huomenna", "5", "", "r4"]]
    path = write_csv(tmp_path / "a.csv", [HEADER, *rows])
    problems = tmp_path / "problems.csv"
    with pytest.raises(CommandError, match="2 problems; nothing was imported"):
        run(survey.key, str(path), "--org", "cafe", "--dry-run", "--problems", str(problems))
    with problems.open(encoding="utf-8") as handle:
        assert list(csv.reader(handle))[1:] == [
            ["4", "NPS", "42", "is not between 0 and 10"],
            ["5", "Pvm", "huomenna", "is not a date and time (use for example 2024-03-31 14:30, "
             "31.3.2024 14.30)"],
        ]  # fmt: skip
    assert Response.objects.count() == 0


def test_problems_go_to_standard_error(tmp_path, capsys):
    survey = make_import_survey()
    path = write_csv(tmp_path / "a.csv", [HEADER, ["2024-01-07 10:00", "42", "", ""]])
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("import_responses", survey.key, str(path), "--org", "cafe", stderr=err)
    assert f"{path}: row 2, column NPS: 42 is not between 0 and 10" in err.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nobody"], "--org: no organisation with slug 'nobody'"),
        (["--org", "cafe", "--map", "Pvm"], "write it as COLUMN=FIELD"),
        (["--org", "cafe", "--map", "Puuttuu=nps"], "no column 'Puuttuu'"),
        (["--org", "cafe", "--map", "NPS=unknown"], "'unknown' is not a field or question"),
        (["--org", "cafe", "--no-suggest", "--map", "NPS=nps"], "date and time"),
    ],
)
def test_argument_errors(tmp_path, args, message):
    survey = make_import_survey()
    path = write_csv(tmp_path / "a.csv", [HEADER, *ROWS])
    with pytest.raises(CommandError, match=message):
        run(survey.key, str(path), *args)


def test_columns_by_number_when_headers_repeat(tmp_path):
    survey = make_import_survey()
    path = write_csv(tmp_path / "a.csv", [["Pvm", "Arvo", "Arvo"], ["2024-01-05 10:00", "9", "4"]])
    maps = ["--map", "Pvm=submitted_at", "--map", "#2=nps", "--map", "#3=csat"]
    out, _ = run(survey.key, str(path), "--org", "cafe", "--no-suggest", *maps)
    assert "imported 1 responses" in out
    assert sorted(Response.objects.get().answers.values_list("question_key", "score")) == [
        ("csat", 4),
        ("nps", 9),
    ]


def test_undo_from_the_command_line(tmp_path):
    survey = make_import_survey()
    run(survey.key, str(write_csv(tmp_path / "a.csv", [HEADER, *ROWS])), "--org", "cafe")
    batch = ImportBatch.objects.get()
    out, _ = run(survey.key, "--org", "cafe", "--undo", str(batch.pk))
    assert out.strip() == f"removed batch {batch.pk} (a.csv): 2 responses"
    assert Response.objects.count() == 0
    with pytest.raises(CommandError, match="has no import batch"):
        run(survey.key, "--org", "cafe", "--undo", str(batch.pk))
