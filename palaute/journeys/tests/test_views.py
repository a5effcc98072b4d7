import pytest
from django.urls import reverse

from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import (
    make_location,
    make_member,
    make_org,
    make_stage,
    make_touchpoint,
    nps_definition,
)
from palaute.journeys.models import Location, Stage, Touchpoint
from palaute.surveys.publishing import create_survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def org():
    return make_org("kahvila")


@pytest.fixture
def manager(client, org):
    user = make_member(org, "maija", Role.MANAGER, first_name="Maija", last_name="Mäki")
    client.force_login(user)
    return user


def touchpoint_data(for_stage, /, **extra):
    data = {
        "name": "Kassa",
        "key": "",
        "stage": for_stage.pk,
        "channel": "kiosk",
        "kind": "direct",
        "location": "",
        "new_location": "",
        "owner": "",
        "description": "",
    }
    data.update(extra)
    return data


def test_journey_page_lists_stages_in_order_with_touchpoints(client, org, manager):
    later = make_stage(org, "purchase", position=2)
    first = make_stage(org, "expectations", position=1)
    make_touchpoint(later, "counter", name="Kahvilan tiski")
    body = client.get(reverse("journey_edit"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert body.index(first.name_fi) < body.index(later.name_fi)
    assert "Kahvilan tiski" in body
    assert reverse("touchpoint_create") in body


def test_viewer_sees_read_only_and_gets_403_on_edits(client, org):
    stage = make_stage(org)
    tp = make_touchpoint(stage)
    client.force_login(make_member(org, "ville", Role.VIEWER))
    body = client.get(reverse("journey_edit")).content.decode()
    assert tp.name in body
    assert reverse("touchpoint_create") not in body
    assert reverse("stage_delete", args=[stage.pk]) not in body
    posts = [
        (reverse("stage_create"), {"name_fi": "Uusi", "name_en": "New"}),
        (reverse("stage_update", args=[stage.pk]), {"name_fi": "X", "name_en": "X"}),
        (reverse("stage_delete", args=[stage.pk]), {}),
        (reverse("stage_move", args=[stage.pk]), {"direction": "down"}),
        (reverse("touchpoint_create"), touchpoint_data(stage)),
        (reverse("touchpoint_update", args=[tp.pk]), touchpoint_data(stage, name="X")),
        (reverse("touchpoint_delete", args=[tp.pk]), {}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert client.get(reverse("touchpoint_create")).status_code == 403
    tp.refresh_from_db()
    assert tp.name == "Counter"
    assert Stage.objects.count() == 1


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("journey_edit"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_add_edit_and_delete_a_stage_with_audit(client, org, manager):
    make_stage(org, "expectations", position=0)
    response = client.post(
        reverse("stage_create"),
        {"name_fi": "Oston jälkeen", "name_en": "Post-purchase", "description_fi": "Neuvonta"},
    )
    assert response.status_code == 302
    stage = Stage.objects.get(organisation=org, key="post-purchase")
    assert stage.position == 1 and stage.description_fi == "Neuvonta"

    response = client.post(
        reverse("stage_update", args=[stage.pk]),
        {"name_fi": "Jälkeen", "name_en": "After", "key": "post-purchase"},
    )
    assert response.status_code == 302
    stage.refresh_from_db()
    assert stage.name_fi == "Jälkeen"

    assert client.post(reverse("stage_delete", args=[stage.pk])).status_code == 302
    assert not Stage.objects.filter(pk=stage.pk).exists()
    actions = set(AuditEntry.objects.filter(organisation=org).values_list("action", flat=True))
    assert {"stage.create", "stage.update", "stage.delete"} <= actions


def test_stage_form_errors_name_the_field(client, org, manager):
    make_stage(org, "purchase")
    response = client.post(
        reverse("stage_create"),
        {"name_fi": "", "name_en": "Buying", "key": "purchase"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Name (Finnish): This field is required." in body
    assert "Key: This key is already in use" in body
    assert Stage.objects.count() == 1


def test_a_stage_with_touchpoints_is_not_deleted(client, org, manager):
    stage = make_stage(org)
    make_touchpoint(stage)
    response = client.post(
        reverse("stage_delete", args=[stage.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "still has touchpoints" in response.content.decode()
    assert Stage.objects.filter(pk=stage.pk).exists()


def test_reorder_stages(client, org, manager):
    a = make_stage(org, "a", position=0)
    b = make_stage(org, "b", position=1)
    c = make_stage(org, "c", position=2)
    client.post(reverse("stage_move", args=[c.pk]), {"direction": "up"})
    assert list(Stage.objects.filter(organisation=org).values_list("key", flat=True)) == [
        "a",
        "c",
        "b",
    ]
    client.post(reverse("stage_move", args=[a.pk]), {"direction": "up"})  # already first
    client.post(reverse("stage_move", args=[a.pk]), {"direction": "down"})
    assert [s.pk for s in Stage.objects.filter(organisation=org)] == [c.pk, a.pk, b.pk]
    response = client.post(reverse("stage_move", args=[a.pk]), {"direction": "sideways"})
    assert response.status_code == 302
    assert [s.pk for s in Stage.objects.filter(organisation=org)] == [c.pk, a.pk, b.pk]


def test_add_touchpoint_with_auto_key_new_location_and_owner(client, org, manager):
    stage = make_stage(org)
    colleague = make_member(org, "olli", Role.AGENT)
    response = client.post(
        reverse("touchpoint_create"),
        touchpoint_data(
            stage,
            name="Kahvilan tiski ja kassa",
            kind="direct",
            new_location="Rantakahvila",
            owner=colleague.pk,
            description="Tilaus ja maksu",
        ),
    )
    assert response.status_code == 302, response.content.decode()
    tp = Touchpoint.objects.get(organisation=org)
    assert tp.key == "kahvilan-tiski-ja-kassa"
    assert tp.location.name == "Rantakahvila" and tp.location.organisation == org
    assert tp.owner == colleague and tp.stage == stage
    assert AuditEntry.objects.filter(action="touchpoint.create", target=tp.key).exists()

    # Same name again: the key gets a suffix; an existing location name is reused.
    client.post(
        reverse("touchpoint_create"),
        touchpoint_data(stage, name="Kahvilan tiski ja kassa", new_location="rantakahvila"),
    )
    second = Touchpoint.objects.exclude(pk=tp.pk).get()
    assert second.key == "kahvilan-tiski-ja-kassa-2"
    assert Location.objects.filter(organisation=org).count() == 1


def test_touchpoint_errors_name_the_field(client, org, manager):
    stage = make_stage(org)
    make_touchpoint(stage, "counter")
    location = make_location(org)
    response = client.post(
        reverse("touchpoint_create"),
        touchpoint_data(
            stage,
            name="",
            key="counter",
            channel="pigeon",
            kind="sideways",
            location=location.pk,
            new_location="Toinen",
        ),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Name: This field is required." in body
    assert "Key: This key is already in use" in body
    assert "Channel: Select a valid choice." in body
    assert "Kind: Select a valid choice." in body
    assert "Or a new location: Choose an existing location or type a new one" in body
    assert Touchpoint.objects.count() == 1


def test_edit_touchpoint_moves_it_to_another_stage(client, org, manager):
    first, second = make_stage(org, "a", 0), make_stage(org, "b", 1)
    tp = make_touchpoint(first, "counter")
    location = make_location(org)
    response = client.post(
        reverse("touchpoint_update", args=[tp.pk]),
        touchpoint_data(second, name="Tiski", key="counter", location=location.pk, kind="indirect"),
    )
    assert response.status_code == 302
    tp.refresh_from_db()
    assert (tp.stage, tp.name, tp.location, tp.kind) == (second, "Tiski", location, "indirect")


def test_htmx_gets_only_the_form(client, org, manager):
    stage = make_stage(org)
    tp = make_touchpoint(stage)
    response = client.get(reverse("touchpoint_update", args=[tp.pk]), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and 'name="name"' in body
    full = client.get(reverse("touchpoint_update", args=[tp.pk])).content.decode()
    assert "<html" in full and 'name="name"' in full


def test_touchpoint_with_a_survey_is_not_deleted(client, org, manager):
    stage = make_stage(org)
    tp = make_touchpoint(stage)
    create_survey(org, key="nps", name="NPS", touchpoint=tp, definition=nps_definition())
    response = client.post(
        reverse("touchpoint_delete", args=[tp.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "cannot be deleted" in response.content.decode()
    assert Touchpoint.objects.filter(pk=tp.pk).exists()

    empty = make_touchpoint(stage, "empty")
    assert client.post(reverse("touchpoint_delete", args=[empty.pk])).status_code == 302
    assert not Touchpoint.objects.filter(pk=empty.pk).exists()
    assert AuditEntry.objects.filter(action="touchpoint.delete", target="empty").exists()


# ------------------------------------------------------------------------------- tenancy


def test_other_organisations_stages_and_touchpoints_are_not_found(client, org):
    theirs = make_org("other")
    their_stage = make_stage(theirs, "secret-stage")
    their_tp = make_touchpoint(their_stage, "secret-touchpoint", name="Salainen")
    client.force_login(make_member(org, "maija", Role.OWNER))

    assert "Salainen" not in client.get(reverse("journey_edit")).content.decode()
    for name in ("stage_update",):
        assert client.get(reverse(name, args=[their_stage.pk])).status_code == 404
    assert client.get(reverse("touchpoint_update", args=[their_tp.pk])).status_code == 404
    assert (
        client.post(
            reverse("stage_update", args=[their_stage.pk]), {"name_fi": "X", "name_en": "X"}
        ).status_code
        == 404
    )
    assert client.post(reverse("stage_delete", args=[their_stage.pk])).status_code == 404
    assert (
        client.post(reverse("stage_move", args=[their_stage.pk]), {"direction": "up"}).status_code
        == 404
    )
    assert (
        client.post(
            reverse("touchpoint_update", args=[their_tp.pk]),
            touchpoint_data(their_stage, name="Hacked", key="secret-touchpoint"),
        ).status_code
        == 404
    )
    assert client.post(reverse("touchpoint_delete", args=[their_tp.pk])).status_code == 404
    their_tp.refresh_from_db()
    assert their_tp.name == "Salainen"
    assert Stage.objects.filter(pk=their_stage.pk).exists()


def test_cannot_assign_another_organisations_stage_location_or_owner(client, org, manager):
    mine = make_stage(org)
    theirs = make_org("other")
    their_stage = make_stage(theirs, "their-stage")
    their_location = make_location(theirs, "Their place")
    outsider = make_member(theirs, "outsider", Role.OWNER)
    cases = {
        "stage": touchpoint_data(mine, stage=their_stage.pk),
        "location": touchpoint_data(mine, location=their_location.pk),
        "owner": touchpoint_data(mine, owner=outsider.pk),
    }
    for field, data in cases.items():
        response = client.post(reverse("touchpoint_create"), data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200, field
        form = response.context["form"]
        assert field in form.errors, field
        assert "valid choice" in form.errors[field][0]
    # And not by editing an existing touchpoint either.
    tp = make_touchpoint(mine)
    response = client.post(
        reverse("touchpoint_update", args=[tp.pk]),
        touchpoint_data(mine, key=tp.key, owner=outsider.pk, location=their_location.pk),
    )
    assert response.status_code == 200
    tp.refresh_from_db()
    assert tp.owner is None and tp.location is None
    assert not Touchpoint.objects.filter(organisation=theirs).exists()
    assert not Touchpoint.objects.filter(stage=their_stage).exists()


def test_owner_choices_are_only_members(client, org, manager):
    make_stage(org)
    make_member(make_org("other"), "outsider")
    body = client.get(reverse("touchpoint_create")).content.decode()
    assert "Maija Mäki" in body and "outsider" not in body
