"""Who a case belongs to and what it links: the same customer's feedback joins their open
case, owners come from the touchpoint → account → team chain, reviews open cases, and the
webhook payload carries the contract's fields."""

from datetime import timedelta

import pytest
from django.utils import timezone

from palaute.loop import workflow
from palaute.loop.configuration import settings_for
from palaute.loop.models import Case, CaseEvent, Rule
from palaute.loop.opening import open_review_case
from palaute.loop.payloads import case_payload
from palaute.loop.tests.helpers import (
    KIOSK,
    answer_and_run,
    contact_me,
    make_feedback_survey,
    make_org,
    person,
)
from palaute.outreach.links import recorded
from palaute.outreach.tests.helpers import invitation_for, make_account, make_contact

pytestmark = pytest.mark.django_db


def _invited_answer(survey, contact, answers):
    """An invited contact answers: the response and the invitation's completion commit
    together, as on the hosted page."""
    from django.db import transaction

    from palaute.loop.tests.helpers import answer, run_due_jobs

    invitation = invitation_for(survey, contact)
    with transaction.atomic():
        response = answer(survey, answers)
        recorded(invitation, response)
    run_due_jobs()
    return response, Case.objects.filter(links__response=response).first()


def test_a_second_answer_from_the_same_contact_joins_the_open_case():
    org = make_org("kahvila")
    survey = make_feedback_survey(org)
    contact = make_contact(org, "maija@example.com", account=make_account(org))

    _first, case = _invited_answer(survey, contact, {"nps": 4})
    assert case.contact == contact and case.account == contact.account
    assert case.customer_email == "maija@example.com" and case.customer_name == contact.name

    # Again, now asking to be contacted: linked, and the case becomes high severity.
    second, again = _invited_answer(survey, contact, {"nps": 2, "contact": contact_me()})
    assert again.pk == case.pk and Case.objects.count() == 1
    assert case.links.count() == 2
    again.refresh_from_db()
    assert again.severity == "high"
    assert again.due_at <= again.opened_at + timedelta(hours=24)
    kinds = list(again.events.values_list("kind", flat=True))
    assert kinds == ["opened", "response_linked", "severity"]

    # Once the case is closed, new feedback opens a new case.
    workflow.set_status(again, Case.Status.RESOLVED, actor=None, reason="fixed")
    _third, third = _invited_answer(survey, contact, {"nps": 1})
    assert third.number == 2 and Case.objects.count() == 2


def test_contact_me_details_identify_the_customer_across_responses():
    survey = make_feedback_survey(make_org("kahvila"))
    _r, first = answer_and_run(survey, {"contact": contact_me(email="Maija@Example.com")})
    _r, same = answer_and_run(survey, {"nps": 3, "contact": contact_me(email="maija@example.com")})
    _r, other = answer_and_run(survey, {"contact": contact_me(email="pekka@example.com")})
    assert same.pk == first.pk and other.pk != first.pk
    assert first.customer_email == "maija@example.com"


def test_contact_me_by_phone_finds_the_stored_contact():
    org = make_org("kahvila")
    survey = make_feedback_survey(org)
    contact = make_contact(org, "", phone="+358401234567")
    details = contact_me(email="", phone="040 123 4567")
    _r, case = answer_and_run(survey, {"contact": details})
    assert case.contact == contact and case.customer_phone == "+358401234567"


def test_anonymous_kiosk_feedback_opens_a_case_each_time():
    kiosk = make_feedback_survey(make_org("kahvila"), key="kiosk", data=KIOSK)
    for _ in range(2):
        answer_and_run(kiosk, {"face": 1, "why": "Kylmää"}, channel="kiosk")
    assert Case.objects.count() == 2


def test_owner_chain_touchpoint_then_account_then_team_then_nobody():
    org = make_org("kahvila")
    tp_owner = person(org, "tiina")
    account_owner = person(org, "aki")
    team = person(org, "teemu")
    survey = make_feedback_survey(org)
    touchpoint = survey.touchpoint
    settings = settings_for(org)

    def owner_of(email):
        contact = make_contact(org, email, account=make_account(org, email, owner=account_owner))
        _r, case = _invited_answer(survey, contact, {"nps": 0})
        return case.owner, case.owner_source

    touchpoint.owner = tp_owner
    touchpoint.save()
    assert owner_of("a@example.com") == (tp_owner, "touchpoint")
    touchpoint.owner = None
    touchpoint.save()
    assert owner_of("b@example.com") == (account_owner, "account")
    account_owner.memberships.all().delete()  # left the organisation
    settings.fallback_owner = team
    settings.save()
    assert owner_of("c@example.com") == (team, "team")
    settings.fallback_owner = None
    settings.save()
    assert owner_of("d@example.com") == (None, "none")


def test_the_first_owner_is_recorded_in_the_history():
    org = make_org("kahvila")
    owner = person(org, "tiina")
    survey = make_feedback_survey(org)
    survey.touchpoint.owner = owner
    survey.touchpoint.save()
    _r, case = answer_and_run(survey, {"nps": 0})
    assigned = case.events.get(kind=CaseEvent.Kind.ASSIGNED)
    assert assigned.data == {"from_id": None, "owner_id": owner.pk, "source": "touchpoint"}
    assert assigned.actor is None


def test_a_low_review_opens_a_high_severity_case_and_its_change_finds_it():
    org = make_org("kahvila")
    survey = make_feedback_survey(org)
    url = "https://maps.example/review/1"
    args = dict(
        organisation=org,
        text="Kahvi oli kylmää ja palvelu hidasta.",
        author_name="Matti M.",
        touchpoint=survey.touchpoint,
        url=url,
        language="fi",
        source_label="Google",
    )
    assert open_review_case(rating=3, **args) is None
    case = open_review_case(rating=2, **args)
    assert case.trigger == Rule.Kind.LOW_REVIEW and case.severity == "high"
    assert case.customer_name == "Matti M." and case.source_url == url
    assert case.title.startswith("2★")
    assert case.events.get(kind="opened").data["review"]["text"] == args["text"]
    # The reviewer edits the review to one star: the same case, the change in its history.
    assert open_review_case(rating=1, **args) == case
    assert Case.objects.count() == 1
    assert case.events.filter(kind="response_linked").get().data["review"]["rating"] == 1


def test_review_rules_follow_the_settings():
    org = make_org("kahvila")
    settings_for(org)
    Rule.objects.filter(organisation=org, kind=Rule.Kind.LOW_REVIEW).update(threshold=3)
    earlier = timezone.now() - timedelta(hours=1)
    case = open_review_case(
        organisation=org,
        rating=3,
        text="",
        author_name="",
        touchpoint=None,
        url="",
        language="en",
        source_label="Facebook",
        opened_at=earlier,
    )
    assert case is not None and case.opened_at == earlier
    assert case.due_at == earlier + timedelta(hours=4)


def test_case_payload_has_the_contract_fields(settings):
    settings.SITE_URL = "https://palaute.example"
    org = make_org("kahvila")
    owner = person(org, "tiina")
    survey = make_feedback_survey(org)
    survey.touchpoint.owner = owner
    survey.touchpoint.save()
    _r, case = answer_and_run(survey, {"nps": 0})
    payload = case_payload(case)
    assert set(payload) == {
        "id",
        "number",
        "title",
        "severity",
        "status",
        "trigger",
        "owner",
        "touchpoint",
        "opened_at",
        "due_at",
        "first_response_at",
        "closed_at",
        "close_reason",
        "url",
    }
    assert payload["owner"] == {"name": "Tiina Virtanen", "email": "tiina@kahvila.example"}
    assert payload["touchpoint"] == "counter" and payload["first_response_at"] is None
    assert payload["opened_at"] == case.opened_at.isoformat()
    assert payload["url"] == f"https://palaute.example/cases/{case.number}/?org=kahvila"


def test_opening_and_resolving_emit_webhook_events():
    from palaute.loop.tests.helpers import answer
    from palaute.loop.triggers import open_cases_job
    from palaute.webhooks.models import Delivery, Endpoint

    org = make_org("kahvila")
    Endpoint.objects.create(
        organisation=org,
        name="CRM",
        url="http://127.0.0.1:9/hook",
        events=["case.opened", "case.resolved"],
    )
    survey = make_feedback_survey(org)
    response = answer(survey, {"nps": 1})
    open_cases_job.call(response.pk)
    case = Case.objects.get()
    opened = Delivery.objects.get(event="case.opened")
    assert opened.payload["number"] == case.number and opened.payload["status"] == "new"

    workflow.set_status(case, Case.Status.CONTACTED, actor=None)
    assert not Delivery.objects.filter(event="case.resolved").exists()
    workflow.set_status(case, Case.Status.RESOLVED, actor=None, reason="explained")
    resolved = Delivery.objects.get(event="case.resolved")
    assert resolved.payload["status"] == "resolved"
    assert resolved.payload["close_reason"] == "explained"
    assert resolved.payload["first_response_at"] is not None
