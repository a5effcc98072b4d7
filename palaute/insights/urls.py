from django.urls import path

from palaute.insights import views

urlpatterns = [
    path("", views.home, name="home"),
    path("touchpoints/<slug:key>/", views.touchpoint_dashboard, name="touchpoint_dashboard"),
    path("surveys/<slug:key>/dashboard/", views.survey_dashboard, name="survey_dashboard"),
]
