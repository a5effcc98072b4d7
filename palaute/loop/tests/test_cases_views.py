"""The inbox, the case page, the settings and the notification preferences, through HTTP:
filters (with and without htmx), a constant number of queries, actions and who may take them,
a double submit, and another organisation seeing and changing nothing."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import PASSWORD
from palaute.loop.configuration import settings_for
from palaute.loop.models import Case, CaseEvent, NotificationPreference, Rule
from palaute.loop.tests.helpers import (
    add_case,
    answer_and_run,
    contact_me,
    make_feedback_survey,
    make_org,
    person,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def cafe():
    org = make_org("kahvila")
    people = {
        "owner": person(org, "omistaja", role=Role.OWNER),
        "manager": person(org, "maria", role=Role.MANAGER),
        "agent": person(org, "aki", role=Role.AGENT),
        "viewer": person(org, "ville", role=Role.VIEWER),
    }
    survey = make_feedback_survey(org)
    return {"org": org, "survey": survey, **people}


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _numbers(response) -> list[int]:
    return [case.number for case in response.context["page"].object_list]


# --- inbox -------------------------------------------------------------------------------------


def test_inbox_lists_open_cases_most_urgent_first_with_their_clock(cafe):
    now = timezone.now()
    later = add_case(cafe["org"], opened_at=now, hours=72, title="Later")
    urgent = add_case(cafe["org"], opened_at=now - timedelta(hours=5), hours=4, title="Urgent")
    answered = add_case(cafe["org"], opened_at=now, hours=4, first_response_at=now)
    add_case(cafe["org"], status="resolved", closed_at=now, title="Done")
    response = client_for(cafe["viewer"]).get(reverse("case_list"))
    assert response.status_code == 200
    assert _numbers(response) == [urgent.number, later.number, answered.number]
    html = response.content.decode()
    assert "overdue by 1 h" in html and "Done" not in html
    assert "data-case-row" in html and "loop/inbox.js" in html
    assert "Keyboard: j and k move between cases" in html


def test_inbox_filters_owner_status_severity_breach_and_search(cafe):
    agent, viewer = cafe["agent"], cafe["viewer"]
    now = timezone.now()
    mine = add_case(cafe["org"], owner=agent, severity="high")
    nobody = add_case(cafe["org"], title="Kylmää kahvia", customer_name="Pekka")
    late = add_case(cafe["org"], opened_at=now - timedelta(days=2), hours=4, owner=viewer)
    closed = add_case(cafe["org"], status="no_action", closed_at=now, close_reason="spam")
    client = client_for(agent)

    def numbers(**params):
        return _numbers(client.get(reverse("case_list"), params))

    assert numbers(owner="me") == [mine.number]
    assert numbers(owner="unassigned") == [nobody.number]
    assert numbers(owner=str(viewer.pk)) == [late.number]
    assert numbers(severity="high") == [mine.number]
    assert numbers(breached="1") == [late.number]
    assert numbers(status="closed") == [closed.number]
    assert numbers(status="no_action") == [closed.number]
    assert sorted(numbers(status="all")) == sorted(
        [mine.number, nobody.number, late.number, closed.number]
    )
    assert numbers(q="pekka") == [nobody.number]
    assert numbers(q=f"#{late.number}") == [late.number]


def test_htmx_gets_only_the_list(cafe):
    add_case(cafe["org"], title="Kylmää kahvia")
    response = client_for(cafe["agent"]).get(
        reverse("case_list"), {"status": "open"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "Kylmää kahvia" in html and "<html" not in html and "data-case-list" in html


def test_bad_filters_are_named_and_dropped(cafe):
    other = make_org("toimisto")
    stranger = person(other, "vieras")
    response = client_for(cafe["agent"]).get(
        reverse("case_list"), {"owner": str(stranger.pk), "status": "lost", "severity": "x"}
    )
    assert response.status_code == 200
    errors = response.context["filters"].errors
    assert set(errors) == {"owner", "status", "severity"}
    html = response.content.decode()
    assert "Owner: Choose a member of this organisation." in html


def test_inbox_queries_do_not_grow_with_the_page(cafe, django_assert_max_num_queries):
    client = client_for(cafe["agent"])
    for _ in range(3):
        add_case(cafe["org"], owner=cafe["agent"], touchpoint=cafe["survey"].touchpoint)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("case_list"))
    for _ in range(45):
        add_case(cafe["org"], owner=cafe["manager"], touchpoint=cafe["survey"].touchpoint)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(reverse("case_list"))
    assert len(response.context["page"].object_list) == 48
    assert len(many.captured_queries) == len(few.captured_queries) <= 10


def test_pages_of_fifty(cafe):
    for _ in range(51):
        add_case(cafe["org"])
    client = client_for(cafe["agent"])
    first = client.get(reverse("case_list"), {"severity": "normal"})
    assert len(first.context["page"].object_list) == 50
    assert "?severity=normal&amp;page=2" in first.content.decode()
    second = client.get(reverse("case_list"), {"severity": "normal", "page": 2})
    assert len(second.context["page"].object_list) == 1


def test_the_keyboard_script_is_served():
    from django.contrib.staticfiles import finders

    path = finders.find("loop/inbox.js")
    with open(path, encoding="utf-8") as script:
        source = script.read()
    assert '"j"' in source and '"k"' in source and '"Enter"' in source


# --- the case page -----------------------------------------------------------------------------


def test_case_page_shows_the_feedback_customer_and_history(cafe):
    survey = cafe["survey"]
    survey.touchpoint.owner = cafe["agent"]
    survey.touchpoint.save()
    _r, case = answer_and_run(
        survey,
        {"nps": 2, "csat": 1, "why": "Kahvi oli kylmää", "contact": contact_me(phone="0401234567")},
    )
    response = client_for(cafe["viewer"]).get(reverse("case_detail", args=[case.number]))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        f"#{case.number}",
        "Kahvi oli kylmää",
        "2 / 10",
        "1 / 5",
        "maija@example.com",
        "+358401234567",
        "Aki Virtanen",
        "touchpoint owner",
        "Opened by the rule",
        "Assigned to Aki Virtanen",
        "Counter",
    ):
        assert text in html, text
    # A viewer reads but gets no forms.
    assert 'action="/cases/1/status/"' not in html
    assert response.context["can_act"] is False


def test_an_agent_changes_status_owner_severity_and_notes(cafe):
    case = add_case(cafe["org"])
    client = client_for(cafe["agent"])
    base = f"/cases/{case.number}/"

    assert client.post(base + "status/", {"status": "contacted"}).status_code == 302
    case.refresh_from_db()
    assert case.status == "contacted" and case.first_response_at is not None

    assert client.post(base + "assign/", {"owner": cafe["manager"].pk}).status_code == 302
    assert client.post(base + "severity/", {"severity": "high"}).status_code == 302
    case.refresh_from_db()
    assert case.owner == cafe["manager"] and case.owner_source == "manual"
    assert case.severity == "high" and case.due_at == case.opened_at + timedelta(hours=4)

    key = "double-click-1"
    for _ in range(2):  # a double submit is one note
        client.post(base + "note/", {"text": "Soitin asiakkaalle.", "key": key})
    assert case.events.filter(kind=CaseEvent.Kind.NOTE).count() == 1

    response = client.post(base + "status/", {"status": "resolved"})
    assert response.status_code == 422
    assert "Reason: Choose why the case is closed." in response.content.decode()
    client.post(base + "status/", {"status": "resolved", "reason": "fixed", "note": "Hyvitetty"})
    client.post(base + "status/", {"status": "resolved", "reason": "fixed"})  # double submit
    case.refresh_from_db()
    assert case.status == "resolved" and case.close_reason == "fixed" and case.closed_at
    kinds = list(case.events.exclude(kind__startswith="recovery").values_list("kind", flat=True))
    assert kinds == ["status", "assigned", "severity", "note", "status"]
    closing = case.events.filter(kind="status").last()
    assert closing.actor == cafe["agent"] and closing.text == "Hyvitetty"
    assert closing.data == {"from": "contacted", "to": "resolved", "reason": "fixed"}

    page = client.get(base).content.decode()
    assert "Soitin asiakkaalle." in page and "Reason: Fixed." in page


def test_viewers_cannot_act(cafe):
    case = add_case(cafe["org"])
    client = client_for(cafe["viewer"])
    for action, data in (
        ("status", {"status": "contacted"}),
        ("assign", {"owner": cafe["viewer"].pk}),
        ("severity", {"severity": "low"}),
        ("note", {"text": "hei"}),
    ):
        assert client.post(f"/cases/{case.number}/{action}/", data).status_code == 403
    case.refresh_from_db()
    assert case.status == "new" and not case.events.exists()


def test_assigning_to_a_non_member_names_the_field(cafe):
    case = add_case(cafe["org"])
    stranger = person(make_org("toimisto"), "vieras")
    client = client_for(cafe["agent"])
    for owner in (stranger.pk, cafe["viewer"].pk):  # outsiders and viewers cannot own cases
        response = client.post(f"/cases/{case.number}/assign/", {"owner": owner})
        assert response.status_code == 422
        assert "Owner: Select a valid choice." in response.content.decode()
    case.refresh_from_db()
    assert case.owner is None


def test_another_organisation_cannot_see_or_change_a_case(cafe):
    case = add_case(cafe["org"], title="Salainen")
    other = make_org("toimisto")
    outsider = person(other, "vieras", role=Role.OWNER)
    add_case(other, title="Oma")
    client = client_for(outsider)
    assert client.get(f"/cases/{case.number}/").status_code == 200  # their own #1
    assert "Salainen" not in client.get(f"/cases/{case.number}/").content.decode()
    assert "Salainen" not in client.get(reverse("case_list"), {"status": "all"}).content.decode()
    assert client.get("/cases/2/").status_code == 404
    client.post(f"/cases/{case.number}/status/", {"status": "contacted"})
    case.refresh_from_db()
    assert case.status == "new"  # they changed their own #1, not ours
    assert Case.objects.get(organisation=other).status == "contacted"


def test_an_email_link_switches_to_the_cases_organisation(cafe):
    other = make_org("toimisto")
    their = add_case(other, title="Toimiston tapaus")
    from palaute.accounts.models import Membership

    Membership.objects.create(organisation=other, user=cafe["agent"], role=Role.AGENT)
    client = client_for(cafe["agent"])
    response = client.get(f"/cases/{their.number}/", {"org": "toimisto"})
    assert response.status_code == 302 and response["Location"] == f"/cases/{their.number}/"
    assert "Toimiston tapaus" in client.get(response["Location"]).content.decode()
    # A slug the user is not a member of changes nothing.
    response = client.get("/cases/", {"org": "nobody", "owner": "me"})
    assert response["Location"] == "/cases/?owner=me"


# --- settings and preferences ------------------------------------------------------------------


def test_managers_edit_rules_and_targets(cafe):
    client = client_for(cafe["manager"])
    page = client.get(reverse("case_settings"))
    assert page.status_code == 200
    rules = {rule.kind: rule for rule in Rule.objects.filter(organisation=cafe["org"])}
    nps = rules["nps_detractor"]
    prefix = f"rule-{nps.pk}"
    response = client.post(
        reverse("case_rule_update", args=[nps.pk]),
        {f"{prefix}-threshold": "11", f"{prefix}-severity": "high", f"{prefix}-is_active": "on"},
    )
    assert response.status_code == 422
    assert "Threshold: Give a number from 0 to 10." in response.content.decode()
    client.post(
        reverse("case_rule_update", args=[nps.pk]),
        {f"{prefix}-threshold": "8", f"{prefix}-severity": "high", f"{prefix}-is_active": "on"},
    )
    nps.refresh_from_db()
    assert (nps.threshold, nps.severity) == (8, "high")

    response = client.post(
        reverse("case_rule_create"),
        {"new-kind": "negative_theme", "new-severity": "normal", "new-is_active": "on"},
    )
    assert response.status_code == 422 and "Theme: Choose the theme" in response.content.decode()
    client.post(
        reverse("case_rule_create"),
        {
            "new-kind": "negative_theme",
            "new-severity": "normal",
            "new-theme_key": "schedule",
            "new-survey": cafe["survey"].pk,
            "new-is_active": "on",
        },
    )
    theme_rule = Rule.objects.get(organisation=cafe["org"], kind="negative_theme")
    assert theme_rule.theme_key == "schedule" and theme_rule.survey == cafe["survey"]

    response = client.post(
        reverse("case_settings"),
        {
            "target_hours_high": "2",
            "target_hours_normal": "8",
            "target_hours_low": "48",
            "warn_at_percent": "50",
            "fallback_owner": cafe["agent"].pk,
            "escalation_manager": cafe["manager"].pk,
        },
    )
    assert response.status_code == 302
    settings = settings_for(cafe["org"])
    assert (settings.target_hours_high, settings.fallback_owner) == (2, cafe["agent"])

    # The new threshold and targets apply to the next response.
    _r, case = answer_and_run(cafe["survey"], {"nps": 8})
    assert case.severity == "high" and case.due_at - case.opened_at == timedelta(hours=2)
    assert case.owner == cafe["agent"] and case.owner_source == "team"

    client.post(reverse("case_rule_delete", args=[rules["low_csat"].pk]))
    assert not Rule.objects.filter(pk=rules["low_csat"].pk).exists()


def test_settings_reject_other_organisations_people_and_surveys(cafe):
    other = make_org("toimisto")
    stranger = person(other, "vieras", role=Role.MANAGER)
    their_survey = make_feedback_survey(other)
    client = client_for(cafe["manager"])
    response = client.post(
        reverse("case_settings"),
        {
            "target_hours_high": "4",
            "target_hours_normal": "24",
            "target_hours_low": "72",
            "warn_at_percent": "75",
            "fallback_owner": stranger.pk,
            "escalation_manager": cafe["agent"].pk,  # an agent is not a manager
        },
    )
    assert response.status_code == 422
    errors = response.context["settings_form"].errors
    assert set(errors) == {"fallback_owner", "escalation_manager"}
    response = client.post(
        reverse("case_rule_create"),
        {
            "new-kind": "low_csat",
            "new-threshold": "2",
            "new-severity": "low",
            "new-survey": their_survey.pk,
        },
    )
    assert response.status_code == 422
    assert "survey" in response.context["new_rule_form"].errors
    # And they cannot touch another organisation's rule.
    settings_for(other)
    their_rule = Rule.objects.filter(organisation=other).first()
    assert client.post(reverse("case_rule_delete", args=[their_rule.pk])).status_code == 404


def test_agents_and_viewers_cannot_open_the_settings(cafe):
    for role in ("agent", "viewer"):
        client = client_for(cafe[role])
        assert client.get(reverse("case_settings")).status_code == 403
        assert client.post(reverse("case_rule_create"), {}).status_code == 403


def test_everyone_sets_their_own_notifications(cafe):
    client = client_for(cafe["viewer"])
    assert client.get(reverse("case_notifications")).status_code == 200
    response = client.post(
        reverse("case_notifications"),
        {"instant_email": "", "daily_digest": "on", "digest_hour": "25", "language": "en"},
    )
    assert response.status_code == 422 and "digest_hour" in response.context["form"].errors
    client.post(
        reverse("case_notifications"),
        {"daily_digest": "on", "digest_hour": "7", "language": "en"},
    )
    pref = NotificationPreference.objects.get(user=cafe["viewer"])
    assert (pref.instant_email, pref.daily_digest, pref.digest_hour, pref.language) == (
        False,
        True,
        7,
        "en",
    )
    assert pref.organisation == cafe["org"]


def test_a_review_case_shows_the_review(cafe):
    from palaute.loop.opening import open_review_case

    case = open_review_case(
        organisation=cafe["org"],
        rating=1,
        text="Kahvi oli kylmää.",
        author_name="Matti M.",
        touchpoint=cafe["survey"].touchpoint,
        url="https://maps.example/review/9",
        language="fi",
        source_label="Google",
    )
    html = client_for(cafe["viewer"]).get(f"/cases/{case.number}/").content.decode()
    assert "1★" in html and "Kahvi oli kylmää." in html and "Matti M." in html
    assert 'href="https://maps.example/review/9"' in html
