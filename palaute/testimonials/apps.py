from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestimonialsConfig(AppConfig):
    name = "palaute.testimonials"
    label = "testimonials"
    verbose_name = _("Testimonials and references")
    default_auto_field = "django.db.models.BigAutoField"
