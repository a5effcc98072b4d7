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


# --- SMS (sms_providers.py). Read with defaults so nothing breaks before they are set.


def sms_backend() -> str:
    """``console`` (development: print), ``memory`` (tests), ``twilio``, or a dotted path to
    a provider class."""
    return getattr(settings, "SMS_BACKEND", "") or "console"


def sms_api_base_url() -> str:
    return (getattr(settings, "SMS_API_BASE_URL", "") or "https://api.twilio.com").rstrip("/")


def sms_account_sid() -> str:
    return getattr(settings, "SMS_ACCOUNT_SID", "")


def sms_auth_token() -> str:
    """The provider's secret: authenticates our requests and signs its webhooks to us. Empty:
    the SMS webhooks are off."""
    return getattr(settings, "SMS_AUTH_TOKEN", "")


def sms_from() -> str:
    """The default sender: a phone number in E.164 form or an alphanumeric sender ID."""
    return getattr(settings, "SMS_FROM", "")


def sms_timeout() -> float:
    return float(getattr(settings, "SMS_TIMEOUT", 10))


def periodic_seconds() -> float:
    """How often ``palaute worker`` looks for due schedule rounds (and other periodic duties)."""
    return float(getattr(settings, "OUTREACH_PERIODIC_SECONDS", 60))


# --- Background batches (batches.py): sends to a segment, CSVs of events.


def batch_chunk_size() -> int:
    """Contacts or CSV rows per chunk, one transaction each (OUTREACH_BATCH_CHUNK)."""
    return max(1, int(getattr(settings, "OUTREACH_BATCH_CHUNK", 1000)))


def batch_run_seconds() -> float:
    """How long one run of a batch job works before it queues its continuation."""
    return float(getattr(settings, "OUTREACH_BATCH_RUN_SECONDS", 20))
