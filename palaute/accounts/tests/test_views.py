import pytest
from django.urls import reverse

from palaute.accounts.middleware import SESSION_KEY
from palaute.accounts.models import AuditEntry, Membership, Role
from palaute.accounts.tests.helpers import PASSWORD, make_member, make_org

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "expected"), [("en", 'lang="en"'), ("fi", 'lang="fi"')])
def test_login_page_renders_in_both_languages(client, language, expected):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    assert expected in body
    assert 'name="username"' in body and 'name="password"' in body


def test_login_with_a_cookie_language(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert 'lang="en"' in client.get(reverse("login")).content.decode()


def test_login_and_logout(client):
    org = make_org("kahvila")
    make_member(org, "aino")
    response = client.post(reverse("login"), {"username": "aino", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("organisation_settings")).status_code == 200
    assert client.get(reverse("logout")).status_code == 405  # logging out is a POST
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("organisation_settings")).status_code == 302


def test_login_rejects_a_wrong_password(client):
    make_member(make_org("kahvila"), "aino")
    response = client.post(reverse("login"), {"username": "aino", "password": "nope"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_switch_organisation_only_to_own_memberships(client):
    a, b, c = make_org("a"), make_org("b"), make_org("c")
    user = make_member(a, "aino")
    Membership.objects.create(organisation=b, user=user, role=Role.VIEWER)
    make_member(c, "other")
    client.force_login(user)

    response = client.post(reverse("switch_organisation"), {"organisation": b.pk})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == b.pk

    assert client.post(reverse("switch_organisation"), {"organisation": c.pk}).status_code == 404
    assert client.post(reverse("switch_organisation"), {"organisation": "x"}).status_code == 404
    assert client.session[SESSION_KEY] == b.pk
    assert client.get(reverse("switch_organisation")).status_code == 405


def test_switch_organisation_ignores_an_outside_next(client):
    a = make_org("a")
    client.force_login(make_member(a, "aino"))
    response = client.post(
        reverse("switch_organisation"), {"organisation": a.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("home")
    response = client.post(
        reverse("switch_organisation"), {"organisation": a.pk, "next": "/surveys/"}
    )
    assert response["Location"] == "/surveys/"


def test_owner_changes_settings_with_audit(client):
    org = make_org("kahvila")
    client.force_login(make_member(org, "aino", Role.OWNER))
    response = client.post(
        reverse("organisation_settings"),
        {"name": "Rantakahvila", "default_language": "en", "time_zone": "Europe/Stockholm"},
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert (org.name, org.default_language, org.time_zone) == (
        "Rantakahvila",
        "en",
        "Europe/Stockholm",
    )
    entry = AuditEntry.objects.get(organisation=org, action="organisation.update")
    assert entry.detail["name"] == ["Kahvila", "Rantakahvila"]


def test_settings_errors_name_the_field(client):
    org = make_org("kahvila")
    client.force_login(make_member(org, "aino", Role.OWNER))
    response = client.post(
        reverse("organisation_settings"),
        {"name": "", "default_language": "xx", "time_zone": "Mars/Olympus"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Time zone: Unknown time zone" in body
    assert "Name: This field is required." in body
    assert "Default language: Select a valid choice." in body
    org.refresh_from_db()
    assert org.name == "Kahvila"


@pytest.mark.parametrize("role", [Role.MANAGER, Role.AGENT, Role.VIEWER])
def test_only_owners_change_settings_or_roles(client, role):
    org = make_org("kahvila")
    make_member(org, "owner", Role.OWNER)
    user = make_member(org, "someone", role)
    client.force_login(user)
    assert client.get(reverse("organisation_settings")).status_code == 200
    response = client.post(
        reverse("organisation_settings"),
        {"name": "Hacked", "default_language": "fi", "time_zone": "Europe/Helsinki"},
    )
    assert response.status_code == 403
    mine = Membership.objects.get(user=user)
    response = client.post(
        reverse("organisation_settings"),
        {"action": "role", "membership": mine.pk, "role": Role.OWNER},
    )
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.role == role
    org.refresh_from_db()
    assert org.name == "Kahvila"


def test_owner_changes_a_role_with_audit(client):
    org = make_org("kahvila")
    client.force_login(make_member(org, "owner", Role.OWNER))
    make_member(org, "viivi", Role.VIEWER)
    viivi = Membership.objects.get(user__username="viivi")
    response = client.post(
        reverse("organisation_settings"),
        {"action": "role", "membership": viivi.pk, "role": Role.MANAGER},
    )
    assert response.status_code == 302
    viivi.refresh_from_db()
    assert viivi.role == Role.MANAGER
    entry = AuditEntry.objects.get(action="membership.role")
    assert entry.target == "viivi" and entry.detail == {"from": "viewer", "to": "manager"}


def test_the_last_owner_cannot_be_demoted(client):
    org = make_org("kahvila")
    owner = make_member(org, "owner", Role.OWNER)
    client.force_login(owner)
    mine = Membership.objects.get(user=owner)
    response = client.post(
        reverse("organisation_settings"),
        {"action": "role", "membership": mine.pk, "role": Role.VIEWER},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == Role.OWNER


def test_roles_of_another_organisation_cannot_be_changed(client):
    a, b = make_org("a"), make_org("b")
    client.force_login(make_member(a, "owner_a", Role.OWNER))
    make_member(b, "victim", Role.OWNER)
    theirs = Membership.objects.get(user__username="victim")
    response = client.post(
        reverse("organisation_settings"),
        {"action": "role", "membership": theirs.pk, "role": Role.VIEWER},
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.role == Role.OWNER


def test_settings_lists_only_own_members(client):
    a, b = make_org("a"), make_org("b")
    client.force_login(make_member(a, "aino"))
    make_member(b, "bertta")
    body = client.get(reverse("organisation_settings")).content.decode()
    assert "aino" in body and "bertta" not in body
