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

import datetime
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
    # A former customer stays for history but gets no relationship surveys.
    is_active = models.BooleanField(_("active customer"), default=True)
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
    # The person's id in the organisation's own system (CRM, booking), as events name them.
    external_id = models.CharField(_("external ID"), max_length=100, blank=True)
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
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="unique_contact_external_id",
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
    # Survey fatigue: no contact is sent a second survey invitation within this many days,
    # whatever the survey or channel (caps.py). 0 turns the cap off.
    frequency_cap_days = models.PositiveSmallIntegerField(
        _("ask one person at most once in (days)"), default=0
    )
    # Who SMS come from: an alphanumeric sender ID ("Kahvila", at most 11 characters) or a
    # number in E.164 form. Empty: the server's SMS_FROM.
    sms_sender = models.CharField(_("SMS sender"), max_length=16, blank=True)
    # The signed event webhook (/hooks/events/<slug>): its secret is derived from this random
    # key and SECRET_KEY (events_webhook.py), so the database alone does not reveal it.
    # Empty: the webhook is off.
    events_webhook_key = models.CharField(max_length=32, blank=True)
    events_webhook_rotated_at = models.DateTimeField(null=True, blank=True)

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


class SmsTemplate(models.Model):
    """An organisation's own wording of one SMS; without a row the shipped default is used
    (``sms_templates.DEFAULTS``)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sms_templates"
    )
    kind = models.CharField(max_length=20, choices=EmailTemplate.Kind.choices)
    language = models.CharField(max_length=5, choices=LANGUAGES)
    body = models.TextField(_("message"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "language"], name="one_sms_template"
            )
        ]

    def __str__(self) -> str:
        return f"SMS {self.kind} ({self.language})"


class ChannelPreference(models.TextChoices):
    """Which channel a trigger or schedule uses; the ``_first`` ones fall back to the other
    channel when the contact has no address there, has opted out or the address bounced."""

    EMAIL_FIRST = "email_first", _("Email, else SMS")
    SMS_FIRST = "sms_first", _("SMS, else email")
    EMAIL_ONLY = "email_only", _("Email only")
    SMS_ONLY = "sms_only", _("SMS only")


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
        NOT_MOBILE = "not_mobile", _("The phone number cannot receive SMS")
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
    # With a channel preference: the channel to switch to when, at send time, the contact
    # cannot be reached on ``channel`` any more (opted out, bounced, no address).
    fallback_channel = models.CharField(max_length=10, choices=ChannelKind.choices, blank=True)
    # Why a frequency_cap or already_invited skip happened: the earlier invitation.
    earlier_invitation = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        "Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="invitations"
    )
    schedule_round = models.ForeignKey(
        "ScheduleRound",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
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
            # Covers the funnel's query (funnel.py): counted from the index alone.
            models.Index(
                fields=[
                    "survey",
                    "channel",
                    "status",
                    "sent_at",
                    "delivered_at",
                    "opened_at",
                    "started_at",
                    "completed_at",
                ],
                name="invitation_funnel",
            ),
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
        FAILED = "failed", _("Not delivered")

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


# ----------------------------------------------------------------- events and automation


class Event(models.Model):
    """Something that happened to a customer (a booking completed, a delivery done), reported
    by the API, the signed webhook or a CSV of transactions. Trigger rules turn it into
    invitations and messages (triggers.py).

    ``external_id`` is the sender's id of the event (the ``id`` field or ``Idempotency-Key``);
    it is unique per organisation, so a retried or redelivered event is recognised and
    changes nothing."""

    class Source(models.TextChoices):
        API = "api", _("API")
        WEBHOOK = "webhook", _("Webhook")
        CSV = "csv", _("CSV upload")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("event"), max_length=60)
    external_id = models.CharField(_("event ID"), max_length=100, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    occurred_at = models.DateTimeField(_("happened at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="events")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    touchpoint = models.ForeignKey(
        "journeys.Touchpoint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~Q(external_id=""),
                name="unique_event_external_id",
            )
        ]
        indexes = [models.Index(fields=["organisation", "-received_at"], name="event_recent")]

    def __str__(self) -> str:
        return f"{self.name} ({self.external_id or self.pk})"


class TriggerRule(models.Model):
    """When an event of ``event_name`` arrives (and its attributes match ``conditions``),
    send ``survey`` (or a plain message) after a delay, outside quiet hours."""

    class Action(models.TextChoices):
        SURVEY = "survey", _("Send a survey")
        MESSAGE = "message", _("Send a message")

    class DelayUnit(models.TextChoices):
        MINUTES = "minutes", _("minutes")
        HOURS = "hours", _("hours")
        DAYS = "days", _("days")

    class DelayFrom(models.TextChoices):
        OCCURRED = "occurred", _("after the event")
        ENDS = "ends", _("after the event ends")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="trigger_rules"
    )
    name = models.CharField(_("name"), max_length=120)
    event_name = models.CharField(_("event"), max_length=60)
    is_active = models.BooleanField(_("active"), default=True)
    # Attribute conditions, all of which must hold: [{"key": "type", "value": "private"}].
    conditions = models.JSONField(default=list, blank=True)
    action = models.CharField(
        _("action"), max_length=10, choices=Action.choices, default=Action.SURVEY
    )
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="trigger_rules",
    )
    channel_preference = models.CharField(
        _("channel"),
        max_length=12,
        choices=ChannelPreference.choices,
        default=ChannelPreference.EMAIL_FIRST,
    )
    delay_amount = models.PositiveIntegerField(_("delay"), default=2)
    delay_unit = models.CharField(
        _("unit"), max_length=10, choices=DelayUnit.choices, default=DelayUnit.HOURS
    )
    delay_from = models.CharField(
        _("counted from"), max_length=10, choices=DelayFrom.choices, default=DelayFrom.OCCURRED
    )
    # Nothing is sent between quiet_start and quiet_end (local time of ``time_zone``); a send
    # that falls inside waits for quiet_end. Both empty: no quiet hours.
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")
    # The "send a message" action: the wording per language (SMS uses the body only).
    message_subject_fi = models.CharField(_("subject (Finnish)"), max_length=200, blank=True)
    message_body_fi = models.TextField(_("message (Finnish)"), blank=True)
    message_subject_en = models.CharField(_("subject (English)"), max_length=200, blank=True)
    message_body_en = models.TextField(_("message (English)"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["event_name", "name"]
        indexes = [
            models.Index(fields=["organisation", "event_name"], name="trigger_rule_event"),
        ]

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    """A recurring relationship survey (quarterly NPS to every active account) or a customer
    panel whose rounds go to all of its members at once."""

    class Kind(models.TextChoices):
        RELATIONSHIP = "relationship", _("Relationship survey")
        PANEL = "panel", _("Panel")

    class Audience(models.TextChoices):
        ACTIVE_ACCOUNTS = "active_accounts", _("All contacts of active accounts")
        SEGMENT = "segment", _("A segment")
        ALL = "all", _("All contacts")

    class Frequency(models.TextChoices):
        MANUAL = "manual", _("Only when started by hand")
        WEEKS = "weeks", _("Every n weeks")
        MONTHS = "months", _("Every n months")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="schedules"
    )
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=15, choices=Kind.choices, default=Kind.RELATIONSHIP
    )
    survey = models.ForeignKey(
        Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="schedules"
    )
    audience = models.CharField(
        _("who"), max_length=20, choices=Audience.choices, default=Audience.ACTIVE_ACCOUNTS
    )
    segment = models.ForeignKey(
        Segment,
        verbose_name=_("segment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="schedules",
    )
    channel_preference = models.CharField(
        _("channel"),
        max_length=12,
        choices=ChannelPreference.choices,
        default=ChannelPreference.EMAIL_FIRST,
    )
    frequency = models.CharField(
        _("repeat"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHS
    )
    interval = models.PositiveSmallIntegerField(_("every"), default=3)
    start_date = models.DateField(_("first round on"))
    send_time = models.TimeField(_("at"), default=datetime.time(9, 0))
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Helsinki")
    is_active = models.BooleanField(_("active"), default=True)
    # When the next automatic round is due (schedules.py keeps it); null: none.
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ScheduleRound(models.Model):
    """One round of a schedule: the invitations it created and when. ``period`` names the
    occasion (the due date of an automatic round, or ``manual:<id>`` for one started by
    hand) and is unique per schedule, so a round is never created twice."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField()
    period = models.CharField(max_length=60)
    due_at = models.DateTimeField()
    invited = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period"], name="one_round_per_period"),
            models.UniqueConstraint(fields=["schedule", "number"], name="unique_round_number"),
        ]

    def __str__(self) -> str:
        return f"{self.schedule} round {self.number}"


class JourneyMessage(models.Model):
    """A plain message that keeps a customer informed ("the installer arrives tomorrow
    8–10"), sent by a trigger rule's "send a message" action. No survey, no link; sent once,
    with the same claim as invitations (messages.py)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        SKIPPED = "skipped", _("Skipped")
        FAILED = "failed", _("Failed")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="journey_messages"
    )
    rule = models.ForeignKey(
        TriggerRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="messages")
    # The random half of the message's unsubscribe link, as an invitation's key (tokens.py).
    key = models.CharField(max_length=32, unique=True, default=new_invitation_key)
    channel = models.CharField(max_length=10, choices=ChannelKind.choices)
    fallback_channel = models.CharField(max_length=10, choices=ChannelKind.choices, blank=True)
    dedup_key = models.CharField(max_length=200)
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=5, choices=LANGUAGES, default="fi")
    # The wording, filled in when the message was scheduled (a later edit of the rule does
    # not change messages already on their way). The subject is used by email only.
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    skip_reason = models.CharField(max_length=20, choices=Invitation.SkipReason.choices, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    scheduled_for = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    to = models.CharField(max_length=254, blank=True)
    provider = models.CharField(max_length=40, blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "dedup_key"], name="unique_message_dedup_key"
            )
        ]
        indexes = [models.Index(fields=["status", "scheduled_for"], name="message_due")]

    def __str__(self) -> str:
        return f"Message {self.pk} ({self.channel}, {self.status})"


class PeriodicRun(models.Model):
    """When a periodic duty (schedules, repair sweep) may run next. A worker that moves
    ``next_run_at`` forward with a guarded UPDATE owns that run, so among many workers
    exactly one starts it (periodic.py)."""

    name = models.CharField(max_length=60, unique=True)
    next_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


# ------------------------------------------------------------------ background batches


class BatchStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class BackgroundBatch(models.Model):
    """Work a page hands to the worker (batches.py): recorded by the request with the job that
    does it, then done by the job in chunks, each chunk one transaction that also moves the
    cursor and the counts, so the page can show progress and a re-run continues where the last
    committed chunk ended.

    ``key`` is the form's idempotency key: a double click finds the batch the first click
    made."""

    FINISHED = (BatchStatus.DONE, BatchStatus.FAILED)

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=64)
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.QUEUED
    )
    planned = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    # Failed runs of the job; the batch fails for good after batches.MAX_FAILURES.
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if self.status == BatchStatus.DONE:
            return 100
        if not self.planned:
            return 0
        return min(99, self.processed * 100 // self.planned)


class SendBatch(BackgroundBatch):
    """A survey sent by hand to a segment or to all contacts (send_batches.py): the choices
    made on the form, and how far the job that creates the invitations has got."""

    class Audience(models.TextChoices):
        ALL = "all", _("All contacts")
        SEGMENT = "segment", _("A segment")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="send_batches")
    audience = models.CharField(max_length=10, choices=Audience.choices)
    # Kept when the segment is deleted meanwhile (the batch then fails: it never falls back to
    # everyone); the name stays for the record.
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    segment_name = models.CharField(max_length=120, blank=True)
    # "email", "sms" or a ChannelPreference ("email_first", "sms_first").
    channel = models.CharField(max_length=12)
    send_at = models.DateTimeField()
    # The cursor: contacts are taken in id order, the last one done so far.
    last_contact_id = models.BigIntegerField(default=0)
    invited = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # Contacts that already had this send's invitation (a re-run of a chunk).
    repeated = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="unique_send_batch_key")
        ]
        indexes = [models.Index(fields=["survey", "-created_at"], name="send_batch_recent")]

    def __str__(self) -> str:
        return f"Send {self.pk} of {self.survey}"

    @property
    def channel_label(self) -> str:
        choices = dict(ChannelKind.choices) | dict(ChannelPreference.choices)
        return str(choices.get(self.channel, self.channel))

    @property
    def batch_key(self) -> str:
        """The invitations' dedup prefix (invitations.py): one invitation per contact."""
        return f"manual:{self.key}"


class EventImport(BackgroundBatch):
    """A CSV of events (event_imports.py): validated whole by the upload request, its rows
    staged in ``EventImportChunk``, then recorded and run through the trigger rules by a job."""

    file_name = models.CharField(max_length=255, blank=True)
    default_event = models.CharField(max_length=60, blank=True)
    # The cursor: the CSV row number of the last row done so far.
    last_row = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    repeated = models.PositiveIntegerField(default=0)
    invitations = models.PositiveIntegerField(default=0)
    messages = models.PositiveIntegerField(default=0)
    # Rows refused when applied (the contacts changed between upload and job):
    # [{"row", "column", "message"}], at most event_imports.MAX_ERRORS of them.
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="unique_event_import_key")
        ]

    def __str__(self) -> str:
        return f"Event import {self.pk} ({self.file_name})"


class EventImportChunk(models.Model):
    """Validated CSV rows waiting for their import's job, one chunk (a transaction's worth) per
    row of this table, deleted as the job records them. ``rows`` is ``[[CSV row number,
    event], …]``, each event as ``event_imports.row_data`` writes it."""

    batch = models.ForeignKey(EventImport, on_delete=models.CASCADE, related_name="chunks")
    first_row = models.PositiveIntegerField()
    rows = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["batch", "first_row"], name="unique_event_import_chunk")
        ]

    def __str__(self) -> str:
        return f"rows from {self.first_row} of import {self.batch_id}"
