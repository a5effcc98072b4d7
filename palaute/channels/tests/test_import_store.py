"""How an import stores its rows: in time order whatever the file's order, the quick check
for rows imported before, the foreign-key checks it takes over from the database, and the
SQLite checkpoint after it commits."""

import sqlite3

import pytest
from django.db import connection, transaction
from django.utils import translation

from palaute.channels import import_store, imports
from palaute.channels.tests.import_helpers import make_import_survey, write_csv
from palaute.insights import rollup
from palaute.insights.models import ScoreCount
from palaute.surveys.models import Answer, Response

pytestmark = pytest.mark.django_db

HEADER = ["Aika", "Piste", "NPS", "CSAT", "Kommentti"]
MAPPING = ["submitted_at", "touchpoint", "q:nps", "q:csat", "q:comment"]
NEWEST_FIRST = [
    ["2024-03-09 08:00", "terrace", "9", "4", "Hyvä"],
    ["2024-03-07 12:00", "", "3", "", "Jono"],
    ["2024-03-08 10:00", "counter", "10", "5", ""],
    ["2024-03-05 14:30", "terrace", "7", "2", "Ok"],
]


def import_file(survey, path, mapping=MAPPING):
    with translation.override("en"):
        return imports.run_import(survey, path, mapping)


def cells(survey):
    return sorted(
        ScoreCount.objects.filter(survey_id=survey.pk).values_list(
            "question_key", "stage_id", "touchpoint_id", "day", "score", "n"
        )
    )


def test_a_file_newest_first_is_stored_oldest_first_with_its_answers(tmp_path):
    survey = make_import_survey()

    report = import_file(survey, write_csv(tmp_path / "a.csv", [HEADER, *NEWEST_FIRST]))

    assert report.imported == 4
    responses = list(Response.objects.order_by("id"))
    assert [r.submitted_at for r in responses] == sorted(r.submitted_at for r in responses)
    comments = dict(Answer.objects.filter(kind="text").values_list("response_id", "text"))
    by_time = {r.submitted_at.strftime("%m-%d %H:%M"): r.pk for r in responses}
    assert comments == {
        by_time["03-09 06:00"]: "Hyvä",  # Helsinki is UTC+2 in March
        by_time["03-07 10:00"]: "Jono",
        by_time["03-05 12:30"]: "Ok",
    }
    nps = dict(Answer.objects.filter(kind="nps").values_list("response_id", "score"))
    assert nps[by_time["03-08 08:00"]] == 10
    imported = cells(survey)
    org = survey.organisation
    rollup.rebuild(organisation_id=org.pk, survey_id=survey.pk, time_zone=org.time_zone)
    assert cells(survey) == imported


def test_keys_around_earlier_ones_are_looked_up_one_by_one_and_found_new(tmp_path):
    survey = make_import_survey()
    middle = [["2024-03-07 12:00", "", "3", "", "Jono"]]
    assert import_file(survey, write_csv(tmp_path / "a.csv", [HEADER, *middle])).imported == 1
    around = [NEWEST_FIRST[0], NEWEST_FIRST[3]]  # before and after the earlier row

    report = import_file(survey, write_csv(tmp_path / "b.csv", [HEADER, *around]))

    assert (report.imported, report.duplicates) == (2, 0)
    again = import_file(survey, write_csv(tmp_path / "c.csv", [HEADER, *middle, *around]))
    assert (again.imported, again.duplicates) == (0, 3)


def test_every_foreign_key_of_an_imported_row_is_checked_by_the_import():
    keys = {
        f"{model._meta.label}.{f.name}"
        for model in (Response, Answer)
        for f in model._meta.concrete_fields
        if f.is_relation
    }
    assert keys == set(import_store.IMPORT_PARENTS)


def test_parents_that_are_gone_stop_the_import():
    survey = make_import_survey()
    version = survey.current_version
    tp = survey.touchpoint
    import_store.check_parents(survey, version, {(tp.pk, tp.stage_id, tp.location_id)})
    other_place = survey.organisation.touchpoints.get(key="terrace").location_id
    with pytest.raises(import_store.ImportConflict, match="^touchpoint$"):  # it moved
        import_store.check_parents(survey, version, {(tp.pk, tp.stage_id, other_place)})
    with pytest.raises(import_store.ImportConflict, match="^touchpoint, stage$"):
        import_store.check_parents(survey, version, {(tp.pk, 999_999, tp.location_id)})
    other = make_import_survey("muu")
    with pytest.raises(import_store.ImportConflict, match="^survey version$"):
        import_store.check_parents(survey, other.current_version, set())


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_switches_row_checks_off_only_around_its_copies(tmp_path):
    survey = make_import_survey()

    report = import_file(survey, write_csv(tmp_path / "a.csv", [HEADER, *NEWEST_FIRST]))

    assert report.imported == 4
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_without_the_privilege_checks_every_row(tmp_path):
    survey = make_import_survey()
    path = write_csv(tmp_path / "a.csv", [HEADER, *NEWEST_FIRST])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE ROLE palaute_import_test NOLOGIN")
        cursor.execute("GRANT ALL ON ALL TABLES IN SCHEMA public TO palaute_import_test")
        cursor.execute("GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO palaute_import_test")
        cursor.execute("SET LOCAL ROLE palaute_import_test")
        assert not import_store._may_skip_row_checks()

        report = import_file(survey, path)

        assert report.imported == 4 and Answer.objects.count() == 4 + 3 + 3
        cursor.execute("RESET ROLE")
        transaction.set_rollback(True)


def test_a_checkpoint_copies_the_write_ahead_log_into_the_database_file(tmp_path):
    path = tmp_path / "wal.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA wal_autocheckpoint = 0")
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT)")
        db.executemany("INSERT INTO t (text) VALUES (?)", [("x" * 500,)] * 2000)
        db.commit()
        before = path.stat().st_size

        checkpoint = import_store.Checkpoint.start(str(path))
        assert import_store.Checkpoint.wait(timeout=30) is checkpoint

        assert checkpoint.error == "" and checkpoint.seconds is not None
        assert path.stat().st_size > before + 500 * 2000
        assert db.execute("SELECT count(*) FROM t").fetchone()[0] == 2000
    import_store.Checkpoint.latest = None
