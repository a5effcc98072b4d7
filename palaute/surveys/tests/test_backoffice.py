import io
import json

import pytest
from django.urls import reverse

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import (
    make_member,
    make_org,
    make_stage,
    make_touchpoint,
    nps_definition,
)
from palaute.surveys.models import Survey, SurveyVersion
from palaute.surveys.publishing import create_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return make_org("kahvila")


@pytest.fixture
def touchpoint(org):
    return make_touchpoint(make_stage(org), "counter", name="Kassa")


@pytest.fixture
def survey(org, touchpoint):
    return create_survey(
        org,
        key="counter-nps",
        name="Tiskin NPS",
        touchpoint=touchpoint,
        definition=nps_definition(),
    )


@pytest.fixture
def manager(client, org):
    user = make_member(org, "maija", Role.MANAGER)
    client.force_login(user)
    return user


def edit_data(survey, definition, **extra):
    data = {
        "name": survey.name,
        "touchpoint": survey.touchpoint_id or "",
        "is_active": "on" if survey.is_active else "",
        "definition": definition if isinstance(definition, str) else json.dumps(definition),
    }
    data.update(extra)
    return data


def upload(definition, name="survey.json"):
    text = definition if isinstance(definition, str) else json.dumps(definition)
    buffer = io.BytesIO(text.encode())
    buffer.name = name
    return buffer


def test_list_shows_surveys_with_version_and_links(client, survey, manager):
    body = client.get(reverse("survey_list")).content.decode()
    assert "Tiskin NPS" in body and "Kassa" in body and "v1" in body
    assert reverse("survey_dashboard", args=[survey.key]) in body
    assert reverse("survey_edit", args=[survey.key]) in body


@pytest.mark.parametrize("starter", ["nps", "csat", "ces", "smiley", "blank"])
def test_create_from_each_starter(client, org, touchpoint, manager, starter):
    response = client.post(
        reverse("survey_create"),
        {"name": "Kesän kysely", "key": "", "touchpoint": touchpoint.pk, "starter": starter},
    )
    assert response.status_code == 302, response.content.decode()
    survey = Survey.objects.get(organisation=org, key="kesan-kysely")
    assert survey.touchpoint == touchpoint
    assert survey.current_version.number == 1
    assert survey.current_version.definition["title"]["fi"] == "Kesän kysely"
    assert AuditEntry.objects.filter(action="survey.create", target=survey.key).exists()


def test_create_errors_name_the_field(client, survey, manager):
    response = client.post(
        reverse("survey_create"),
        {"name": "", "key": "counter-nps", "touchpoint": "", "starter": "quiz"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Name: This field is required." in body
    assert "Key: A survey with this key already exists." in body
    assert "Starting template: Select a valid choice." in body
    assert Survey.objects.count() == 1


def test_detail_shows_absolute_link_qr_and_versions(client, survey, manager, settings):
    settings.SITE_URL = "https://palaute.example.fi/"
    body = client.get(reverse("survey_detail", args=[survey.key])).content.decode()
    url = f"https://palaute.example.fi/s/{survey.public_key}/"
    assert url in body
    assert "<svg" in body and "segno" in body
    assert reverse("survey_dashboard", args=[survey.key]) in body
    assert reverse("survey_export", args=[survey.key]) in body
    assert "v1" in body


def test_edit_publishes_a_version_only_when_the_definition_changes(client, survey, manager):
    url = reverse("survey_edit", args=[survey.key])
    page = client.get(url).content.decode()
    assert 'class="code"' in page and "palaute.survey/1" in page

    # Same questions, different name: no new version.
    response = client.post(url, edit_data(survey, nps_definition(), name="Uusi nimi"))
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.name == "Uusi nimi" and survey.versions.count() == 1

    # Explicit defaults are the same definition too.
    same = nps_definition()
    same["questions"][0]["show_if"] = None
    same["intro"] = None
    client.post(url, edit_data(survey, same, is_active=""))
    survey.refresh_from_db()
    assert survey.is_active is False and survey.versions.count() == 1

    response = client.post(url, edit_data(survey, nps_definition("How was it?")))
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.current_version.number == 2
    assert survey.current_version.definition["title"]["en"] == "How was it?"
    assert survey.current_version.created_by == manager


def test_edit_with_an_invalid_definition_lists_errors_and_keeps_the_text(client, survey, manager):
    bad = nps_definition()
    bad["questions"][0]["scale"] = {"min": 1, "max": 5}
    bad["questions"][0]["text"] = {"fi": "Vain suomeksi"}
    text = json.dumps(bad, indent=2)
    response = client.post(
        reverse("survey_edit", args=[survey.key]),
        edit_data(survey, text, name="Muutettu"),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "questions[0]." in body
    errors = [str(e) for e in response.context["form"].definition_errors]
    assert errors and all(e.startswith("questions[0].") for e in errors)
    assert "Vain suomeksi" in body  # the user's text is kept
    assert "Definition (JSON): The definition has" in body
    assert SurveyVersion.objects.filter(survey=survey).count() == 1
    survey.refresh_from_db()
    assert survey.name == "Tiskin NPS"


def test_edit_with_broken_json_says_where(client, survey, manager):
    response = client.post(
        reverse("survey_edit", args=[survey.key]),
        edit_data(survey, '{"format": "palaute.survey/1",'),
    )
    assert response.status_code == 200
    assert "not valid JSON (line 1" in response.content.decode()
    assert survey.versions.count() == 1


def test_export_import_round_trip(client, org, survey, touchpoint, manager):
    response = client.get(reverse("survey_export", args=[survey.key]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert 'filename="counter-nps-v1.json"' in response["Content-Disposition"]
    exported = json.loads(response.content)
    assert exported == survey.current_version.definition

    # A new key creates a survey.
    response = client.post(
        reverse("survey_import"),
        {
            "file": upload(response.content.decode()),
            "key": "copy",
            "name": "Kopio",
            "touchpoint": "",
        },
    )
    assert response.status_code == 302, response.content.decode()
    copy = Survey.objects.get(organisation=org, key="copy")
    assert copy.current_version.definition == exported and copy.name == "Kopio"

    # An existing key gets a new version.
    changed = dict(exported, title={"fi": "Uusi", "en": "New"})
    response = client.post(
        reverse("survey_import"),
        {"file": upload(changed), "key": survey.key, "name": "Tiskin NPS", "touchpoint": ""},
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.current_version.number == 2 and survey.touchpoint == touchpoint
    assert survey.current_version.definition["title"]["en"] == "New"


def test_import_errors_are_listed_by_path(client, org, manager):
    bad = nps_definition()
    bad["questions"][0]["type"] = "stars"
    response = client.post(
        reverse("survey_import"),
        {"file": upload(bad), "key": "bad", "name": "Bad", "touchpoint": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "questions[0].type: unknown question type" in response.content.decode()
    assert not Survey.objects.filter(key="bad").exists()

    response = client.post(
        reverse("survey_import"),
        {"file": upload("not json"), "key": "new", "name": "", "touchpoint": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    body = response.content.decode()
    assert "not valid JSON" in body
    assert "Key: This key is reserved" in body and "Name: This field is required." in body


def test_viewer_reads_but_cannot_edit(client, org, survey, touchpoint):
    client.force_login(make_member(org, "ville", Role.VIEWER))
    assert client.get(reverse("survey_list")).status_code == 200
    assert client.get(reverse("survey_detail", args=[survey.key])).status_code == 200
    assert client.get(reverse("survey_export", args=[survey.key])).status_code == 200
    assert reverse("survey_edit", args=[survey.key]) not in (
        client.get(reverse("survey_list")).content.decode()
    )
    assert client.get(reverse("survey_edit", args=[survey.key])).status_code == 403
    assert client.get(reverse("survey_create")).status_code == 403
    assert (
        client.post(
            reverse("survey_edit", args=[survey.key]),
            edit_data(survey, nps_definition("Changed")),
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("survey_create"),
            {"name": "X", "key": "x", "touchpoint": "", "starter": "nps"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("survey_import"),
            {"file": upload(nps_definition()), "key": "x", "name": "X", "touchpoint": ""},
        ).status_code
        == 403
    )
    assert Survey.objects.count() == 1 and survey.versions.count() == 1


# ------------------------------------------------------------------------------- tenancy


def test_other_organisations_surveys_are_not_found(client, survey):
    other = make_org("other")
    client.force_login(make_member(other, "olli", Role.OWNER))
    assert "Tiskin NPS" not in client.get(reverse("survey_list")).content.decode()
    for name in ("survey_detail", "survey_edit", "survey_export"):
        assert client.get(reverse(name, args=[survey.key])).status_code == 404, name
    response = client.post(
        reverse("survey_edit", args=[survey.key]), edit_data(survey, nps_definition("Hacked"))
    )
    assert response.status_code == 404
    assert survey.versions.count() == 1


def test_same_key_in_another_organisation_is_a_separate_survey(client, survey):
    other = make_org("other")
    client.force_login(make_member(other, "olli", Role.OWNER))
    response = client.post(
        reverse("survey_import"),
        {
            "file": upload(nps_definition("Ours")),
            "key": survey.key,
            "name": "Ours",
            "touchpoint": "",
        },
    )
    assert response.status_code == 302
    assert survey.versions.count() == 1
    ours = Survey.objects.get(organisation=other, key=survey.key)
    assert ours.current_version.definition["title"]["en"] == "Ours"


def test_cannot_attach_another_organisations_touchpoint(client, survey, touchpoint):
    other = make_org("other")
    client.force_login(make_member(other, "olli", Role.OWNER))
    response = client.post(
        reverse("survey_create"),
        {"name": "X", "key": "x", "touchpoint": touchpoint.pk, "starter": "nps"},
    )
    assert response.status_code == 200
    assert "touchpoint" in response.context["form"].errors
    response = client.post(
        reverse("survey_import"),
        {"file": upload(nps_definition()), "key": "y", "name": "Y", "touchpoint": touchpoint.pk},
    )
    assert response.status_code == 200
    assert "touchpoint" in response.context["form"].errors
    assert not Survey.objects.filter(organisation=other).exists()
