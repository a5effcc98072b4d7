"""The signed event webhook of an organisation: ``POST /hooks/events/<organisation slug>``.

The sender signs each request with the organisation's webhook secret, the same scheme as the
email events hook (bounces.py): ``X-Palaute-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>">``. A signature more than 5 minutes old is refused, so a captured request cannot
be replayed later; within those 5 minutes a replay is recognised by the event's id, or, for an
event without one, by the signature itself (the same body and time sign the same way).

The secret is shown once, when it is created or rotated. The database keeps only a random key;
the secret is an HMAC of that key under SECRET_KEY (like the personal links, tokens.py), so a
copy of the database alone cannot sign events. Rotating makes the old secret stop at once.
"""

from __future__ import annotations

import base64
import secrets

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from palaute.accounts.models import record_audit
from palaute.outreach.bounces import verify_signature
from palaute.outreach.models import OutreachSettings

PURPOSE = "palaute.outreach.events-webhook"
PREFIX = "whsec_"


def _secret_for(key: str, server_secret: str) -> str:
    digest = salted_hmac(PURPOSE, key, secret=server_secret, algorithm="sha256").digest()
    return PREFIX + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def secret_for(key: str) -> str:
    return _secret_for(key, settings.SECRET_KEY)


def rotate(organisation, actor) -> str:
    """A new secret for the organisation's webhook (turning it on); returns it, once."""
    key = secrets.token_urlsafe(16)
    OutreachSettings.objects.update_or_create(
        organisation=organisation,
        defaults={"events_webhook_key": key, "events_webhook_rotated_at": timezone.now()},
    )
    record_audit(organisation, actor, "events_webhook.rotate", organisation.slug)
    return secret_for(key)


def disable(organisation, actor) -> None:
    OutreachSettings.objects.filter(organisation=organisation).update(
        events_webhook_key="", events_webhook_rotated_at=None
    )
    record_audit(organisation, actor, "events_webhook.disable", organisation.slug)


def check(key: str, header: str, body: bytes, now: float | None = None) -> str | None:
    """None when the signature is valid and fresh under the organisation's secret (made with
    the current SECRET_KEY or one of SECRET_KEY_FALLBACKS), else what is wrong."""
    server_secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    problem = None
    for server_secret in server_secrets:
        problem = verify_signature(_secret_for(key, server_secret), header, body, now)
        if problem is None:
            return None
        if problem != "the signature does not match":
            return problem
    return problem


def signature_id(header: str) -> str:
    """An idempotency key for an event without an id: its signature."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    return "sig:" + parts.get("v1", "").strip().lower()[:64]
