"""The customer journey: stages, touchpoints and locations (BRIEF §1)."""

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import Organisation


class Channel(models.TextChoices):
    WEB = "web", _("Web link")
    QR = "qr", _("QR code")
    WIDGET = "widget", _("Website widget")
    KIOSK = "kiosk", _("Kiosk")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    IMPORT = "import", _("Import")
    INTERVIEW = "interview", _("Interview")
    API = "api", _("API")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone")
    SOCIAL = "social", _("Social media and reviews")


class Location(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="locations"
    )
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="unique_location_name")
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="stages")
    key = models.SlugField(_("key"), max_length=40)
    name_fi = models.CharField(_("name (Finnish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120)
    description_fi = models.TextField(_("description (Finnish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="unique_stage_key")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "fi").startswith("en") else self.name_fi

    @property
    def description(self) -> str:
        lang = get_language() or "fi"
        return self.description_en if lang.startswith("en") else self.description_fi


class Touchpoint(models.Model):
    class Kind(models.TextChoices):
        DIRECT = "direct", _("Direct (purchase, use)")
        INDIRECT = "indirect", _("Indirect (ads, news, recommendations, reviews)")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="touchpoints"
    )
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="touchpoints")
    key = models.SlugField(_("key"), max_length=60)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DIRECT)
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("named owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_touchpoints",
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["stage__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="unique_touchpoint_key")
        ]

    def __str__(self) -> str:
        return self.name
