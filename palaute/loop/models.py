"""Closed loop (BRIEF §4, issue 5): rules that open follow-up cases, the cases themselves with
owners and response-time targets, their history and message thread, and who wants which
notifications.

A ``Case`` keeps its clock as timestamps, not as status history: ``opened_at``, ``due_at``
(opened + the target for its severity), ``first_response_at`` (the first reply to the customer
stops the clock), ``closed_at``. Measures (time to first response, time to resolution, % within
target, recovery rate) are aggregates over these columns, computed in the database.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import Organisation
from palaute.journeys.models import Stage, Touchpoint
from palaute.outreach.models import Account, Contact, Invitation
from palaute.surveys.models import Response, Survey


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class LoopSettings(models.Model):
    """An organisation's closed-loop settings: targets per severity and who catches the rest."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="loop_settings"
    )
    target_hours_high = models.PositiveIntegerField(
        _("target for high severity (hours)"), default=4
    )
    target_hours_normal = models.PositiveIntegerField(
        _("target for normal severity (hours)"), default=24
    )
    target_hours_low = models.PositiveIntegerField(_("target for low severity (hours)"), default=72)
    # The owner is warned when this share of the target has passed without a reply.
    warn_at_percent = models.PositiveSmallIntegerField(
        _("warn the owner at (% of target)"), default=75
    )
    # Cases whose touchpoint and account have no named owner go to this person.
    fallback_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("team fallback owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Escalations go to this person; when empty, to every manager and owner of the organisation.
    escalation_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("escalation manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recovery_survey_enabled = models.BooleanField(_("offer a recovery survey"), default=True)
    # The last case number handed out: an UPDATE … SET n = n + 1 on this row numbers cases
    # without gaps or duplicates, however many workers open cases at once.
    last_case_number = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"loop settings of {self.organisation_id}"

    def save(self, *args, **kwargs) -> None:
        # Only ``opening.next_number``'s UPDATE moves the case counter: saving a form (or any
        # copy loaded before a case opened) must not write an old number back.
        updating = self.pk is not None and not kwargs.get("force_insert")
        if updating and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "last_case_number"
            ]
        super().save(*args, **kwargs)

    def target_hours(self, severity: str) -> int:
        return {
            Severity.HIGH: self.target_hours_high,
            Severity.NORMAL: self.target_hours_normal,
            Severity.LOW: self.target_hours_low,
        }[Severity(severity)]


class Rule(models.Model):
    """When a case opens. ``threshold`` means "at most" for NPS, CSAT, reviews and the kiosk
    face (1 = the saddest of four) and "at least" for CES; kinds without a number ignore it
    (``rules.SPECS`` says which is which)."""

    class Kind(models.TextChoices):
        NPS_DETRACTOR = "nps_detractor", _("NPS at most")
        LOW_CSAT = "low_csat", _("CSAT at most")
        HIGH_CES = "high_ces", _("Customer effort at least")
        SAD_FACE_COMMENT = "sad_face_comment", _("Sad kiosk face with a comment")
        CONTACT_ME = "contact_me", _("“Contact me” ticked")
        LOW_REVIEW = "low_review", _("Public review with stars at most")
        NEGATIVE_THEME = "negative_theme", _("Negative comment on a theme")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    threshold = models.SmallIntegerField(_("threshold"), null=True, blank=True)
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL
    )
    # Empty: every survey (or, for reviews, every source).
    survey = models.ForeignKey(
        Survey,
        verbose_name=_("survey"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # For NEGATIVE_THEME: a shipped driver key or the organisation's own theme key.
    theme_key = models.CharField(_("theme"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["organisation", "is_active"], name="loop_rule_org_active")]

    def __str__(self) -> str:
        number = "" if self.threshold is None else f" {self.threshold}"
        return f"{self.get_kind_display()}{number}"


class Case(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        RESOLVED = "resolved", _("Resolved")
        NO_ACTION = "no_action", _("No action needed")

    class Reason(models.TextChoices):
        """Why a case was closed."""

        FIXED = "fixed", _("Fixed")
        EXPLAINED = "explained", _("Explained to the customer")
        COMPENSATED = "compensated", _("Compensated")
        IMPROVEMENT = "improvement", _("Led to an improvement")
        NOT_REACHABLE = "not_reachable", _("Customer not reachable")
        DUPLICATE = "duplicate", _("Duplicate")
        SPAM = "spam", _("Spam or test")
        OTHER = "other", _("Other")

    class OwnerSource(models.TextChoices):
        TOUCHPOINT = "touchpoint", _("Touchpoint owner")
        ACCOUNT = "account", _("Account owner")
        TEAM = "team", _("Team fallback")
        MANUAL = "manual", _("Assigned by hand")
        NONE = "none", _("Nobody")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    # Per organisation, shown as "#12".
    number = models.PositiveIntegerField()
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The rule kind copied (rules may be deleted), or "manual".
    trigger = models.CharField(max_length=20)
    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.NEW
    )
    close_reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)

    # What the case is about. The first response is ``responses.first()`` by link time.
    responses = models.ManyToManyField(Response, through="CaseResponse", related_name="cases")
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copied from the touchpoint so measures by stage are a GROUP BY on this table.
    stage = models.ForeignKey(
        Stage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    # How to reach the customer when there is no contact row (a "contact me" answer, a review).
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    customer_email = models.EmailField(_("customer email"), blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=40, blank=True)
    language = models.CharField(max_length=8, default="fi")
    # "email" or "sms": how replies go by default (SMS when the feedback came by SMS).
    reply_channel = models.CharField(max_length=10, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    owner_source = models.CharField(max_length=12, choices=OwnerSource.choices)

    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # When the owner is reminded (``warn_at_percent`` of the target), set with ``due_at``.
    warn_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Where the feedback lives outside Palaute (a public review): a changed review finds its case.
    source_url = models.URLField(max_length=500, blank=True)

    # Recovery: "did we fix it?" sent when resolved; answered True/False (None: not answered).
    recovery_invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recovery_sent_at = models.DateTimeField(null=True, blank=True)
    recovered = models.BooleanField(null=True, blank=True)
    recovery_answered_at = models.DateTimeField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="unique_case_number")
        ]
        indexes = [
            models.Index(fields=["organisation", "status", "due_at"], name="case_org_status_due"),
            models.Index(fields=["organisation", "owner", "status"], name="case_org_owner_status"),
            models.Index(fields=["organisation", "opened_at"], name="case_org_opened"),
            # The escalation pass reads only cases still waiting for a first response.
            models.Index(
                fields=["warn_at"],
                condition=models.Q(
                    warned_at__isnull=True,
                    first_response_at__isnull=True,
                    status__in=["new", "contacted"],
                ),
                name="case_waiting_warn",
            ),
            models.Index(
                fields=["due_at"],
                condition=models.Q(
                    escalated_at__isnull=True,
                    first_response_at__isnull=True,
                    status__in=["new", "contacted"],
                ),
                name="case_waiting_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_waiting(self) -> bool:
        """Open and nobody has answered the customer yet: the response clock is running."""
        return self.is_open and self.first_response_at is None


OPEN_STATUSES = (Case.Status.NEW, Case.Status.CONTACTED)


class CaseResponse(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="links")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    linked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "response"], name="unique_case_response")
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} ← response {self.response_id}"


class CaseEvent(models.Model):
    """The case's full history, oldest first. Internal notes are events of kind NOTE."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        RESPONSE_LINKED = "response_linked", _("Feedback linked")
        ASSIGNED = "assigned", _("Assigned")
        STATUS = "status", _("Status changed")
        SEVERITY = "severity", _("Severity changed")
        NOTE = "note", _("Internal note")
        REPLY = "reply", _("Reply to the customer")
        WARNED = "warned", _("Owner reminded")
        ESCALATED = "escalated", _("Escalated")
        RECOVERY_SENT = "recovery_sent", _("Recovery survey sent")
        RECOVERY_ANSWERED = "recovery_answered", _("Recovery survey answered")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField()
    # None: the system (a rule, the escalation job).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(blank=True)
    # Structured details, e.g. {"from": "new", "to": "contacted"} or {"owner_id": 3}.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class CaseMessage(models.Model):
    """One message in the case's thread with the customer."""

    class Direction(models.TextChoices):
        OUT = "out", _("To the customer")
        IN = "in", _("From the customer")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        RECEIVED = "received", _("Received")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    channel = models.CharField(max_length=10)  # "email" or "sms"
    to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices)
    # A double click on "Send" is one message.
    idempotency_key = models.CharField(max_length=64)
    provider_id = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "idempotency_key"], name="unique_case_message_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.channel} {self.to}"


class NotificationPreference(models.Model):
    """What one member wants to hear about cases. No row: the defaults."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    instant_email = models.BooleanField(_("email me at once when a case is mine"), default=True)
    daily_digest = models.BooleanField(_("daily digest"), default=True)
    # Local hour (organisation's time zone) the digest goes out.
    digest_hour = models.PositiveSmallIntegerField(_("digest hour"), default=8)
    # The language of the emails; empty: the organisation's default language.
    language = models.CharField(
        _("email language"), max_length=5, choices=settings.LANGUAGES, blank=True
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="one_notification_preference"
            )
        ]

    def __str__(self) -> str:
        return f"notifications of {self.user_id}"
