"""Interview and "why?" conversation notes: recording, validation, metrics, reading, tenancy."""

import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone, translation

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import make_member, make_org, make_stage, make_touchpoint
from palaute.channels import interviews
from palaute.channels.interview_forms import NoteForm
from palaute.insights import metrics
from palaute.surveys.models import Response, Survey
from palaute.surveys.publishing import current_definition

pytestmark = pytest.mark.django_db

NOTE = "Asennus venyi kaksi päivää, eikä kukaan kertonut miksi. Asentaja oli silti huolellinen."


@pytest.fixture
def org():
    return make_org("asennus", "Asennus Oy")


@pytest.fixture
def touchpoint(org):
    return make_touchpoint(make_stage(org, "customer"), "installation", name="Asennuskäynti")


@pytest.fixture
def agent(client, org):
    user = make_member(org, "aila", Role.AGENT, first_name="Aila", last_name="Agentti")
    client.force_login(user)
    return user


def form_data(tp, who, **changes):
    data = {
        "touchpoint": tp.pk,
        "when": "2025-03-01T10:30",
        "interviewer": who.pk,
        "language": "fi",
        "name": "Matti Meikäläinen",
        "company": "Rakennus Ky",
        "email": "matti@example.fi",
        "phone": "+358 40 123 4567",
        "notes": NOTE,
        "nps": "6",
        "csat": "",
        "ces": "5",
        "idem": uuid.uuid4().hex,
    }
    data.update(changes)
    return data


def post_note(client, data):
    return client.post("/notes/new/", data, HTTP_ACCEPT_LANGUAGE="en")


# --- the notes survey ---------------------------------------------------------------------


def test_notes_survey_is_created_once_with_a_real_bilingual_definition(org):
    survey = interviews.notes_survey(org)
    assert interviews.notes_survey(org) == survey
    assert Survey.objects.filter(organisation=org).count() == 1
    assert survey.key == "interview-notes"
    assert survey.name == "Haastattelumuistiinpanot"  # the organisation's language
    assert not survey.is_active  # staff only: the hosted page stays closed
    _version, definition = current_definition(survey)
    assert definition.title == {"fi": "Haastattelumuistiinpanot", "en": "Interview notes"}
    questions = {q.key: (q.type, q.required) for q in definition.questions}
    assert questions == {
        "notes": ("text", True),
        "nps": ("nps", False),
        "csat": ("csat", False),
        "ces": ("ces", False),
    }


def test_hosted_page_of_the_notes_survey_is_closed(client, org):
    survey = interviews.notes_survey(org)
    assert client.get(f"/s/{survey.public_key}/").status_code == 410


# --- recording a note ---------------------------------------------------------------------


def test_agent_records_a_note_as_an_interview_response(client, org, touchpoint, agent):
    response = post_note(client, form_data(touchpoint, agent))
    note = Response.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/notes/{note.pk}/"
    assert note.channel == "interview"
    assert note.survey.key == "interview-notes"
    assert note.touchpoint == touchpoint and note.stage == touchpoint.stage
    assert note.recorded_by == agent
    assert note.language == "fi"
    # 10:30 in Helsinki (UTC+2 in March) is 08:30 UTC.
    assert note.submitted_at == datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
    assert note.contact_name == "Matti Meikäläinen (Rakennus Ky)"
    assert note.contact_email == "matti@example.fi"
    assert note.contact_phone == "+358 40 123 4567"
    answers = {a.question_key: (a.score, a.text) for a in note.answers.all()}
    assert answers == {"notes": (None, NOTE), "nps": (6, ""), "ces": (5, "")}  # csat not asked
    audit = AuditEntry.objects.get(action="note.create")
    assert audit.actor == agent and audit.target == str(note.pk)


def test_scores_reach_the_metrics_and_the_text_the_comments(client, org, touchpoint, agent):
    post_note(client, form_data(touchpoint, agent, nps="10", ces="2"))
    post_note(client, form_data(touchpoint, agent, nps="3", ces="", notes="Hinta yllätti."))
    scope = metrics.Scope(organisation_id=org.pk, touchpoint_id=touchpoint.pk)
    nps = metrics.summary(scope, "nps")
    assert nps.n == 2
    assert nps.headline.value == 0  # one promoter, one detractor
    assert metrics.summary(scope, "ces").n == 1
    assert metrics.summary(scope, "csat").n == 0
    assert metrics.summary(metrics.Scope(organisation_id=org.pk, channel="interview"), "nps").n == 2
    texts = [c.text for c in metrics.latest_comments(metrics.Scope(organisation_id=org.pk))]
    assert texts == ["Hinta yllätti.", NOTE]  # same time: the later note first
    comment = metrics.latest_comments(scope)[0]
    assert comment.channel == "interview" and comment.touchpoint_name == "Asennuskäynti"


def test_a_note_without_scores_or_person_is_fine(client, touchpoint, agent):
    data = form_data(touchpoint, agent, nps="", ces="", name="", company="", email="", phone="")
    assert post_note(client, data).status_code == 302
    note = Response.objects.get()
    assert (note.contact_name, note.contact_email, note.contact_phone) == ("", "", "")
    assert [a.question_key for a in note.answers.all()] == ["notes"]


def test_double_submit_stores_one_note(client, touchpoint, agent):
    data = form_data(touchpoint, agent)
    first = post_note(client, data)
    second = post_note(client, data)
    assert Response.objects.count() == 1
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert "This note was already saved." in client.get(second["Location"]).content.decode()


def test_the_interviewer_defaults_to_the_signed_in_user_and_the_time_to_now(client, org, agent):
    org.time_zone = "America/New_York"  # not the server's zone, so the test shows whose it is
    org.save()
    new_york = zoneinfo.ZoneInfo("America/New_York")
    before = timezone.localtime(timezone=new_york).strftime("%Y-%m-%dT%H:%M")
    response = client.get("/notes/new/")
    after = timezone.localtime(timezone=new_york).strftime("%Y-%m-%dT%H:%M")
    form = response.context["form"]
    assert form["interviewer"].value() == agent.pk
    assert len(form["idem"].value()) == 32
    html = response.content.decode()
    assert 'type="datetime-local"' in html
    assert f'value="{before}"' in html or f'value="{after}"' in html


def test_the_time_is_read_in_the_organisations_zone(client, org, touchpoint, agent):
    org.time_zone = "America/New_York"
    org.save()
    post_note(client, form_data(touchpoint, agent, when="2025-03-01T10:30"))
    assert Response.objects.get().submitted_at == datetime(2025, 3, 1, 15, 30, tzinfo=UTC)


def test_touchpoint_is_preselected_from_the_link_or_when_there_is_only_one(
    client, touchpoint, agent
):
    assert client.get("/notes/new/").context["form"]["touchpoint"].value() == touchpoint.pk
    terrace = make_touchpoint(touchpoint.stage, "terrace")
    assert client.get("/notes/new/").context["form"]["touchpoint"].value() is None
    form = client.get("/notes/new/?tp=terrace").context["form"]
    assert form["touchpoint"].value() == terrace.pk


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"when": "2999-01-01T10:00"}, "when", "When: The time cannot be in the future."),
        ({"email": "matti@"}, "email", "Email: Enter a valid email address."),
        ({"phone": "call me"}, "phone", "Phone: Enter a valid phone number."),
        ({"nps": "11"}, "nps", "Ensure this value is less than or equal to 10."),
        ({"csat": "0"}, "csat", "Ensure this value is greater than or equal to 1."),
        ({"ces": "8"}, "ces", "Ensure this value is less than or equal to 7."),
        ({"notes": "   "}, "notes", "Notes: This field is required."),
        ({"notes": "x" * 5001}, "notes", "Ensure this value has at most 5000 characters"),
        ({"when": "yesterday"}, "when", "When: Enter a valid date/time."),
        ({"language": "sv"}, "language", "Select a valid choice."),
    ],
)
def test_invalid_input_names_the_field_and_stores_nothing(
    client, touchpoint, agent, changes, field, message
):
    with translation.override("en"):
        response = post_note(client, form_data(touchpoint, agent, **changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert message in html
    assert f'href="#id_{field}' in html  # the error summary links to the field
    assert Response.objects.count() == 0


def test_a_validation_error_keeps_the_idempotency_key(client, touchpoint, agent):
    data = form_data(touchpoint, agent, notes="")
    response = post_note(client, data)
    assert f'value="{data["idem"]}"' in response.content.decode()


def test_a_tampered_idempotency_key_gets_a_fresh_one(client, touchpoint, agent):
    post_note(client, form_data(touchpoint, agent, idem="../../etc"))
    post_note(client, form_data(touchpoint, agent, idem=""))
    keys = set(Response.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == 2 and all(len(k) == 32 for k in keys)


def test_name_and_company_must_fit_the_contact_field(touchpoint, org, agent):
    form = NoteForm(form_data(touchpoint, agent, name="n" * 80, company="c" * 40), organisation=org)
    assert not form.is_valid()
    assert "company" in form.errors


# --- roles and tenancy --------------------------------------------------------------------


def test_viewer_reads_but_cannot_record(client, org, touchpoint, agent):
    post_note(client, form_data(touchpoint, agent))
    note = Response.objects.get()
    client.force_login(make_member(org, "ville", Role.VIEWER))
    assert client.get("/notes/").status_code == 200
    assert client.get(f"/notes/{note.pk}/").status_code == 200
    assert client.get("/notes/new/").status_code == 403
    assert client.post("/notes/new/", form_data(touchpoint, agent)).status_code == 403
    assert Response.objects.count() == 1
    assert "New note" not in client.get("/notes/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_signed_out_visitors_go_to_login(client):
    for path in ("/notes/", "/notes/new/", "/notes/1/"):
        assert client.get(path)["Location"].startswith("/login/")


def test_a_note_cannot_go_to_another_organisations_touchpoint(client, touchpoint, agent):
    other = make_org("toinen")
    foreign = make_touchpoint(make_stage(other), "desk")
    response = post_note(client, form_data(touchpoint, agent, touchpoint=foreign.pk))
    assert "touchpoint" in response.context["form"].errors
    assert Response.objects.count() == 0


def test_the_interviewer_must_be_a_member(client, touchpoint, agent):
    outsider = make_member(make_org("toinen"), "outi", Role.OWNER)
    response = post_note(client, form_data(touchpoint, agent, interviewer=outsider.pk))
    assert "interviewer" in response.context["form"].errors
    assert Response.objects.count() == 0


def test_another_organisation_cannot_read_the_note(client, org, touchpoint, agent):
    post_note(client, form_data(touchpoint, agent))
    note = Response.objects.get()
    other = make_org("toinen")
    client.force_login(make_member(other, "olli", Role.OWNER))
    assert client.get(f"/notes/{note.pk}/").status_code == 404
    listing = client.get("/notes/").content.decode()
    assert NOTE not in listing and "Matti" not in listing
    # Their touchpoint filter cannot name ours either.
    filtered = client.get("/notes/?tp=installation", HTTP_ACCEPT_LANGUAGE="en")
    assert "tp" in filtered.context["filters"].errors


def test_only_interview_responses_are_notes(client, org, touchpoint, agent):
    from palaute.accounts.tests.helpers import nps_definition
    from palaute.surveys.publishing import create_survey
    from palaute.surveys.submission import record_response

    survey = create_survey(
        org, key="web", name="Web", touchpoint=touchpoint, definition=nps_definition()
    )
    web, _ = record_response(
        survey, answers={"nps": 9}, channel="web", language="fi", idempotency_key="w1"
    )
    assert client.get(f"/notes/{web.pk}/").status_code == 404


# --- reading ------------------------------------------------------------------------------


def add_note(org, touchpoint, interviewer, *, days_ago=0, text=NOTE, nps=None):
    note = interviews.Note(
        touchpoint=touchpoint,
        interviewer=interviewer,
        when=timezone.now() - timedelta(days=days_ago),
        notes=text,
        language="fi",
        nps=nps,
    )
    return interviews.record_note(org, note, idempotency_key=uuid.uuid4().hex)[0]


def test_detail_shows_the_notes_scores_person_and_interviewer(client, touchpoint, agent):
    post_note(client, form_data(touchpoint, agent))
    note = Response.objects.get()
    with translation.override("en"):
        html = client.get(f"/notes/{note.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert NOTE in html
    assert "NPS 6" in html and "CES 5" in html and "CSAT" not in html
    assert "Matti Meikäläinen (Rakennus Ky)" in html and "mailto:matti@example.fi" in html
    assert "Aila Agentti" in html
    assert "1.3.2025 10:30" in html  # organisation time


def test_list_is_newest_first_and_filters_by_touchpoint_and_period(client, org, touchpoint, agent):
    terrace = make_touchpoint(touchpoint.stage, "terrace", name="Terassi")
    add_note(org, touchpoint, agent, days_ago=100, text="vanha asennus")
    add_note(org, touchpoint, agent, days_ago=1, text="uusi asennus", nps=9)
    add_note(org, terrace, agent, days_ago=0, text="terassilla")

    html = client.get("/notes/").content.decode()
    assert html.index("terassilla") < html.index("uusi asennus") < html.index("vanha asennus")
    assert "NPS 9" in html

    html = client.get("/notes/?tp=installation").content.decode()
    assert "terassilla" not in html and "uusi asennus" in html and "vanha asennus" in html

    html = client.get("/notes/?tp=installation&period=90").content.decode()
    assert "uusi asennus" in html and "vanha asennus" not in html


def test_list_is_paginated_and_keeps_the_filters(client, org, touchpoint, agent):
    for number in range(27):
        add_note(org, touchpoint, agent, days_ago=number, text=f"muistiinpano {number:02d}")
    first = client.get("/notes/?tp=installation&period=365").content.decode()
    assert "muistiinpano 00" in first and "muistiinpano 25" not in first
    assert 'href="?tp=installation&amp;period=365&amp;page=2"' in first
    second = client.get("/notes/?tp=installation&period=365&page=2").content.decode()
    assert "muistiinpano 25" in second and "muistiinpano 26" in second
    assert "muistiinpano 00" not in second


def test_empty_list_invites_the_first_note(client, agent):
    with translation.override("en"):
        html = client.get("/notes/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No notes here yet." in html and 'href="/notes/new/"' in html
