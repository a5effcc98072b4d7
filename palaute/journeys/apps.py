from django.apps import AppConfig


class JourneysConfig(AppConfig):
    name = "palaute.journeys"
    label = "journeys"
