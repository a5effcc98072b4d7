"""Contacts, accounts and invitations: who may be asked for feedback, and every invitation sent
(BRIEF §2 "Email and SMS invitations", issue 4).

Personal data is kept to what sending needs: a name to greet the person, an email address and
a phone number to reach them, a language, and per-channel opt-outs and bounces. Anything else
about a person lives in ``attributes`` only if the organisation puts it there (docs: automation).

An ``Invitation`` is one survey offered to one contact on one channel. Its status moves
forward only: scheduled → sending → sent → delivered → opened → started → completed, or ends
as skipped (with a reason), failed or bounced. The timestamps of each step stay, so a funnel
counts rows with ``opened_at`` etc. set instead of replaying status history.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import Organisation
from palaute.surveys.models import Response, Survey

LANGUAGES = [("fi", "Suomi"), ("en", "English")]


def new_invitation_key() -> str:
    # 16 random bytes, 22 url-safe characters. The link adds an HMAC of it (see tokens.py).
    return secrets.token_urlsafe(16)


class ChannelKind(models.TextChoices):
    """The channels an invitation can go out on."""

    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Account(models.Model):
    """A customer company (B2B). Its named owner is the person the customer deals with
    (seeds/004: customers value one named contact); invitations to its people come from them."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="customer_accounts"
    )
    name = models.CharField(_("name"), max_length=200)
    business_id = models.CharField(_("business ID"), max_length=30, blank=True)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_account_name")
        ]

    def __str__(self) -> str:
        return self.name


class Contact(models.Model):
    """A person who may receive invitations. Email is stored lower-case and the phone number in
    E.164 form (+358401234567), so both deduplicate; at least one of them is required."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contacts"
    )
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=120, blank=True)
    email = models.EmailField(_("email"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGES, default="fi")
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    # Consent per channel: a set timestamp means "do not contact on this channel".
    email_opt_out_at = models.DateTimeField(_("email opt-out"), null=True, blank=True)
    sms_opt_out_at = models.DateTimeField(_("SMS opt-out"), null=True, blank=True)
    # A hard bounce stops the address until someone corrects it.
    email_bounced_at = models.DateTimeField(_("email bounced"), null=True, blank=True)
    email_bounce_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "email"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=~Q(email=""),
                name="unique_contact_email",
            ),
            models.UniqueConstraint(
                fields=["organisation", "phone"],
                condition=~Q(phone=""),
                name="unique_contact_phone",
            ),
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone=""), name="contact_has_address"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone

    def opted_out(self, channel: str) -> bool:
        if channel == ChannelKind.EMAIL:
            return self.email_opt_out_at is not None
        return self.sms_opt_out_at is not None

    def address(self, channel: str) -> str:
        return self.email if channel == ChannelKind.EMAIL else self.phone


class Segment(models.Model):
    """A saved filter over contacts, evaluated in the database (``segments.py``).

    ``conditions`` is a list of ``{"key", "op", "value"}`` on contact attributes; ``language``,
    ``account`` and ``sector`` narrow further when set."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="segments"
    )
    name = models.CharField(_("name"), max_length=120)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGES, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    sector = models.CharField(_("account sector"), max_length=100, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_segment_name")
        ]

    def __str__(self) -> str:
        return self.name


class OutreachSettings(models.Model):
    """Per-organisation sending settings. A missing row means the defaults below."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="outreach_settings"
    )
    default_sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("default sender"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminders = models.PositiveSmallIntegerField(_("reminders to non-responders"), default=1)
    reminder_after_days = models.PositiveSmallIntegerField(_("days before a reminder"), default=3)

    def __str__(self) -> str:
        return f"Outreach settings of {self.organisation}"


class SenderProfile(models.Model):
    """What a named sender adds to their membership (title and phone live on Membership):
    a photo and the address replies go to."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    photo_url = models.URLField(_("photo URL"), blank=True)
    reply_to = models.EmailField(_("reply-to address"), blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "user"], name="one_sender_profile")
        ]

    def __str__(self) -> str:
        return f"Sender profile of {self.user}"


class EmailTemplate(models.Model):
    """An organisation's own wording of one email; without a row the shipped default is used
    (``emails.DEFAULTS``). Placeholders: see ``emails.PLACEHOLDERS``."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="email_templates"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    language = models.CharField(max_length=5, choices=LANGUAGES)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "language"], name="one_email_template"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"


class Invitation(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        OPENED = "opened", _("Opened")
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")
        BOUNCED = "bounced", _("Bounced")

    class SkipReason(models.TextChoices):
        OPTED_OUT = "opted_out", _("The contact has opted out of this channel")
        BOUNCED = "bounced", _("The address has bounced")
        NO_ADDRESS = "no_address", _("The contact has no address for this channel")
        ALREADY_INVITED = "already_invited", _("An invitation to this survey is still open")
        FREQUENCY_CAP = "frequency_cap", _("The contact was asked too recently")
        SURVEY_CLOSED = "survey_closed", _("The survey is closed")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Sent by hand")
        TRIGGER = "trigger", _("Event trigger")
        SCHEDULE = "schedule", _("Schedule")
        API = "api", _("API")

    # States in which the invitation is out with the customer and may still be answered.
    OPEN_STATUSES = (Status.SENT, Status.DELIVERED, Status.OPENED, Status.STARTED)

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="invitations")
    channel = models.CharField(max_length=10, choices=ChannelKind.choices)
    # The random half of the personal link; the other half is an HMAC (tokens.py).
    key = models.CharField(max_length=32, unique=True, default=new_invitation_key)
    # One trigger, schedule round or manual send creates at most one invitation per key.
    dedup_key = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    source_ref = models.CharField(max_length=200, blank=True)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    skip_reason = models.CharField(max_length=20, choices=SkipReason.choices, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    scheduled_for = models.DateTimeField()
    # Set while a worker sends; a claim older than the send lease may be taken over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)  # skipped, failed or bounced
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "dedup_key"], name="unique_invitation_dedup_key"
            )
        ]
        indexes = [
            models.Index(fields=["survey", "status"], name="invitation_survey_status"),
            models.Index(fields=["contact", "sent_at"], name="invitation_contact_sent"),
            models.Index(fields=["status", "scheduled_for"], name="invitation_due"),
        ]

    def __str__(self) -> str:
        return f"Invitation {self.pk} ({self.channel}, {self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class OutboundMessage(models.Model):
    """One email or SMS that left the system: the invitation itself or a reminder.

    ``sequence`` is 0 for the invitation and n for the n-th reminder; the unique constraint
    makes the log itself idempotent."""

    class Kind(models.TextChoices):
        INVITATION = "invitation", _("Invitation")
        REMINDER = "reminder", _("Reminder")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Marked as spam")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=10, choices=ChannelKind.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField(default=0)
    to = models.CharField(max_length=254)
    provider = models.CharField(max_length=40)
    provider_message_id = models.CharField(max_length=255, db_index=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SENT)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["invitation", "sequence"], name="one_message_per_step")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.sequence} to {self.to}"


class WorkerHeartbeat(models.Model):
    """A running ``palaute worker`` process. Workers refresh ``last_seen_at`` every few
    seconds; a job left RUNNING by a worker whose heartbeat stopped is put back in the queue
    (``worker.py``)."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} ({self.hostname}:{self.pid})"


class JobFailure(models.Model):
    """One failed attempt of a retrying job (``jobs.py``), with the time of the next try or
    none when the job gave up."""

    task_path = models.CharField(max_length=200)
    arguments = models.JSONField(default=dict)
    attempt = models.PositiveSmallIntegerField()
    max_attempts = models.PositiveSmallIntegerField()
    error = models.CharField(max_length=500)
    traceback = models.TextField(blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task_path} attempt {self.attempt}/{self.max_attempts}"
