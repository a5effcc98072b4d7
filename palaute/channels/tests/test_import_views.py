"""The import screens through Django's test client: upload → map → check → import → undo,
problems as CSV, limits, roles and tenancy."""

import csv
import io

import pytest
from django.urls import reverse

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member
from palaute.channels.tests.import_helpers import make_import_survey, write_csv, write_xlsx
from palaute.surveys.models import ImportBatch, Response

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HEADER = ["Päivämäärä", "Kosketuspiste", "NPS", "CSAT", "Kommentti", "Muistiinpano"]
GOOD = [
    ["2024-03-05 14:30", "terrace", "9", "4", "Hyvä kahvi", "x"],
    ["5.3.2024 15.00", "", "6", "3", "Jono", ""],
]


@pytest.fixture(autouse=True)
def staging(settings, tmp_path):
    settings.IMPORT_STAGING_DIR = str(tmp_path / "staging")
    return tmp_path / "staging"


@pytest.fixture
def survey():
    return make_import_survey()


@pytest.fixture
def manager(client, survey):
    user = make_member(survey.organisation, "maija", Role.MANAGER)
    client.force_login(user)
    return user


def upload(client, survey, path, **extra):
    with path.open("rb") as handle:
        return client.post(
            reverse("response_import", args=[survey.key]), {"file": handle}, **EN, **extra
        )


def token_of(response):
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def test_upload_map_check_import_and_undo(client, survey, manager, tmp_path):
    path = write_csv(tmp_path / "vanhat.csv", [HEADER, *GOOD], delimiter=";")
    page = client.get(reverse("response_import", args=[survey.key]), **EN)
    assert page.status_code == 200 and "No imports yet." in page.content.decode()

    uploaded = upload(client, survey, path)
    assert uploaded.status_code == 302
    token = token_of(uploaded)
    mapping_url = reverse("response_import_map", args=[survey.key, token])
    assert uploaded.url == mapping_url

    page = client.get(mapping_url, **EN).content.decode()
    assert "separated by semicolons" in page
    assert "Hyvä kahvi" in page  # sample values
    assert '<option value="submitted_at" selected>' in page  # suggested for "Päivämäärä"
    assert '<option value="q:nps" selected>' in page

    choices = {"col_0": "submitted_at", "col_1": "touchpoint", "col_2": "q:nps",
               "col_3": "q:csat", "col_4": "q:comment", "col_5": "ignore"}  # fmt: skip
    checked = client.post(mapping_url, choices, **EN)
    body = checked.content.decode()
    assert checked.status_code == 200
    assert "Import 2 responses" in body
    assert Response.objects.count() == 0  # checking stores nothing

    done = client.post(reverse("response_import_run", args=[survey.key, token]), **EN)
    batch = ImportBatch.objects.get()
    assert done.status_code == 302
    assert done.url == reverse("import_batch", args=[survey.key, batch.pk])
    assert Response.objects.filter(import_batch=batch).count() == 2
    result = client.get(done.url, **EN).content.decode()
    assert "Imported 2 responses." in result
    assert reverse("survey_dashboard", args=[survey.key]) in result
    assert not (tmp_path / "staging" / token).exists()  # the upload is gone once imported
    listing = client.get(reverse("response_import", args=[survey.key]), **EN).content.decode()
    assert (
        "vanhat.csv" in listing
        and reverse("import_batch_undo", args=[survey.key, batch.pk]) in listing
    )

    undo_url = reverse("import_batch_undo", args=[survey.key, batch.pk])
    assert "Remove these responses" in client.get(undo_url, **EN).content.decode()
    undone = client.post(undo_url, **EN)
    assert undone.status_code == 302
    assert Response.objects.count() == 0 and ImportBatch.objects.count() == 0


def test_problems_are_listed_and_downloadable_and_block_the_import(
    client, survey, manager, tmp_path
):
    rows = [*GOOD] + [["2024-03-06 10:00", "", str(11 + i % 3), "3", "", ""] for i in range(120)]
    path = write_csv(tmp_path / "huono.csv", [HEADER, *rows])
    token = token_of(upload(client, survey, path))
    mapping_url = reverse("response_import_map", args=[survey.key, token])
    choices = {"col_0": "submitted_at", "col_1": "touchpoint", "col_2": "q:nps",
               "col_3": "q:csat", "col_4": "q:comment", "col_5": "ignore"}  # fmt: skip
    body = client.post(mapping_url, choices, **EN).content.decode()
    assert "120 problems. Nothing can be imported until the file is fixed." in body
    assert "is not between 0 and 10" in body
    assert "The first 100 are shown." in body
    assert "Import 2 responses" not in body

    download = client.get(reverse("response_import_problems", args=[survey.key, token]))
    assert download["Content-Disposition"] == 'attachment; filename="huono-problems.csv"'
    rows_out = list(csv.reader(io.StringIO(b"".join(download.streaming_content).decode())))
    assert rows_out[0] == ["row", "column", "value", "problem"]
    assert rows_out[1] == ["4", "NPS", "11", "is not between 0 and 10"]
    assert len(rows_out) == 121

    refused = client.post(reverse("response_import_run", args=[survey.key, token]), **EN)
    assert refused.url == mapping_url
    assert Response.objects.count() == 0


def test_mapping_errors_are_shown(client, survey, manager, tmp_path):
    token = token_of(upload(client, survey, write_csv(tmp_path / "a.csv", [HEADER, *GOOD])))
    mapping_url = reverse("response_import_map", args=[survey.key, token])
    choices = {f"col_{i}": "ignore" for i in range(6)} | {"col_2": "q:nps", "col_3": "q:nps"}
    response = client.post(mapping_url, choices, **EN)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Columns NPS and CSAT both fill question nps; choose one." in body
    assert "Choose the column that holds the date and time of each response." in body


def test_xlsx_with_two_sheets(client, survey, manager, tmp_path):
    from datetime import datetime

    path = write_xlsx(
        tmp_path / "kysely.xlsx",
        [["Ohje"], ["Vastaukset ovat toisella välilehdellä"]],
        sheet="Ohje",
        extra={
            "Data": [
                ["Pvm", "NPS"],
                [datetime(2024, 2, 1, 9, 0), 10],
                [datetime(2024, 2, 2, 9, 0), 8],
            ]
        },
    )
    token = token_of(upload(client, survey, path))
    mapping_url = reverse("response_import_map", args=[survey.key, token])
    first = client.get(mapping_url, **EN).content.decode()
    assert "Use this sheet" in first and "Vastaukset ovat toisella" in first
    assert client.get(mapping_url + "?sheet=Puuttuu").url == mapping_url
    page = client.get(mapping_url + "?sheet=Data", **EN).content.decode()
    assert '<option value="submitted_at" selected>' in page
    checked = client.post(
        mapping_url + "?sheet=Data", {"col_0": "submitted_at", "col_1": "q:nps"}, **EN
    )
    assert "Import 2 responses" in checked.content.decode()
    client.post(reverse("response_import_run", args=[survey.key, token]), **EN)
    batch = ImportBatch.objects.get()
    assert batch.rows == 2 and batch.mapping["sheet"] == "Data"


def test_bad_files_are_refused_on_upload(client, survey, manager, tmp_path, staging):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    response = upload(client, survey, path)
    assert response.status_code == 400
    assert "This is an old Excel .xls file. Save it as .xlsx or CSV." in response.content.decode()
    assert not any(staging.iterdir())  # nothing left behind


def test_too_big_files_are_refused_without_storing_them(
    client, survey, manager, tmp_path, settings, staging
):
    settings.IMPORT_MAX_BYTES = 1000
    path = write_csv(tmp_path / "big.csv", [HEADER] + [GOOD[0]] * 100)
    response = upload(client, survey, path)
    assert response.status_code == 413
    assert "The file is larger than" in response.content.decode()
    assert not staging.exists() or not any(staging.iterdir())


def test_a_request_far_over_the_limit_is_refused_before_reading_it(
    client, survey, manager, tmp_path, settings, staging
):
    settings.IMPORT_MAX_BYTES = 10
    path = tmp_path / "huge.csv"
    path.write_text("date,nps\n" + "2024-01-01 10:00,9\n" * 70_000)  # 1.3 MB
    response = upload(client, survey, path)
    assert response.status_code == 413
    assert "The file is larger than 10" in response.content.decode()
    assert not staging.exists() or not any(staging.iterdir())


def test_viewers_cannot_import(client, survey, tmp_path):
    client.force_login(make_member(survey.organisation, "ville", Role.VIEWER))
    assert client.get(reverse("response_import", args=[survey.key])).status_code == 403


def test_another_organisation_cannot_reach_the_import_or_undo(client, survey, manager, tmp_path):
    token = token_of(upload(client, survey, write_csv(tmp_path / "a.csv", [HEADER, *GOOD])))
    mapping_url = reverse("response_import_map", args=[survey.key, token])
    choices = {f"col_{i}": "ignore" for i in range(6)} | {"col_0": "submitted_at", "col_2": "q:nps"}
    client.post(mapping_url, choices)
    client.post(reverse("response_import_run", args=[survey.key, token]))
    batch = ImportBatch.objects.get()

    other = make_import_survey("kilpailija", key=survey.key)  # same survey key, other org
    client.force_login(make_member(other.organisation, "outsider", Role.OWNER))
    other_token = token_of(upload(client, other, write_csv(tmp_path / "b.csv", [HEADER, *GOOD])))
    urls = [
        reverse("import_batch", args=[survey.key, batch.pk]),
        reverse("import_batch_undo", args=[survey.key, batch.pk]),
        reverse("response_import_map", args=[survey.key, token]),
        reverse("response_import_problems", args=[survey.key, token]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("import_batch_undo", args=[survey.key, batch.pk])).status_code == 404
    assert client.post(reverse("response_import_run", args=[survey.key, token])).status_code == 404
    assert client.get(reverse("response_import", args=["no-such-survey"])).status_code == 404
    # The outsider's own upload works in their own organisation only.
    assert (
        client.get(reverse("response_import_map", args=[other.key, other_token])).status_code == 200
    )
    assert Response.objects.filter(import_batch=batch).count() == 2
