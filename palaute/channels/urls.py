"""Collection channels: kiosk, QR posters, imports and interview notes. Each channel keeps
its own URL module; this one gathers them. (The public submission endpoint and widget,
``collect_urls``, is included first in palaute/urls.py: it is the hot path.)"""

from django.urls import include, path

urlpatterns = [
    path("", include("palaute.channels.kiosk_urls")),
    path("", include("palaute.channels.poster_urls")),
    path("", include("palaute.channels.interview_urls")),
    path("", include("palaute.channels.import_urls")),
]
