from django.urls import path

from palaute.surveys import views

urlpatterns = [
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_create, name="survey_create"),
    path("surveys/import/", views.survey_import, name="survey_import"),
    path("surveys/<slug:key>/", views.survey_detail, name="survey_detail"),
    path("surveys/<slug:key>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<slug:key>/export.json", views.survey_export, name="survey_export"),
]
