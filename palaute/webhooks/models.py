"""Outgoing webhooks (BRIEF §4): an organisation's endpoints, and every delivery to them.

An ``Endpoint`` is a URL that hears about chosen events, either as signed JSON ("generic") or
as a Slack-compatible ``{"text": …}`` message ("slack"). Its secret is stored as it is: unlike
an API token (of which we keep only a digest) the secret must be at hand to sign every
delivery. After a rotation the previous secret also signs for a grace period, so a receiver
can switch over without losing events.

A ``Delivery`` is one event for one endpoint. Its ``event_id`` is the same on every attempt, so
a receiver can drop duplicates. Each try is an ``Attempt`` row (status code, excerpt of the
answer, error, duration) and the delivery keeps a copy of the last one for the log.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import Organisation

SECRET_PREFIX = "whsec_"
EXCERPT_BYTES = 1024


def new_secret() -> str:
    # 32 random bytes: 256 bits, as long as the HMAC-SHA256 key it becomes.
    return SECRET_PREFIX + secrets.token_urlsafe(32)


class Endpoint(models.Model):
    class Kind(models.TextChoices):
        GENERIC = "generic", _("Signed JSON (generic)")
        SLACK = "slack", _("Slack-compatible message")

    class DisabledReason(models.TextChoices):
        BY_USER = "user", _("Turned off by a user")
        GONE = "gone", _("The receiver answered 410 Gone")
        FAILING = "failing", _("Deliveries kept failing")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=2000)
    kind = models.CharField(_("format"), max_length=10, choices=Kind.choices, default=Kind.GENERIC)
    # Names of the events this endpoint hears about (webhooks.event_types.EVENT_TYPES).
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(max_length=100, default=new_secret)
    # After a rotation the old secret signs too, until this time (see ``signing_secrets``).
    previous_secret = models.CharField(max_length=100, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    secret_rotated_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(max_length=10, choices=DisabledReason.choices, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Deliveries given up in a row since the last success; at the limit the endpoint is
    # turned off (conf.disable_after_given_up).
    given_up_in_row = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="webhook_endpoint_name")
        ]
        indexes = [
            # emit(): "which active endpoints has this organisation?" on every response.
            models.Index(fields=["organisation", "is_active"], name="webhook_endpoint_org_active"),
        ]

    def __str__(self) -> str:
        return self.name

    def subscribes_to(self, event: str) -> bool:
        return event in self.events

    @property
    def short_url(self) -> str:
        """Scheme, host and port only: the path of a chat webhook URL is its secret."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/…"

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets that sign a delivery now: the current one, and the previous one while
        its grace period lasts."""
        now = now or timezone.now()
        found = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            found.append(self.previous_secret)
        return found

    def rotate_secret(self, *, grace: timedelta) -> None:
        """A new secret; the old one keeps signing for ``grace`` (zero: stops at once)."""
        now = timezone.now()
        if grace > timedelta(0):
            self.previous_secret = self.secret
            self.previous_secret_expires_at = now + grace
        else:
            self.previous_secret = ""
            self.previous_secret_expires_at = None
        self.secret = new_secret()
        self.secret_rotated_at = now

    def disable(self, reason: str) -> None:
        self.is_active = False
        self.disabled_reason = reason
        self.disabled_at = timezone.now()

    def enable(self) -> None:
        self.is_active = True
        self.disabled_reason = ""
        self.disabled_at = None
        self.given_up_in_row = 0


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        # The last attempt failed; another is scheduled at ``next_attempt_at``.
        FAILED = "failed", _("Failed, will retry")
        SUCCEEDED = "succeeded", _("Delivered")
        GIVEN_UP = "given_up", _("Given up")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    event_id = models.UUIDField(default=uuid.uuid4)
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker's claim while it sends; a claim left by a dead worker runs out by itself.
    locked_until = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    last_error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} → {self.endpoint_id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.GIVEN_UP)


class Attempt(models.Model):
    """One try at sending a delivery."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300
