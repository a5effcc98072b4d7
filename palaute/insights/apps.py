from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "palaute.insights"
    label = "insights"
