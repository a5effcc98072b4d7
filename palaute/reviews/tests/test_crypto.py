import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from palaute.reviews import crypto
from palaute.reviews.models import ReviewSource, SourceKind

pytestmark = pytest.mark.django_db


def _stored_columns(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token_encrypted, refresh_token_encrypted, client_secret_encrypted "
            "FROM reviews_reviewsource WHERE id = %s",
            [pk],
        )
        return " ".join(cursor.fetchone())


def _source(org, **secrets) -> ReviewSource:
    source = ReviewSource(organisation=org, kind=SourceKind.GOOGLE, name="G")
    for name, value in secrets.items():
        setattr(source, name, value)
    source.save()
    return source


def test_tokens_are_not_in_the_database_in_the_clear(org, settings):
    settings.REVIEWS_ENCRYPTION_KEY = Fernet.generate_key().decode()
    source = _source(
        org,
        access_token="ya29.secret-access",
        refresh_token="1//secret-refresh",
        client_secret="GOCSPX-secret",
    )
    raw = _stored_columns(source.pk)
    for secret in ("ya29.secret-access", "1//secret-refresh", "GOCSPX-secret", "secret"):
        assert secret not in raw
    fresh = ReviewSource.objects.get(pk=source.pk)
    assert fresh.access_token == "ya29.secret-access"
    assert fresh.refresh_token == "1//secret-refresh"
    assert fresh.client_secret == "GOCSPX-secret"


def test_without_a_key_one_is_derived_from_secret_key(org, settings):
    settings.REVIEWS_ENCRYPTION_KEY = ""
    source = _source(org, access_token="tok")
    assert ReviewSource.objects.get(pk=source.pk).access_token == "tok"
    settings.SECRET_KEY = "another-secret-key"
    with pytest.raises(crypto.SecretUnreadable):
        ReviewSource.objects.get(pk=source.pk).access_token  # noqa: B018


def test_key_rotation_reencrypts_every_secret(org, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.REVIEWS_ENCRYPTION_KEY = old
    source = _source(org, access_token="tok", refresh_token="ref")
    settings.REVIEWS_ENCRYPTION_KEY = f"{new},{old}"
    call_command("reviews_rotate_keys")
    settings.REVIEWS_ENCRYPTION_KEY = new  # the old key removed
    fresh = ReviewSource.objects.get(pk=source.pk)
    assert (fresh.access_token, fresh.refresh_token) == ("tok", "ref")


def test_a_bad_key_is_explained(settings):
    settings.REVIEWS_ENCRYPTION_KEY = "not-a-key"
    with pytest.raises(ValueError, match="REVIEWS_ENCRYPTION_KEY"):
        crypto.encrypt("x")
