from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "palaute.api"
    label = "api"
