"""The measures page and the dashboard panel through the real views."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from palaute.accounts.models import Role
from palaute.accounts.tests.helpers import make_member, make_org, make_stage, make_touchpoint
from palaute.loop.models import Case
from palaute.loop.tests.acting_helpers import make_case

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def org():
    organisation = make_org("kahvila")
    aino = make_member(organisation, "aino", role=Role.AGENT, first_name="Aino")
    counter = make_touchpoint(make_stage(organisation), "counter")
    now = timezone.now()
    opened = now - timedelta(days=3)
    make_case(
        organisation,
        opened_at=opened,
        owner=aino,
        touchpoint=counter,
        first_response_at=opened + timedelta(hours=2),
        status=Case.Status.RESOLVED,
        closed_at=opened + timedelta(hours=26),
        recovered=True,
        recovery_sent_at=opened + timedelta(hours=26),
    )
    make_case(organisation, opened_at=opened, hours=4, owner=aino, touchpoint=counter)
    make_case(organisation, opened_at=now - timedelta(days=200))  # outside 90 days
    return organisation


def test_the_measures_page(client, org):
    viewer = make_member(org, "ville", role=Role.VIEWER)
    client.force_login(viewer)
    page = client.get(reverse("case_measures"), **EN)
    assert page.status_code == 200
    body = page.content.decode()
    assert "How fast we close the loop" in body
    cells = re.findall(r"<td class=\"num\">([^<]*)", body)
    # Aino's row: 2 cases, 1 answered, in 2 h, 50 % (one missed), resolved in 26 h, 1 of 1
    # recovered.
    assert [cell.strip() for cell in cells[:6]] == ["2", "1", "2 h", "50 %", "26 h", "100 %"]
    assert '<th scope="row">Aino</th>' in body

    by_touchpoint = client.get(reverse("case_measures") + "?by=touchpoint&period=all", **EN)
    body = by_touchpoint.content.decode()
    assert '<th scope="row">Counter</th>' in body and '<th scope="row">No touchpoint</th>' in body

    bad = client.get(reverse("case_measures") + "?by=weekday", **EN).content.decode()
    assert "Group by: Select a valid choice" in bad  # and the default grouping is shown
    assert '<th scope="row">Aino' in bad


def test_another_organisation_sees_only_its_own_measures(client, org):
    other = make_org("muu")
    client.force_login(make_member(other, "outsider", role=Role.OWNER))
    body = client.get(reverse("case_measures") + "?period=all", **EN).content.decode()
    assert "Aino" not in body and "No cases were opened in this period." in body


def test_measures_need_a_member(client):
    response = client.get(reverse("case_measures"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_dashboard_panel(client, org):
    client.force_login(make_member(org, "ville", role=Role.VIEWER))
    body = client.get(reverse("home") + "?period=30", **EN).content.decode()
    assert "Closing the loop" in body and reverse("case_measures") + "?period=30" in body
    other = make_org("muu")
    client.force_login(make_member(other, "outsider", role=Role.OWNER))
    make_touchpoint(make_stage(other), "desk")
    assert "Closing the loop" not in client.get(reverse("home"), **EN).content.decode()
