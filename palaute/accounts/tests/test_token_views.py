import re

import pytest
from django.urls import reverse

from palaute.accounts import tokens
from palaute.accounts.models import ApiToken, AuditEntry, Role
from palaute.accounts.tests.helpers import make_member, make_org

pytestmark = pytest.mark.django_db


def _token_in(body: str) -> str:
    match = re.search(r"pal_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", body)
    assert match, "the new token is shown"
    return match.group(0)


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_a_manager_creates_a_token_and_sees_it_once(client, role):
    org = make_org("kahvila")
    client.force_login(make_member(org, "aino", role))
    response = client.post(
        reverse("api_tokens"),
        {"name": "Booking system", "scope": "write"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    plain = _token_in(body)
    assert "shown only once" in body
    token = tokens.verify_token(plain)
    assert (token.name, token.scope, token.organisation) == ("Booking system", "write", org)

    again = client.get(reverse("api_tokens")).content.decode()
    assert plain not in again
    assert f"pal_{token.prefix}_…" in again and "Booking system" in again


def test_the_form_names_bad_fields(client):
    org = make_org("kahvila")
    client.force_login(make_member(org, "aino"))
    response = client.post(
        reverse("api_tokens"), {"name": "  ", "scope": "admin"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    body = response.content.decode()
    assert "Name: This field is required." in body or "Name: Enter a name." in body
    assert "Scope: Select a valid choice." in body
    assert not ApiToken.objects.exists()


def test_revoking_is_a_post_and_is_audited(client):
    org = make_org("kahvila")
    user = make_member(org, "aino", Role.MANAGER)
    client.force_login(user)
    token, plain = tokens.create_token(org, name="Booking", scope="read")
    url = reverse("api_token_revoke", args=[token.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert tokens.verify_token(plain) is None
    entry = AuditEntry.objects.get(action="api_token.revoke")
    assert entry.actor == user and entry.detail == {"prefix": token.prefix}
    page = client.get(reverse("api_tokens"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "revoked" in page


@pytest.mark.parametrize("role", [Role.AGENT, Role.VIEWER])
def test_agents_and_viewers_cannot_see_or_make_tokens(client, role):
    org = make_org("kahvila")
    client.force_login(make_member(org, "someone", role))
    token, plain = tokens.create_token(org, name="Booking", scope="read")
    assert client.get(reverse("api_tokens")).status_code == 403
    assert client.post(reverse("api_tokens"), {"name": "x", "scope": "write"}).status_code == 403
    assert client.post(reverse("api_token_revoke", args=[token.pk])).status_code == 403
    assert ApiToken.objects.count() == 1 and tokens.verify_token(plain) is not None
    settings_page = client.get(reverse("organisation_settings")).content.decode()
    assert reverse("api_tokens") not in settings_page


def test_settings_link_to_the_tokens_page_for_managers(client):
    org = make_org("kahvila")
    client.force_login(make_member(org, "aino", Role.MANAGER))
    assert reverse("api_tokens") in client.get(reverse("organisation_settings")).content.decode()


def test_another_organisations_tokens_are_invisible_and_cannot_be_revoked(client):
    a, b = make_org("a"), make_org("b")
    client.force_login(make_member(a, "owner_a"))
    theirs, plain = tokens.create_token(b, name="Their secret integration", scope="write")
    assert "Their secret integration" not in client.get(reverse("api_tokens")).content.decode()
    assert client.post(reverse("api_token_revoke", args=[theirs.pk])).status_code == 404
    assert tokens.verify_token(plain) is not None


def test_signed_out_visitors_are_sent_to_login(client):
    response = client.get(reverse("api_tokens"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
