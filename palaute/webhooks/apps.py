from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "palaute.webhooks"
    label = "webhooks"
    verbose_name = _("Webhooks")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from palaute.surveys.signals import response_recorded
        from palaute.webhooks import events, receivers
        from palaute.webhooks.models import Endpoint

        response_recorded.connect(
            receivers.on_response_recorded, dispatch_uid="webhooks.response_created"
        )
        post_save.connect(events.on_endpoint_changed, sender=Endpoint, dispatch_uid="webhooks.seen")
        post_delete.connect(
            events.on_endpoint_changed, sender=Endpoint, dispatch_uid="webhooks.forgotten"
        )
