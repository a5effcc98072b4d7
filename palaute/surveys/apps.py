from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "palaute.surveys"
    label = "surveys"
