"""Public reviews (BRIEF §5): where they come from, the reviews with their edit history and
themes, and the replies written in Palaute.

A ``ReviewSource`` is one connected Google Business Profile location, one Facebook Page, or one
other site whose reviews arrive by CSV/JSON import. Its OAuth tokens are stored encrypted
(``crypto.py``); the plain values exist only in memory while a connector uses them.

A ``Review`` keeps its current state in columns (for filters and aggregates) and every state it
has had in ``ReviewRevision`` rows, so "1★ → 5★ after we reacted" stays visible. The columns
that trends and response times group by (``rating``, ``location``, ``replied_at``,
``response_seconds``, ``recovered_at``) are maintained by ``store.py`` and ``replies.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import Organisation
from palaute.journeys.models import Location, Touchpoint
from palaute.reviews import conf, crypto


class SourceKind(models.TextChoices):
    GOOGLE = "google", _("Google Business Profile")
    FACEBOOK = "facebook", _("Facebook Page")
    IMPORT = "import", _("Imported (CSV or JSON)")


class ReviewSource(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="review_sources"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices)
    # Shown in lists; for imports the site's name ("Tripadvisor"), matched by the import.
    name = models.CharField(_("name"), max_length=120)
    # Where this source's reviews belong unless a LocationMapping says otherwise.
    touchpoint = models.ForeignKey(
        Touchpoint,
        verbose_name=_("touchpoint"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    is_active = models.BooleanField(_("sync automatically"), default=True)

    # Connector settings. Empty base/token URLs mean the public APIs (conf.py).
    base_url = models.URLField(_("API base URL"), blank=True)
    token_url = models.URLField(_("OAuth token URL"), blank=True)
    # Google: "accounts/{accountId}/locations/{locationId}".
    google_location = models.CharField(_("Google location name"), max_length=200, blank=True)
    facebook_page_id = models.CharField(_("Facebook Page ID"), max_length=60, blank=True)
    client_id = models.CharField(_("OAuth client ID"), max_length=200, blank=True)
    client_secret_encrypted = models.TextField(blank=True)
    access_token_encrypted = models.TextField(blank=True)
    refresh_token_encrypted = models.TextField(blank=True)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)

    # Incremental sync: the newest update time (Google) or creation time (Facebook) seen.
    sync_mark = models.DateTimeField(null=True, blank=True)
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    # A running sync holds this claim (sync.py), so two workers never sync one source at once.
    sync_started_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "name"], name="unique_review_source_name"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.name}"

    # --- secrets: stored encrypted, used in the clear only in memory ----------------------

    @property
    def access_token(self) -> str:
        return crypto.decrypt(self.access_token_encrypted)

    @access_token.setter
    def access_token(self, value: str) -> None:
        self.access_token_encrypted = crypto.encrypt(value)

    @property
    def refresh_token(self) -> str:
        return crypto.decrypt(self.refresh_token_encrypted)

    @refresh_token.setter
    def refresh_token(self, value: str) -> None:
        self.refresh_token_encrypted = crypto.encrypt(value)

    @property
    def client_secret(self) -> str:
        return crypto.decrypt(self.client_secret_encrypted)

    @client_secret.setter
    def client_secret(self, value: str) -> None:
        self.client_secret_encrypted = crypto.encrypt(value)

    # --- connector facts ------------------------------------------------------------------

    @property
    def is_connector(self) -> bool:
        return self.kind in (SourceKind.GOOGLE, SourceKind.FACEBOOK)

    @property
    def is_connected(self) -> bool:
        return self.is_connector and bool(self.access_token_encrypted)

    @property
    def api_base(self) -> str:
        default = {
            SourceKind.GOOGLE: conf.GOOGLE_BASE_URL,
            SourceKind.FACEBOOK: conf.FACEBOOK_BASE_URL,
        }.get(SourceKind(self.kind), "")
        return (self.base_url or default).rstrip("/")

    @property
    def oauth_token_url(self) -> str:
        return self.token_url or conf.GOOGLE_TOKEN_URL


class LocationMapping(models.Model):
    """A location name as a source writes it (an import's location column) → our touchpoint."""

    source = models.ForeignKey(ReviewSource, on_delete=models.CASCADE, related_name="mappings")
    external_location = models.CharField(_("location at the source"), max_length=200)
    touchpoint = models.ForeignKey(
        Touchpoint, verbose_name=_("touchpoint"), on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["external_location"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_location"], name="unique_review_location_mapping"
            )
        ]

    def __str__(self) -> str:
        return f"{self.external_location} → {self.touchpoint_id}"


class Recommendation(models.TextChoices):
    """Facebook's recommendations: kept as they are, stored as 5 or 1 stars (docs/reviews.md)."""

    POSITIVE = "positive", _("Recommends")
    NEGATIVE = "negative", _("Does not recommend")


class Review(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(ReviewSource, on_delete=models.CASCADE, related_name="reviews")
    external_id = models.CharField(max_length=200)
    # What a reply is posted to: Google's review name, Facebook's open graph story id.
    reply_target = models.CharField(max_length=300, blank=True)
    url = models.URLField(max_length=500, blank=True)
    external_location = models.CharField(max_length=200, blank=True)
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Copied from the touchpoint (as a Response does), so trends group by a plain column.
    location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # 1–5 stars (Facebook recommendations: 5 or 1); None when the source gave no rating.
    rating = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True)
    # The value as the source wrote it: "FOUR", "positive", "4.5".
    original_rating = models.CharField(max_length=20, blank=True)
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices, blank=True)
    text = models.TextField(_("text"), blank=True)
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    language = models.CharField(max_length=5, blank=True)

    reviewed_at = models.DateTimeField(_("written"))
    source_updated_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField()
    # The rating when first seen, and when rating or text last changed after that.
    first_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    # A reply the platform shows (ours after posting, or written on the platform directly).
    platform_reply_text = models.TextField(blank=True)
    platform_reply_at = models.DateTimeField(null=True, blank=True)
    # The first reply, wherever it was made, and how long after the review it came.
    replied_at = models.DateTimeField(null=True, blank=True)
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    # Set when the rating rose after we had replied: a recovered customer.
    recovered_at = models.DateTimeField(null=True, blank=True)

    sentiment = models.CharField(max_length=10, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)

    case = models.ForeignKey(
        "loop.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews"
    )

    class Meta:
        ordering = ["-reviewed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="unique_review_external")
        ]
        indexes = [
            models.Index(fields=["organisation", "-reviewed_at"], name="review_org_time"),
            models.Index(fields=["organisation", "location", "reviewed_at"], name="review_org_loc"),
            models.Index(fields=["organisation", "replied_at"], name="review_org_replied"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}/{self.external_id}"

    @property
    def is_answered(self) -> bool:
        return self.replied_at is not None


class ReviewRevision(models.Model):
    """One state of a review as we saw it: the first, and each change of rating or text."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Written")
        EDITED = "edited", _("Edited")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="revisions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    original_rating = models.CharField(max_length=20, blank=True)
    text = models.TextField(blank=True)
    # When the source says it changed (Google's updateTime), and when we saw it.
    source_updated_at = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]

    def __str__(self) -> str:
        return f"{self.review_id} {self.kind} {self.rating}"


class ReviewTheme(models.Model):
    """A theme the text analysis found in a review (palaute/text themes, same keys)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="themes")
    theme_key = models.CharField(max_length=60)
    sentiment = models.CharField(max_length=10, blank=True)
    evidence = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["theme_key"]
        constraints = [
            models.UniqueConstraint(fields=["review", "theme_key"], name="unique_review_theme")
        ]
        indexes = [models.Index(fields=["organisation", "theme_key"], name="review_theme_org_key")]

    def __str__(self) -> str:
        return f"{self.review_id}: {self.theme_key}"


class ReviewReply(models.Model):
    """A public reply written in Palaute, posted through the source's connector; or a note
    that the review was answered elsewhere (imported sites have no connector)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting to be posted")
        POSTING = "posting", _("Posting")
        POSTED = "posted", _("Posted")
        FAILED = "failed", _("Failed")
        ELSEWHERE = "elsewhere", _("Replied elsewhere")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="replies")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("reply"), blank=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    # A double click on "Post" is one reply.
    idempotency_key = models.CharField(max_length=64)
    # The tone guard's warnings when it was sent (categories), kept as they were.
    tone_flags = models.JSONField(default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    external_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "idempotency_key"], name="unique_review_reply_key"
            )
        ]

    def __str__(self) -> str:
        return f"reply {self.pk} to {self.review_id}: {self.status}"
