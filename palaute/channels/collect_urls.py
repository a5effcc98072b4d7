"""The public submission endpoint (widget, kiosk, QR links, developers' own forms)."""

from django.urls import path

from palaute.channels import collect_views

urlpatterns = [
    path("c/<str:public_key>/survey.json", collect_views.survey_json, name="collect_survey"),
    path("c/<str:public_key>/responses", collect_views.responses, name="collect_responses"),
]
