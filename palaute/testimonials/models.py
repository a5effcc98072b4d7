"""Testimonials and B2B references (BRIEF §5, §7; docs/testimonials.md).

A respondent who ticks a consent question gives permission to publish their feedback. The
``ConsentRecord`` keeps what they agreed to, exactly: the wording shown (in the language shown),
when, in which survey version, and how they may be named. A ``Testimonial`` is the candidate
that staff approve, publish or reject; its quote changes only with the respondent's
confirmation of a ``QuoteProposal``. Withdrawing the consent takes the testimonial down at once.

``Publication`` holds an organisation's public key (``/t/<key>/…``) and a generation number
that every change to what is public bumps, so cached feeds and pages are never served after a
change. ``ReferenceProfile`` is what the public reference page says about a customer account.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import Organisation
from palaute.outreach.models import Account
from palaute.surveys.models import Response, Survey, SurveyVersion
from palaute.testimonials.naming import Author, author


def new_public_key() -> str:
    # 12 url-safe characters (~72 bits): unguessable, short enough for an embed snippet.
    return secrets.token_urlsafe(9)


def new_token_key() -> str:
    # The random half of an emailed link (128 bits); the other half is an HMAC (tokens.py).
    return secrets.token_urlsafe(16)


class Naming(models.TextChoices):
    """How a consenting person may be named, from the most identifying to the most private
    (the values of a consent question's ``naming``)."""

    FULL_NAME = "full_name", _("Full name")
    FIRST_NAME_INITIAL = "first_name_initial", _("First name and initial")
    COMPANY = "company", _("Company only")
    ANONYMOUS = "anonymous", _("Anonymous")


class Publication(models.Model):
    """An organisation's public testimonial settings: the key in the public URLs, what the
    reviews are about (schema.org ``itemReviewed``), and the cache generation."""

    class SubjectType(models.TextChoices):
        ORGANIZATION = "Organization", _("Organisation")
        LOCAL_BUSINESS = "LocalBusiness", _("Local business")

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="testimonial_publication"
    )
    key = models.CharField(max_length=24, unique=True, default=new_public_key)
    subject_name = models.CharField(
        _("name of what is reviewed"),
        max_length=200,
        blank=True,
        help_text=_(
            "Shown as the reviewed business in search results. Default: the organisation's name."
        ),
    )
    subject_url = models.URLField(_("website"), blank=True)
    subject_type = models.CharField(
        _("kind"), max_length=20, choices=SubjectType.choices, default=SubjectType.ORGANIZATION
    )
    references_intro = models.TextField(_("introduction on the reference page"), blank=True)
    # Bumped (in the same transaction) by every change to what is public: caches are keyed by
    # it, so a withdrawal is never served from a cache (public_cache.py).
    generation = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.organisation} ({self.key})"

    @property
    def subject(self) -> str:
        return self.subject_name or self.organisation.name


class ConsentRecord(models.Model):
    """One person's permission to publish one response, exactly as given."""

    class WithdrawnVia(models.TextChoices):
        LINK = "link", _("The respondent's withdrawal link")
        STAFF = "staff", _("Staff, on the respondent's request")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    response = models.OneToOneField(
        Response, on_delete=models.CASCADE, related_name="testimonial_consent"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(SurveyVersion, on_delete=models.PROTECT, related_name="+")
    version_number = models.PositiveIntegerField(_("survey version"))
    question_key = models.CharField(max_length=60)
    wording = models.TextField(_("wording shown"))
    language = models.CharField(_("language"), max_length=5)
    channel = models.CharField(_("channel"), max_length=20)
    given_at = models.DateTimeField(_("given at"))
    naming = models.CharField(_("naming"), max_length=20, choices=Naming.choices)
    name = models.CharField(_("name to show"), max_length=120, blank=True)
    company = models.CharField(_("company to show"), max_length=200, blank=True)
    # The random half of the withdrawal link (see tokens.py).
    key = models.CharField(max_length=32, unique=True, default=new_token_key)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_via = models.CharField(max_length=10, choices=WithdrawnVia.choices, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_note = models.CharField(_("how the request came"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_at"]
        indexes = [models.Index(fields=["organisation", "-given_at"], name="consent_org_time")]

    def __str__(self) -> str:
        return f"Consent {self.pk} ({self.naming})"

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def shown_as(self) -> Author:
        """The person as their naming choice allows them to be shown."""
        return author(self.naming, self.name, self.company)


class Testimonial(models.Model):
    """A quote that may be published, moving pending → approved → published, or rejected.
    ``withdrawn`` is final: the person took their permission back."""

    __test__ = False  # for pytest: a model, not a test class, despite its name

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="testimonials"
    )
    consent = models.OneToOneField(
        ConsentRecord, on_delete=models.CASCADE, related_name="testimonial"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    # The text that is (or would be) published; ``original_quote`` is the respondent's own.
    quote = models.TextField(_("quote"), blank=True)
    original_quote = models.TextField(blank=True)
    quote_question_key = models.CharField(max_length=60, blank=True)
    language = models.CharField(max_length=5)
    # The response's rating, kept with its scale so that it can be shown and aggregated.
    rating = models.SmallIntegerField(null=True, blank=True)
    rating_worst = models.SmallIntegerField(null=True, blank=True)
    rating_best = models.SmallIntegerField(null=True, blank=True)
    account = models.ForeignKey(
        Account,
        verbose_name=_("customer account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="testimonials",
    )
    submitted_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.CharField(_("reason"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(
                fields=["organisation", "status", "-submitted_at"], name="testimonial_list"
            ),
            models.Index(
                fields=["organisation", "-published_at"],
                condition=Q(status="published"),
                name="testimonial_published",
            ),
        ]

    def __str__(self) -> str:
        return f"Testimonial {self.pk} ({self.status})"


class QuoteProposal(models.Model):
    """An edit to a testimonial's quote that waits for the respondent's confirmation; until
    it is accepted the quote stays as it was."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the respondent")
        ACCEPTED = "accepted", _("Accepted by the respondent")
        DECLINED = "declined", _("Declined by the respondent")
        CANCELLED = "cancelled", _("Replaced or cancelled")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    testimonial = models.ForeignKey(Testimonial, on_delete=models.CASCADE, related_name="proposals")
    text = models.TextField(_("proposed quote"))
    note = models.CharField(_("note to the respondent"), max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    key = models.CharField(max_length=32, unique=True, default=new_token_key)
    sent_to = models.EmailField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["testimonial"],
                condition=Q(status="pending"),
                name="one_pending_proposal",
            )
        ]

    def __str__(self) -> str:
        return f"Proposal {self.pk} ({self.status})"


class ReferenceProfile(models.Model):
    """What the public reference page says about one customer account."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="reference_profile"
    )
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    website = models.URLField(_("website"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Reference profile of {self.account}"
