from django.apps import AppConfig


class TextConfig(AppConfig):
    name = "palaute.text"
    label = "text"
    verbose_name = "Text analytics"
