import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

from palaute.accounts.forms import normalise_origin, parse_origins
from palaute.accounts.models import AuditEntry, Role
from palaute.accounts.tests.helpers import make_member, make_org


@pytest.fixture(autouse=True)
def _english():
    # The messages are asserted in English (the default UI language is Finnish).
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("given", "origin"),
    [
        ("https://www.example.fi", "https://www.example.fi"),
        ("https://www.example.fi/", "https://www.example.fi"),
        ("HTTPS://WWW.Example.FI", "https://www.example.fi"),
        ("https://shop.example.fi:443", "https://shop.example.fi"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("https://[::1]:8443", "https://[::1]:8443"),
        ("https://kahvila.fi:8443", "https://kahvila.fi:8443"),
        ("https://kahvila-ä.fi", "https://xn--kahvila--7za.fi"),  # as browsers send it
    ],
)
def test_origins_are_normalised_like_an_origin_header(given, origin):
    assert normalise_origin(given) == origin


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ("www.example.fi", "https://"),
        ("ftp://example.fi", "https://"),
        ("https://example.fi/widget", "path"),
        ("https://example.fi?x=1", "path"),
        ("https://example.fi#top", "path"),
        ("https://example.fi:99999", "port"),
        ("https://example.fi:0", "port"),
        ("https://example.fi:abc", "port"),
        ("https://user:pw@example.fi", "user name"),
        ("https://exa mple.fi", "spaces"),
        ("https://-bad-.fi", "host"),
        ("https://", "https://"),
    ],
)
def test_bad_origins_say_why(given, problem):
    with pytest.raises(ValueError) as info:
        normalise_origin(given)
    assert problem in str(info.value.args[0])


def test_parse_origins_names_every_bad_line_and_drops_duplicates():
    assert parse_origins("https://a.fi\n\n  https://A.fi/ \nhttps://b.fi:8443\n") == [
        "https://a.fi",
        "https://b.fi:8443",
    ]
    with pytest.raises(forms.ValidationError) as info:
        parse_origins("https://a.fi\nhttps://a.fi/path\nnot an origin")
    messages = [str(m) for m in info.value.messages]
    assert messages[0].startswith("Line 2 (https://a.fi/path)")
    assert messages[1].startswith("Line 3 (not an origin)")


@pytest.mark.django_db
def test_an_owner_sets_allowed_origins_with_audit(client):
    org = make_org("kahvila")
    client.force_login(make_member(org, "aino", Role.OWNER))
    data = {"name": "Kahvila", "default_language": "fi", "time_zone": "Europe/Helsinki"}
    response = client.post(
        reverse("organisation_settings"),
        {**data, "allowed_origins": "https://www.kahvila.fi/\r\nhttp://localhost:8000"},
    )
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.allowed_origins == ["https://www.kahvila.fi", "http://localhost:8000"]
    entry = AuditEntry.objects.get(action="organisation.update")
    assert entry.detail == {
        "allowed_origins": [[], ["https://www.kahvila.fi", "http://localhost:8000"]]
    }
    page = client.get(reverse("organisation_settings")).content.decode()
    assert "https://www.kahvila.fi\nhttp://localhost:8000</textarea>" in page

    response = client.post(reverse("organisation_settings"), {**data, "allowed_origins": ""})
    org.refresh_from_db()
    assert org.allowed_origins == []


@pytest.mark.django_db
def test_a_bad_origin_line_is_named_and_nothing_is_saved(client):
    org = make_org("kahvila")
    client.force_login(make_member(org, "aino", Role.OWNER))
    response = client.post(
        reverse("organisation_settings"),
        {
            "name": "Renamed",
            "default_language": "fi",
            "time_zone": "Europe/Helsinki",
            "allowed_origins": "https://ok.fi\nhttps://bad.fi/path",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Line 2 (https://bad.fi/path): must not have a path" in response.content.decode()
    org.refresh_from_db()
    assert (org.name, org.allowed_origins) == ("Kahvila", [])


@pytest.mark.django_db
def test_only_owners_change_allowed_origins(client):
    org = make_org("kahvila")
    make_member(org, "owner", Role.OWNER)
    client.force_login(make_member(org, "manager", Role.MANAGER))
    response = client.post(
        reverse("organisation_settings"),
        {
            "name": "Kahvila",
            "default_language": "fi",
            "time_zone": "Europe/Helsinki",
            "allowed_origins": "https://evil.example",
        },
    )
    assert response.status_code == 403
    org.refresh_from_db()
    assert org.allowed_origins == []
