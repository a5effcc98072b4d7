from django.urls import path

from palaute.journeys import views

urlpatterns = [
    path("journey/", views.journey_edit, name="journey_edit"),
    path("journey/stages/new/", views.stage_create, name="stage_create"),
    path("journey/stages/<int:pk>/edit/", views.stage_update, name="stage_update"),
    path("journey/stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    path("journey/stages/<int:pk>/move/", views.stage_move, name="stage_move"),
    path("journey/touchpoints/new/", views.touchpoint_create, name="touchpoint_create"),
    path("journey/touchpoints/<int:pk>/edit/", views.touchpoint_update, name="touchpoint_update"),
    path("journey/touchpoints/<int:pk>/delete/", views.touchpoint_delete, name="touchpoint_delete"),
]
