"""Settings this app reads, with their defaults (docs/self-hosting.md lists the environment
variables behind them)."""

from __future__ import annotations

from email.utils import parseaddr

from django.conf import settings


def site_url() -> str:
    return settings.SITE_URL.rstrip("/")


def from_address() -> str:
    """The address invitations are sent from (the named sender's name goes in front)."""
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL


def bounce_address() -> str:
    """Envelope sender: where delivery reports (bounces) and mailto unsubscribes arrive."""
    return getattr(settings, "EMAIL_BOUNCE_ADDRESS", "") or from_address()


def webhook_secret() -> str:
    """Shared secret of the email provider's bounce webhook; empty disables the endpoint."""
    return getattr(settings, "EMAIL_WEBHOOK_SECRET", "")


def send_lease_seconds() -> int:
    """How long a worker's claim on an invitation lasts before another may take it over.

    Longer than any SMTP conversation (EMAIL_TIMEOUT), so a live sender is never doubled."""
    return int(getattr(settings, "OUTREACH_SEND_LEASE_SECONDS", 300))
