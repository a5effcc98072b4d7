"""Stored results of text analytics, organisation themes, user tags and trained models.

Every row carries ``organisation`` so queries stay inside one tenant, and a trained model or a
tag from one organisation is never used for another.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import Organisation
from palaute.journeys.models import Stage, Touchpoint
from palaute.surveys.models import Answer, Response, Survey


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    MIXED = "mixed", _("Mixed")


class MentionSource(models.TextChoices):
    RULE = "rule", _("Lexicon and rules")
    MODEL = "model", _("Trained model")
    USER = "user", _("Tagged by a user")


class CommentAnalysis(models.Model):
    """The analysis of one free-text answer; re-analysing replaces it."""

    answer = models.OneToOneField(Answer, on_delete=models.CASCADE, related_name="analysis")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="+")
    # Copied from the response (as Response copies its touchpoint's stage) so the verbatim
    # explorer filters and sorts on one indexed table, whatever the history's size.
    survey = models.ForeignKey(
        Survey, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    stage = models.ForeignKey(
        Stage, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    submitted_at = models.DateTimeField(null=True)
    # The local day in the organisation's time zone: trends group by it as a plain column.
    day = models.DateField(null=True)
    language = models.CharField(max_length=5)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices)
    score = models.FloatField()
    # Clauses with their sentiment and the words that drove it, for highlighting.
    clauses = models.JSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=MentionSource.choices, default="rule")
    analysed_at = models.DateTimeField()
    pipeline_version = models.CharField(max_length=20)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "sentiment"], name="analysis_org_sentiment"),
            models.Index(fields=["organisation", "-submitted_at"], name="analysis_org_time"),
            models.Index(fields=["survey", "-submitted_at"], name="analysis_survey_time"),
            models.Index(fields=["touchpoint", "-submitted_at"], name="analysis_tp_time"),
        ]

    def __str__(self) -> str:
        return f"{self.answer_id}: {self.sentiment} {self.score:+.2f}"


class ThemeMention(models.Model):
    """One theme found in one answer, with the sentiment it was mentioned with."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="theme_mentions")
    # Reverse name for driver analysis: one query aggregates a response's answers and themes.
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="theme_mentions")
    # Copied from the response so trends and the heat map are GROUP BYs over this table alone.
    survey = models.ForeignKey(
        Survey, null=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    touchpoint = models.ForeignKey(
        Touchpoint, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    stage = models.ForeignKey(
        Stage, null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    day = models.DateField(null=True)
    theme_key = models.CharField(max_length=60)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices)
    # {"words": [...], "opinion_words": [...]}: what to highlight in the verbatim.
    evidence = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=10, choices=MentionSource.choices)
    confidence = models.FloatField(default=1.0)

    class Meta:
        indexes = [
            # Covers the trend and heat-map GROUP BYs (read from the index alone) and the
            # explorer's theme filter.
            models.Index(
                fields=["organisation", "theme_key", "sentiment", "day", "touchpoint"],
                name="mention_org_theme_cover",
            ),
            models.Index(fields=["response"], name="mention_response"),
            models.Index(fields=["survey", "theme_key"], name="mention_survey_theme"),
        ]

    def __str__(self) -> str:
        return f"{self.theme_key} ({self.sentiment}) in {self.answer_id}"


class Theme(models.Model):
    """A theme an organisation defines itself, beside the shipped CX drivers."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    key = models.SlugField(_("key"), max_length=60)
    name_fi = models.CharField(_("name (Finnish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    # Words or two-word phrases, in any inflection: they are lemmatised before matching.
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    # Comments that are about this theme: they train the organisation's model.
    example_comments = models.JSONField(_("example comments"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="unique_theme_key")
        ]

    def __str__(self) -> str:
        return self.name_fi or self.key


class ThemeLabel(models.Model):
    """A user's tag or correction on an answer. ``theme_key == OVERALL`` corrects the
    comment's overall sentiment; otherwise it says whether the theme is present and how."""

    OVERALL = "_overall"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="theme_labels")
    theme_key = models.CharField(max_length=60)
    present = models.BooleanField(default=True)
    sentiment = models.CharField(max_length=10, choices=Sentiment.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # A correction changes a label in place; retraining compares this with the model's time.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["answer", "theme_key"], name="one_label_per_theme")
        ]
        indexes = [models.Index(fields=["organisation", "theme_key"], name="label_org_theme")]

    def __str__(self) -> str:
        return f"{self.theme_key}={'yes' if self.present else 'no'} on {self.answer_id}"


class TrainedModel(models.Model):
    """An organisation's model, trained from its own labels (classifier.TextModel bytes)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, default="text")
    data = models.BinaryField()
    trained_at = models.DateTimeField()
    pipeline_version = models.CharField(max_length=20)
    metrics = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-trained_at"]
        indexes = [
            models.Index(fields=["organisation", "kind", "-trained_at"], name="model_org_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} model of {self.organisation_id} at {self.trained_at:%Y-%m-%d %H:%M}"
