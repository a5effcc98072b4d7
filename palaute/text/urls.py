from django.urls import path

from palaute.text import views

urlpatterns = [
    path("comments/", views.comments, name="text_comments"),
    path("comments/<int:answer_id>/label/", views.label, name="text_label"),
    path("themes/", views.themes, name="text_themes"),
    path("themes/teach/", views.teach, name="text_teach"),
    path("themes/queue/", views.queue, name="text_queue"),
    path("themes/retrain/", views.retrain, name="text_retrain"),
    path("themes/new/", views.theme_create, name="text_theme_create"),
    path("themes/<slug:key>/edit/", views.theme_edit, name="text_theme_edit"),
    path("surveys/<slug:key>/drivers/", views.survey_drivers, name="survey_drivers"),
]
