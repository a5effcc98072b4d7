import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from palaute.accounts import tokens
from palaute.accounts.models import ApiToken, AuditEntry
from palaute.accounts.tests.helpers import make_member, make_org

pytestmark = pytest.mark.django_db


def test_a_new_token_is_returned_once_and_only_its_digest_is_stored():
    org = make_org("kahvila")
    user = make_member(org, "aino")
    token, plain = tokens.create_token(org, name="Booking", scope="write", created_by=user)

    assert re.fullmatch(r"pal_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", plain)  # 32 random bytes
    row = ApiToken.objects.get(pk=token.pk)
    assert row.prefix == plain.split("_")[1]
    assert row.digest == hashlib.sha256(plain.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.values().get(pk=token.pk).values()]
    assert not any(plain in value or plain[13:] in value for value in stored)
    assert (row.scope, row.created_by, row.organisation) == ("write", user, org)
    entry = AuditEntry.objects.get(action="api_token.create")
    assert entry.detail == {"prefix": row.prefix, "scope": "write"}
    assert plain not in str(entry.detail) and entry.actor == user


def test_tokens_are_unique():
    org = make_org("kahvila")
    plains = {tokens.create_token(org, name=f"t{i}", scope="read")[1] for i in range(20)}
    assert len(plains) == 20
    assert ApiToken.objects.values("prefix").distinct().count() == 20


def test_verify_accepts_the_token_and_nothing_like_it():
    org = make_org("kahvila")
    token, plain = tokens.create_token(org, name="Booking", scope="read")
    assert tokens.verify_token(plain) == token
    assert tokens.verify_token(plain).organisation == org

    prefix = plain.split("_")[1]
    for wrong in [
        plain[:-1] + ("A" if plain[-1] != "A" else "B"),  # one character off
        plain + "x",
        f"pal_{prefix}_",
        f"pal_{prefix}",
        plain.replace("pal_", "pat_"),
        "",
        "Bearer " + plain,
    ]:
        assert tokens.verify_token(wrong) is None, wrong


def test_a_revoked_token_stops_working_and_revoking_is_audited_once():
    org = make_org("kahvila")
    user = make_member(org, "aino")
    token, plain = tokens.create_token(org, name="Booking", scope="write")
    assert tokens.revoke_token(token, user) is True
    assert token.revoked_at is not None
    assert tokens.verify_token(plain) is None
    assert tokens.revoke_token(token, user) is False
    assert AuditEntry.objects.filter(action="api_token.revoke").count() == 1


def test_scope_read_allows_only_reading():
    org = make_org("kahvila")
    read, _ = tokens.create_token(org, name="r", scope="read")
    write, _ = tokens.create_token(org, name="w", scope="write")
    for method in ("GET", "HEAD", "OPTIONS"):
        assert tokens.allows(read, method) and tokens.allows(write, method)
    for method in ("POST", "PUT", "PATCH", "DELETE", "post"):
        assert not tokens.allows(read, method)
        assert tokens.allows(write, method)


def test_unknown_scope_is_refused():
    with pytest.raises(ValueError, match="scope"):
        tokens.create_token(make_org("kahvila"), name="x", scope="admin")


def test_last_used_is_written_at_most_once_a_minute(django_assert_num_queries):
    org = make_org("kahvila")
    token, _ = tokens.create_token(org, name="r", scope="read")
    start = timezone.now()
    with django_assert_num_queries(1):
        tokens.mark_used(token, start)
    with django_assert_num_queries(0):
        tokens.mark_used(token, start + timedelta(seconds=59))
    with django_assert_num_queries(1):
        tokens.mark_used(token, start + timedelta(seconds=61))
    token.refresh_from_db()
    assert token.last_used_at == start + timedelta(seconds=61)
