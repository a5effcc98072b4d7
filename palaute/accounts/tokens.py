"""Organisation API tokens: create (shown once), verify, revoke.

A token reads ``pal_<prefix>_<secret>``. The prefix (8 hex characters) is public: it finds the
row and tells tokens apart in the back office. The secret is 32 random bytes (256 bits). Only
the SHA-256 digest of the whole token is stored, so a leaked database holds no usable token;
the plain token exists once, in the answer to ``create_token``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from palaute.accounts.models import ApiToken, record_audit

TOKEN_START = "pal_"
PREFIX_BYTES = 4  # 8 hex characters
SECRET_BYTES = 32  # 256 bits
# last_used_at is written at most this often per token, so busy clients cost no extra writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def split(token: str) -> tuple[str, str] | None:
    """The (prefix, secret) of a well-formed token, else None."""
    if not token.startswith(TOKEN_START):
        return None
    prefix, sep, secret = token[len(TOKEN_START) :].partition("_")
    if not sep or len(prefix) != 2 * PREFIX_BYTES or not secret:
        return None
    return prefix, secret


def create_token(organisation, *, name: str, scope: str, created_by=None) -> tuple[ApiToken, str]:
    """Create a token; returns (row, plain token). The plain token is not kept anywhere."""
    if scope not in ApiToken.Scope.values:
        raise ValueError(f"scope: must be one of {', '.join(ApiToken.Scope.values)}")
    for _attempt in range(5):
        prefix = secrets.token_hex(PREFIX_BYTES)
        plain = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    organisation=organisation,
                    name=name,
                    prefix=prefix,
                    digest=digest(plain),
                    scope=scope,
                    created_by=created_by
                    if getattr(created_by, "is_authenticated", False)
                    else None,
                )
                record_audit(
                    organisation,
                    created_by,
                    "api_token.create",
                    name,
                    {"prefix": prefix, "scope": scope},
                )
        except IntegrityError:  # a prefix collision (1 in 4 billion): draw again
            continue
        return token, plain
    raise RuntimeError("could not draw a unique token prefix")


def verify_token(plain: str) -> ApiToken | None:
    """The active token matching ``plain`` (with its organisation), or None."""
    parts = split(plain)
    if parts is None:
        return None
    token = (
        ApiToken.objects.select_related("organisation")
        .filter(prefix=parts[0], revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, digest(plain)):
        return None
    return token


def allows(token: ApiToken, method: str) -> bool:
    """Read tokens may only read; write tokens may do everything."""
    return token.scope == ApiToken.Scope.WRITE or method.upper() not in WRITE_METHODS


def mark_used(token: ApiToken, now=None) -> None:
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke_token(token: ApiToken, actor=None) -> bool:
    """Revoke ``token``; False if it was revoked already. Revoked tokens stop working at once."""
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if updated:
            record_audit(
                token.organisation, actor, "api_token.revoke", token.name, {"prefix": token.prefix}
            )
    token.refresh_from_db(fields=["revoked_at"])
    return bool(updated)
