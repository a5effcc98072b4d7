"""The response indexes that a bulk import pays for are the ones the queries use: the
partial indexes match the queries that need them, and lists newest first read the ascending
time indexes backwards without sorting (surveys migration 0005, docs/decisions.md)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from palaute.api.queries import ResponseFilter, filtered, page
from palaute.channels import mashing
from palaute.channels.tests.import_helpers import make_import_survey
from palaute.surveys.models import Response

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def plan_of(sql: str) -> str:
    """The query plan of one captured statement (its parameters already filled in), with
    sequential scans discouraged on PostgreSQL, whose planner scans tiny tables whatever
    indexes exist."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def captured(run, table: str = Response._meta.db_table) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        run()
    return [q["sql"] for q in queries.captured_queries if table in q["sql"]]


def test_the_mashing_check_uses_the_kiosk_only_device_index():
    survey = make_import_survey()
    taps = [mashing.TapTime(NOW, "k1"), mashing.TapTime(NOW + timedelta(seconds=5), "k2")]

    (sql,) = captured(lambda: mashing.plan(survey, "tablet-1", taps))

    assert "response_kiosk_device_time" in plan_of(sql)


def test_lists_newest_first_read_the_time_index_backwards():
    survey = make_import_survey()
    for f in (
        ResponseFilter(organisation_id=survey.organisation_id),
        ResponseFilter(organisation_id=survey.organisation_id, survey_id=survey.pk),
    ):
        (sql,) = captured(lambda f=f: page(filtered(f), limit=50, cursor=None))
        plan = plan_of(sql)
        assert "response_org_time" in plan or "response_survey_time" in plan
        if connection.vendor == "sqlite":  # the index ends in the rowid: "-id" comes free
            assert "TEMP B-TREE" not in plan


def test_deleting_a_user_finds_their_notes_through_the_partial_index():
    user = get_user_model().objects.create_user("kirjuri")

    sqls = captured(user.delete)
    (update,) = [sql for sql in sqls if sql.startswith("UPDATE")]

    assert "response_recorded_by" in plan_of(update)
