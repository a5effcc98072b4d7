from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoopConfig(AppConfig):
    name = "palaute.loop"
    label = "loop"
    verbose_name = _("Closed loop")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from palaute.loop import recovery, triggers
        from palaute.loop.models import CaseEvent
        from palaute.surveys.signals import response_recorded

        response_recorded.connect(triggers.on_response_recorded, dispatch_uid="loop.rules")
        # Recovery survey: sent when a case is resolved, its answer put on the case.
        post_save.connect(recovery.on_case_event, sender=CaseEvent, dispatch_uid="loop.recovery")
        response_recorded.connect(
            recovery.on_response_recorded, dispatch_uid="loop.recovery_answer"
        )
