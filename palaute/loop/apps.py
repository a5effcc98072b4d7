from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoopConfig(AppConfig):
    name = "palaute.loop"
    label = "loop"
    verbose_name = _("Closed loop")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from palaute.loop import recovery, triggers
        from palaute.surveys.signals import response_recorded

        response_recorded.connect(triggers.on_response_recorded, dispatch_uid="loop.rules")
        # The recovery survey's answer is put on its case (sending is in workflow.set_status).
        response_recorded.connect(
            recovery.on_response_recorded, dispatch_uid="loop.recovery_answer"
        )
