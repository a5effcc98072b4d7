"""Surveys (versioned definitions), responses and answers (BRIEF §2).

A survey's questions live in a JSON definition (see ``definition.py`` and docs/surveys.md).
Every edit creates a new ``SurveyVersion``; a response points to the version it answered,
so old answers keep their meaning when the survey changes.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import Organisation
from palaute.journeys.models import Channel, Location, Stage, Touchpoint


def new_public_key() -> str:
    # 12 url-safe characters: ~72 bits, unguessable, short enough for a QR code.
    return secrets.token_urlsafe(9)


class Survey(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="surveys")
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("touchpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    public_key = models.CharField(max_length=24, unique=True, default=new_public_key)
    is_active = models.BooleanField(_("accepting responses"), default=True)
    current_version = models.ForeignKey(
        "SurveyVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="unique_survey_key")
        ]

    def __str__(self) -> str:
        return self.name


class SurveyVersion(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["survey", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "number"], name="unique_survey_version")
        ]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"


class ImportBatch(models.Model):
    """One file of historical responses imported at once (channel ``import``). Responses keep
    a link to their batch so an import can be reviewed and undone as a whole."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="import_batches")
    filename = models.CharField(max_length=200)
    mapping = models.JSONField(default=dict)
    rows = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.rows})"


class Response(models.Model):
    """One submitted answer set. Stage and location are copied from the touchpoint at
    submission time so metrics can group without joins and history stays stable."""

    # db_index=False where a composite index below already leads with the column: every index
    # is work on each insert (bulk imports, bench/imports.py).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="responses", db_index=False
    )
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="responses", db_index=False
    )
    # No index on version, stage or location: no query filters responses by them alone (the
    # dashboards read score counts; lists filter by organisation, survey or touchpoint and
    # time), and only deleting a version, stage or location looks them up (decision 15 in
    # docs/decisions.md).
    version = models.ForeignKey(
        SurveyVersion, on_delete=models.PROTECT, related_name="responses", db_index=False
    )
    touchpoint = models.ForeignKey(
        Touchpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
    )
    stage = models.ForeignKey(
        Stage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
    )
    location = models.ForeignKey(
        Location,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        db_index=False,
    )
    channel = models.CharField(max_length=20, choices=Channel.choices)
    language = models.CharField(max_length=5)
    submitted_at = models.DateTimeField()
    idempotency_key = models.CharField(max_length=64)
    # Filled only when the respondent ticked "contact me" and gave details.
    contact_name = models.CharField(max_length=120, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    # A random id a kiosk or widget keeps in its own storage (never a cookie, never an IP).
    device_id = models.CharField(max_length=64, blank=True)
    # Why a response is kept out of the metrics, e.g. "mashing" (a burst of kiosk taps).
    # Flagged responses stay stored and visible; clearing the flag counts them again.
    flagged = models.CharField(max_length=30, blank=True)
    import_batch = models.ForeignKey(
        ImportBatch, null=True, blank=True, on_delete=models.CASCADE, related_name="responses"
    )
    # Who wrote it down, for interview and conversation notes (channel ``interview``).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # response_recorded_by below: only the rows that have one
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "idempotency_key"], name="unique_response_idempotency_key"
            )
        ]
        # Every index is work on each insert (a bulk import writes a million rows; see
        # decision 15 in docs/decisions.md).
        indexes = [
            # Ascending: new responses usually come in time order, so they are appended to
            # these indexes (a descending index is filled from its front, and its pages are
            # left half empty). Lists newest first read them backwards (on SQLite, whose
            # index entries end in the rowid, "-submitted_at, -id" then needs no sort).
            models.Index(fields=["survey", "submitted_at"], name="response_survey_time"),
            models.Index(fields=["organisation", "submitted_at"], name="response_org_time"),
            models.Index(fields=["touchpoint", "submitted_at"], name="response_tp_time"),
            # Kiosk button-mashing checks look up one device's recent taps; only kiosk taps
            # are looked up, so only they are indexed.
            models.Index(
                fields=["survey", "device_id", "submitted_at"],
                condition=models.Q(channel=Channel.KIOSK),
                name="response_kiosk_device_time",
            ),
            # Deleting a user clears recorded_by: only interview notes have one.
            models.Index(
                fields=["recorded_by"],
                condition=models.Q(recorded_by__isnull=False),
                name="response_recorded_by",
            ),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey_id}"


class Answer(models.Model):
    """One answered question. ``score`` holds numeric answers (1/0 for consent and contact-me,
    and the chosen option's index for choice questions: a multiple-choice answer is one row per
    chosen option); ``expected`` is the expectation half of an expectation–experience pair;
    ``text`` holds free text (and the "other" text of a choice)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # answer_survey_question leads with it
    question_key = models.CharField(max_length=60)
    kind = models.CharField(max_length=30)
    score = models.SmallIntegerField(null=True, blank=True)
    expected = models.SmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["survey", "question_key"], name="answer_survey_question"),
        ]

    def __str__(self) -> str:
        return f"{self.question_key}={self.score if self.score is not None else self.text[:20]}"
