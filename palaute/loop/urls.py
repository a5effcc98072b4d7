from django.urls import include, path

urlpatterns: list = [
    path("", include("palaute.loop.acting_urls")),
]
