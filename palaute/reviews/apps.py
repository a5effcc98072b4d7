from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "palaute.reviews"
    label = "reviews"
    verbose_name = _("Public reviews")
    default_auto_field = "django.db.models.BigAutoField"
