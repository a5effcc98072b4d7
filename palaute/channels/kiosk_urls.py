"""Kiosk URLs: the public page under /k/ (its service worker at /k/sw.js so that the worker's
scope covers every kiosk) and the back-office page of a survey's kiosks."""

from django.urls import path

from palaute.channels import kiosk_views

urlpatterns = [
    path("k/sw.js", kiosk_views.service_worker, name="kiosk_sw"),
    path("k/<str:public_key>/", kiosk_views.kiosk_page, name="kiosk_page"),
    path(
        "k/<str:public_key>/manifest.webmanifest",
        kiosk_views.kiosk_manifest,
        name="kiosk_manifest",
    ),
    path("k/<str:public_key>/taps", kiosk_views.kiosk_taps, name="kiosk_taps"),
    path("surveys/<slug:key>/kiosk/", kiosk_views.kiosk_admin, name="survey_kiosk"),
    path(
        "surveys/<slug:key>/kiosk/unflag/",
        kiosk_views.kiosk_unflag,
        name="survey_kiosk_unflag",
    ),
]
