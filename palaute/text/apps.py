from django.apps import AppConfig


class TextConfig(AppConfig):
    name = "palaute.text"
    label = "text"
    verbose_name = "Text analytics"

    def ready(self) -> None:
        from palaute.surveys.signals import response_recorded
        from palaute.text import hooks

        response_recorded.connect(hooks.on_response_recorded, dispatch_uid="text.analyse")
