"""Importing: all rows or none, what is stored, counts, duplicates, undo, time zones."""

from datetime import UTC, date, datetime

import pytest
from django.utils import translation

from palaute.accounts.models import AuditEntry
from palaute.channels import imports
from palaute.channels.tests.import_helpers import make_import_survey, write_csv, write_xlsx
from palaute.insights import metrics, rollup
from palaute.insights.models import ScoreCount
from palaute.surveys.models import Answer, ImportBatch, Response
from palaute.surveys.submission import record_response
from palaute.text.models import CommentAnalysis

pytestmark = pytest.mark.django_db

HEADER = ["Aika", "Piste", "NPS", "CSAT", "Kommentti"]
MAPPING = ["submitted_at", "touchpoint", "q:nps", "q:csat", "q:comment"]
ROWS = [
    ["2024-03-05 14:30", "terrace", "9", "4", "Hyvä kahvi"],
    ["5.3.2024 14.45", "", "3", "2", "Jono oli pitkä"],
    ["2024-03-06 00:30", "counter", "10", "", ""],
    ["2024-03-06T09:00:00Z", "Terassi", "7", "5", "Ok"],
]


def cells(survey):
    return sorted(
        ScoreCount.objects.filter(survey_id=survey.pk).values_list(
            "question_key", "kind", "stage_id", "touchpoint_id", "location_id", "channel", "day",
            "score", "n",
        )
    )  # fmt: skip


def import_file(survey, path, mapping=MAPPING, **kwargs):
    with translation.override("en"):
        return imports.run_import(survey, path, mapping, **kwargs)


def test_import_stores_responses_answers_and_counts(tmp_path):
    survey = make_import_survey()
    terrace = survey.organisation.touchpoints.get(key="terrace")
    path = write_csv(tmp_path / "vanhat.csv", [HEADER, *ROWS])

    report = import_file(survey, path, user=None)

    assert report.imported == 4 and report.ok and report.batch is not None
    batch = report.batch
    assert batch.rows == 4 and batch.filename == "vanhat.csv"
    assert batch.mapping["columns"][0] == {"column": 1, "header": "Aika", "target": "submitted_at"}
    responses = list(Response.objects.order_by("submitted_at"))
    assert [r.submitted_at for r in responses] == [
        datetime(2024, 3, 5, 12, 30, tzinfo=UTC),  # Helsinki is UTC+2 in March
        datetime(2024, 3, 5, 12, 45, tzinfo=UTC),
        datetime(2024, 3, 5, 22, 30, tzinfo=UTC),
        datetime(2024, 3, 6, 9, 0, tzinfo=UTC),  # given in UTC
    ]
    first = responses[0]
    assert first.channel == "import" and first.language == "fi"
    assert first.import_batch == batch and first.version == survey.current_version
    assert (first.touchpoint, first.stage_id, first.location_id) == (
        terrace,
        terrace.stage_id,
        terrace.location_id,
    )
    assert responses[1].touchpoint == survey.touchpoint  # empty cell: the survey's touchpoint
    assert responses[3].touchpoint == terrace  # by name
    answers = {
        (a.response_id, a.question_key): (a.kind, a.score, a.text) for a in Answer.objects.all()
    }
    assert answers[(first.pk, "nps")] == ("nps", 9, "")
    assert answers[(first.pk, "comment")] == ("text", None, "Hyvä kahvi")
    assert (responses[2].pk, "csat") not in answers
    assert Answer.objects.count() == 4 + 3 + 3

    # The counts are exactly what a rebuild from the answers gives, with the local day.
    imported = cells(survey)
    org = survey.organisation
    rollup.rebuild(organisation_id=org.pk, survey_id=survey.pk, time_zone=org.time_zone)
    assert cells(survey) == imported
    tp = survey.touchpoint
    local_day = date(2024, 3, 6)  # 00:30 in Helsinki is still the 5th in UTC
    assert (
        "nps",
        "nps",
        tp.stage_id,
        tp.pk,
        tp.location_id,
        "import",
        local_day,
        10,
        1,
    ) in imported

    entry = AuditEntry.objects.get(action="responses.import")
    assert entry.target == survey.key
    assert entry.detail == {
        "batch": batch.pk,
        "file": "vanhat.csv",
        "responses": 4,
        "already_imported": 0,
    }


def test_metrics_of_an_import_match_the_same_answers_given_live(tmp_path):
    imported = make_import_survey("tuotu")
    live = make_import_survey("elava")
    path = write_csv(tmp_path / "a.csv", [HEADER, *ROWS])
    import_file(imported, path)
    for i, (_at, _place, nps, csat, comment) in enumerate(ROWS):
        answers = {"nps": nps, "csat": csat, "comment": comment}
        record_response(
            live, answers=answers, channel="import", language="fi", idempotency_key=str(i)
        )
    for kind in ("nps", "csat"):
        got = metrics.summary(
            metrics.Scope(organisation_id=imported.organisation_id, survey_id=imported.pk), kind
        )
        want = metrics.summary(
            metrics.Scope(organisation_id=live.organisation_id, survey_id=live.pk), kind
        )
        assert (got.n, got.distribution, got.headline) == (want.n, want.distribution, want.headline)


def test_one_bad_row_stores_nothing(tmp_path):
    survey = make_import_survey()
    record_response(
        survey, answers={"nps": "8"}, channel="web", language="fi", idempotency_key="live"
    )
    before = cells(survey)
    rows = [*ROWS, ["2024-03-07 10:00", "counter", "11", "3", ""]]
    path = write_csv(tmp_path / "a.csv", [HEADER, *rows])

    report = import_file(survey, path)

    assert report.imported == 0 and report.batch is None
    assert [str(p) for p in report.problems] == ["row 6, column NPS: 11 is not between 0 and 10"]
    assert Response.objects.count() == 1  # the live one
    assert Answer.objects.count() == 1
    assert ImportBatch.objects.count() == 0
    assert cells(survey) == before
    assert not AuditEntry.objects.filter(action="responses.import").exists()


def test_importing_the_same_file_again_finds_every_row_imported(tmp_path):
    survey = make_import_survey()
    twice = ["2024-03-08 10:00", "counter", "5", "3", ""]
    path = write_csv(tmp_path / "a.csv", [HEADER, *ROWS, twice, twice])  # two identical rows
    assert import_file(survey, path).imported == 6
    counted = cells(survey)

    again = import_file(survey, path)

    assert (again.imported, again.duplicates, again.good) == (0, 6, 0)
    assert again.ok and again.batch is None
    assert Response.objects.count() == 6
    assert cells(survey) == counted
    assert ImportBatch.objects.count() == 1


def test_a_longer_export_later_adds_only_the_new_rows(tmp_path):
    survey = make_import_survey()
    import_file(survey, write_csv(tmp_path / "q1.csv", [HEADER, *ROWS[:2]]))
    # The same rows from another tool's export: other column order, spaces, an XLSX file.
    later = write_xlsx(
        tmp_path / "h1.xlsx",
        [["NPS", "Aika", "CSAT", "Kommentti", "Piste"],
         [9, datetime(2024, 3, 5, 14, 30), 4, "Hyvä kahvi", "terrace"],
         [3, "2024-03-05 14:45:00", 2, "Jono oli pitkä", ""],
         [6, "2024-04-01 12:00", 3, "", ""]],
    )  # fmt: skip
    report = import_file(
        survey, later, ["q:nps", "submitted_at", "q:csat", "q:comment", "touchpoint"]
    )
    assert (report.imported, report.duplicates) == (1, 2)
    assert Response.objects.count() == 3


def test_external_ids_identify_rows(tmp_path):
    survey = make_import_survey()
    header = ["id", "date", "nps"]
    import_file(survey, write_csv(tmp_path / "a.csv", [header, ["A-1", "2024-01-01", "9"]]),
                ["external_id", "submitted_at", "q:nps"])  # fmt: skip
    # The same id with a corrected score is the same response: it is not imported twice.
    report = import_file(
        survey,
        write_csv(
            tmp_path / "b.csv", [header, ["A-1", "2024-01-01", "8"], ["A-2", "2024-01-02", "7"]]
        ),
        ["external_id", "submitted_at", "q:nps"],
    )
    assert (report.imported, report.duplicates) == (1, 1)
    assert set(Response.objects.values_list("idempotency_key", flat=True)) == {"x:A-1", "x:A-2"}


def test_undo_removes_the_batch_and_recounts(tmp_path):
    survey = make_import_survey()
    record_response(
        survey, answers={"nps": "8"}, channel="web", language="fi", idempotency_key="live"
    )
    before = cells(survey)
    report = import_file(survey, write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))
    other = import_file(
        survey, write_csv(tmp_path / "b.csv", [HEADER, ["2024-05-01", "", "6", "", ""]])
    )
    assert report.imported == 4 and other.imported == 1
    batch_id = report.batch.pk
    _analyse_comments()

    deleted = imports.undo_import(report.batch, user=None)

    assert deleted == 4
    assert not ImportBatch.objects.filter(pk=batch_id).exists()
    assert Response.objects.count() == 2  # the live response and the other import
    assert Answer.objects.count() == 2
    assert not CommentAnalysis.objects.filter(answer__response__import_batch_id=batch_id).exists()
    imports.undo_import(other.batch)
    assert cells(survey) == before
    undo = AuditEntry.objects.filter(action="responses.import_undo").order_by("pk").first()
    assert undo.detail == {"batch": batch_id, "file": "a.csv", "responses": 4}


def _analyse_comments():
    """Text analyses hang off answers and responses; undo must take them along."""
    from palaute.text.analysis import analyse_answers

    analyse_answers(Answer.objects.filter(kind="text").values_list("pk", flat=True))
    assert CommentAnalysis.objects.exists()


def test_language_channel_and_contact_columns(tmp_path):
    survey = make_import_survey()
    header = ["date", "nps", "kieli", "kanava", "nimi", "email", "lupa"]
    path = write_csv(tmp_path / "a.csv", [
        header, ["2024-01-01 10:00", "9", "en", "email", "Aino", "aino@example.fi", "yes"],
        ["2024-01-01 11:00", "8", "", "", "", "", "no"],
    ])  # fmt: skip
    mapping = [
        "submitted_at",
        "q:nps",
        "language",
        "channel",
        "contact_name",
        "contact_email",
        "q:publish",
    ]
    assert import_file(survey, path, mapping).imported == 2
    first, second = Response.objects.order_by("submitted_at")
    assert (first.language, first.channel, first.contact_name, first.contact_email) == (
        "en", "email", "Aino", "aino@example.fi",
    )  # fmt: skip
    assert (second.language, second.channel, second.contact_email) == ("fi", "import", "")
    consent = {a.response_id: (a.score, a.text) for a in Answer.objects.filter(kind="consent")}
    assert consent == {first.pk: (1, "publish en"), second.pk: (0, "publish fi")}


def test_choices_pairs_and_contact_me_are_stored_as_the_live_path_stores_them(tmp_path):
    survey = make_import_survey()
    header = ["date", "nps", "visit", "liked", "expected", "got", "call", "phone"]
    path = write_csv(tmp_path / "a.csv", [
        header,
        ["2024-01-01 10:00", "9", "dinner fi", "staff;food", "2", "4", "yes", "040 123 4567"],
    ])  # fmt: skip
    mapping = ["submitted_at", "q:nps", "q:visit", "q:liked", "q:fit.expected",
               "q:fit.experience", "q:call", "contact_phone"]  # fmt: skip
    assert import_file(survey, path, mapping).imported == 1
    imported = {(a.question_key, a.score, a.expected, a.text) for a in Answer.objects.all()}
    live_survey = make_import_survey("live")
    record_response(
        live_survey,
        answers={"nps": 9, "visit": "dinner", "liked": ["staff", "food"],
                 "fit": {"expected": 2, "experience": 4},
                 "call": {"contact": True, "phone": "040 123 4567"}},
        channel="import", language="fi", idempotency_key="k",
    )  # fmt: skip
    live = {
        (a.question_key, a.score, a.expected, a.text)
        for a in Answer.objects.filter(survey=live_survey)
    }
    assert imported - live == set() and len(imported) == len(live) * 2 - len(live)
    assert Response.objects.get(survey=survey).contact_phone == "040 123 4567"
    fit = ScoreCount.objects.filter(survey_id=survey.pk, question_key="fit.expected").get()
    assert (fit.kind, fit.score, fit.n) == ("expectation", 2, 1)


def test_a_survey_without_a_published_version(tmp_path):
    survey = make_import_survey()
    survey.current_version = None
    survey.save()
    with translation.override("en"):
        report = imports.dry_run(survey, write_csv(tmp_path / "a.csv", [HEADER, *ROWS]), MAPPING)
    assert report.errors == ["This survey has no published version."]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_sqlite_skips_per_row_key_checks_and_restores_them(tmp_path):
    from django.db import connection

    survey = make_import_survey()
    report = import_file(survey, write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))
    assert report.imported == 4
    assert Answer.objects.filter(response__import_batch=report.batch).count() == 10
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
            cursor.execute("PRAGMA foreign_key_check")
            assert cursor.fetchall() == []


def test_a_survey_or_touchpoint_changed_during_the_import_stores_nothing(tmp_path, monkeypatch):
    from palaute.channels import import_store

    survey = make_import_survey()
    version = survey.current_version
    with pytest.raises(import_store.ImportConflict, match="touchpoint"):
        import_store.check_parents(survey, version, {(999_999, 1, 1)})
    tp = survey.touchpoint
    import_store.check_parents(survey, version, {(tp.pk, tp.stage_id, tp.location_id)})

    def moved(*args):
        raise import_store.ImportConflict("touchpoint")

    monkeypatch.setattr(import_store, "check_parents", moved)
    report = import_file(survey, write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))
    assert report.imported == 0 and report.batch is None
    assert "changed during the import (touchpoint)" in report.errors[0]
    assert Response.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_imported_comments_are_queued_for_text_analysis_after_commit(
    tmp_path, django_capture_on_commit_callbacks
):
    from django_tasks.signals import task_enqueued

    survey = make_import_survey()
    seen = []

    def record(sender, task_result, **kwargs):
        seen.append((task_result.task.name, list(task_result.args)))

    task_enqueued.connect(record)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            import_file(survey, write_csv(tmp_path / "a.csv", [HEADER, *ROWS]))
        with django_capture_on_commit_callbacks(execute=True):  # no comments: nothing queued
            rows = [["2024-06-01 10:00", "", "9", "", ""]]
            import_file(survey, write_csv(tmp_path / "b.csv", [HEADER, *rows]))
    finally:
        task_enqueued.disconnect(record)
    assert seen == [("reanalyse_organisation", [survey.organisation_id])]
