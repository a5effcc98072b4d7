"""The journey map and dashboards show the right numbers, to members of the right org only."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import (
    PASSWORD,
    make_location,
    make_member,
    make_org,
    make_stage,
    make_touchpoint,
)
from palaute.insights import rollup
from palaute.surveys.models import Answer, Response, Survey, SurveyVersion

DEFINITION = {
    "format": "palaute.survey/1",
    "languages": ["fi", "en"],
    "default_language": "fi",
    "title": {"fi": "T", "en": "T"},
    "questions": [
        {
            "key": "nps",
            "type": "nps",
            "text": {"fi": "Suosittelisitko?", "en": "Recommend?"},
            "required": True,
        },
        {"key": "why", "type": "text", "text": {"fi": "Miksi?", "en": "Why?"}},
    ],
}


def make_survey(touchpoint, key="feedback"):
    survey = Survey.objects.create(
        organisation=touchpoint.organisation, key=key, name=f"Survey {key}", touchpoint=touchpoint
    )
    version = SurveyVersion.objects.create(survey=survey, number=1, definition=DEFINITION)
    survey.current_version = version
    survey.save(update_fields=["current_version"])
    return survey


def add_responses(survey, scores, comment="", days_ago=1, channel="kiosk"):
    tp = survey.touchpoint
    when = timezone.now() - timedelta(days=days_ago)
    answers = []
    for i, score in enumerate(scores):
        response = Response.objects.create(
            organisation=survey.organisation,
            survey=survey,
            version=survey.current_version,
            touchpoint=tp,
            stage=tp.stage,
            location=tp.location,
            channel=channel,
            language="fi",
            submitted_at=when - timedelta(minutes=i),
            idempotency_key=f"{survey.id}-{days_ago}-{channel}-{i}",
        )
        common = {"response": response, "organisation": survey.organisation, "survey": survey}
        answers.append(Answer(question_key="nps", kind="nps", score=score, **common))
        if comment:
            answers.append(Answer(question_key="why", kind="text", text=comment, **common))
    Answer.objects.bulk_create(answers)


@pytest.fixture
def cafe(db):
    org = make_org("kahvila", "Kahvila")
    owner = make_member(org, "anna", Role.OWNER, first_name="Anna", last_name="Aalto")
    stage = make_stage(org, "purchase", 1)
    make_stage(org, "expectations", 0)
    tp = make_touchpoint(stage, "counter", name="Tiski", owner=owner, location=make_location(org))
    make_touchpoint(stage, "website", name="Verkkosivu")  # no feedback yet
    survey = make_survey(tp)
    # 6 promoters, 2 passives, 2 detractors: NPS +40; plus 10 older detractors.
    add_responses(survey, [10, 9, 9, 10, 9, 10, 7, 8, 3, 5], comment="Hyvä <b>kahvi</b>")
    add_responses(survey, [0] * 10, days_ago=200, channel="web")
    rollup.rebuild(organisation_id=org.id, time_zone=org.time_zone)
    return org, owner, tp, survey


def login(client, username):
    assert client.login(username=username, password=PASSWORD)


def test_map_shows_stages_cards_and_scores(client, cafe):
    org, owner, tp, survey = cafe
    login(client, "anna")
    page = client.get(reverse("home") + "?period=30").content.decode()
    assert page.index("expectations fi") < page.index("purchase fi")  # stage order
    assert "Tiski" in page and "Verkkosivu" in page
    assert "Anna Aalto" in page
    assert reverse("touchpoint_dashboard", kwargs={"key": "counter"}) in page
    assert "+40" in page and "n = 10" in page
    assert "score-good" in page or "score-ok" in page
    assert 'class="sparkline"' in page
    all_time = client.get(reverse("home") + "?period=all").content.decode()
    assert "n = 20" in all_time and "-30" in all_time  # 6 promoters, 12 detractors


def test_map_queries_do_not_grow_with_touchpoints(client, cafe, django_assert_max_num_queries):
    org, owner, tp, survey = cafe
    stage = tp.stage
    for i in range(15):
        extra = make_touchpoint(stage, f"tp{i}")
        add_responses(make_survey(extra, key=f"s{i}"), [9, 10, 4])
    rollup.rebuild(organisation_id=org.id, time_zone=org.time_zone)
    login(client, "anna")
    with django_assert_max_num_queries(20):
        response = client.get(reverse("home"))
    assert response.status_code == 200


def test_empty_journey_links_to_editor(client, db):
    org = make_org("empty")
    make_member(org, "eve", Role.OWNER)
    login(client, "eve")
    page = client.get(reverse("home")).content.decode()
    assert reverse("journey_edit") in page


def test_touchpoint_dashboard(client, cafe):
    org, owner, tp, survey = cafe
    login(client, "anna")
    url = reverse("touchpoint_dashboard", kwargs={"key": "counter"})
    page = client.get(url + "?period=90").content.decode()
    assert "+40" in page and "n = 10" in page
    assert "<svg" in page and 'role="img"' in page
    assert "Hyvä &lt;b&gt;kahvi&lt;/b&gt;" in page  # comments are escaped
    assert reverse("survey_detail", kwargs={"key": "feedback"}) in page
    assert reverse("survey_dashboard", kwargs={"key": "feedback"}) in page


def test_survey_dashboard_question_text_in_ui_language(client, cafe):
    org, owner, tp, survey = cafe
    login(client, "anna")
    url = reverse("survey_dashboard", kwargs={"key": "feedback"})
    page = client.get(url + "?period=all", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Suosittelisitko?" in page or "Recommend?" in page
    assert "n = 20" in page
    assert 'class="real-change"' in page  # +40 after -100 is a real change
    client.cookies["django_language"] = "en"
    page_en = client.get(url + "?period=all").content.decode()
    assert "Recommend?" in page_en


def test_other_organisation_gets_404(client, cafe):
    other = make_org("muut")
    make_member(other, "olli", Role.OWNER)
    login(client, "olli")
    assert client.get(reverse("touchpoint_dashboard", kwargs={"key": "counter"})).status_code == 404
    assert client.get(reverse("survey_dashboard", kwargs={"key": "feedback"})).status_code == 404
    page = client.get(reverse("home")).content.decode()
    assert "Tiski" not in page


def test_viewer_can_see_and_anonymous_is_sent_to_login(client, cafe):
    org = cafe[0]
    make_member(org, "ville", Role.VIEWER)
    url = reverse("touchpoint_dashboard", kwargs={"key": "counter"})
    response = client.get(url)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.get(reverse("home")).status_code == 302
    login(client, "ville")
    assert client.get(url).status_code == 200
    assert client.get(reverse("home")).status_code == 200
