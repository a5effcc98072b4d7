"""The per-survey invitation funnel: one query, steps that never widen, per channel."""

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from palaute.outreach.funnel import survey_funnel
from palaute.outreach.tests.helpers import invitation_for, make_contact
from palaute.surveys.tests.helpers import make_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey():
    survey = make_survey()
    org, now = survey.organisation, timezone.now()
    steps = [
        (
            "email",
            "completed",
            {"sent_at": now, "opened_at": now, "started_at": now, "completed_at": now},
        ),
        ("email", "opened", {"sent_at": now, "opened_at": now}),  # no delivery report
        ("email", "delivered", {"sent_at": now, "delivered_at": now}),
        ("email", "sent", {"sent_at": now}),
        (
            "sms",
            "started",
            {"sent_at": now, "delivered_at": now, "opened_at": now, "started_at": now},
        ),
        ("sms", "failed", {"sent_at": now, "finished_at": now}),
        ("email", "skipped", {"skip_reason": "opted_out"}),
        ("email", "scheduled", {}),
    ]
    for index, (channel, status, stamps) in enumerate(steps):
        contact = make_contact(org, f"c{index}@example.com", phone=f"+35840100000{index}")
        invitation_for(survey, contact, channel=channel, status=status, **stamps)
    return survey


def test_funnel_counts_in_one_query(survey, django_assert_num_queries):
    with django_assert_num_queries(1):
        funnel = survey_funnel(survey)
    total = {step.key: (step.count, step.percent) for step in funnel.total.steps}
    assert total == {
        "invited": (6, 100.0),
        "delivered": (4, 66.7),  # delivered or opened
        "opened": (3, 50.0),
        "started": (2, 33.3),
        "completed": (1, 16.7),
    }
    assert (funnel.total.scheduled, funnel.total.skipped, funnel.total.failed) == (1, 1, 1)
    by_channel = {ch.channel: [s.count for s in ch.steps] for ch in funnel.channels}
    assert by_channel == {"email": [4, 3, 2, 1, 1], "sms": [2, 1, 1, 1, 0]}


def test_funnel_of_a_survey_without_invitations():
    funnel = survey_funnel(make_survey())
    assert funnel.empty and funnel.channels == []
    assert [s.percent for s in funnel.total.steps] == [None] * 5


def test_funnel_template_tag(survey):
    template = Template("{% load outreach_funnel %}{% survey_funnel survey %}")
    with translation.override("en"):
        html = template.render(Context({"survey": survey}))
    assert "Invitation funnel" in html and "Completed" in html
    assert 'value="16.7"' in html and "SMS" in html
