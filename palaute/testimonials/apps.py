from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestimonialsConfig(AppConfig):
    name = "palaute.testimonials"
    label = "testimonials"
    verbose_name = _("Testimonials and references")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from palaute.surveys.signals import response_recorded
        from palaute.testimonials.consent import on_response_recorded
        from palaute.testimonials.models import Testimonial
        from palaute.testimonials.publication import testimonial_deleted

        response_recorded.connect(on_response_recorded, dispatch_uid="testimonials.consent")
        post_delete.connect(
            testimonial_deleted, sender=Testimonial, dispatch_uid="testimonials.deleted"
        )
