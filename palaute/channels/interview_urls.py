"""Interview and conversation notes: list, new note, one note."""

from django.urls import path

from palaute.channels import interview_views

urlpatterns = [
    path("notes/", interview_views.note_list, name="note_list"),
    path("notes/new/", interview_views.note_create, name="note_create"),
    path("notes/<int:pk>/", interview_views.note_detail, name="note_detail"),
]
