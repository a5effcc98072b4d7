"""Importing historical responses into a survey (back office)."""

from django.urls import path

from palaute.channels import import_views as views

PREFIX = "surveys/<slug:key>/responses/import/"

urlpatterns = [
    path(PREFIX, views.response_import, name="response_import"),
    path(f"{PREFIX}batches/<int:batch_id>/", views.import_batch, name="import_batch"),
    path(
        f"{PREFIX}batches/<int:batch_id>/undo/", views.import_batch_undo, name="import_batch_undo"
    ),
    path(f"{PREFIX}<slug:token>/", views.response_import_map, name="response_import_map"),
    path(f"{PREFIX}<slug:token>/run/", views.response_import_run, name="response_import_run"),
    path(
        f"{PREFIX}<slug:token>/problems.csv",
        views.response_import_problems,
        name="response_import_problems",
    ),
]
