"""Public routes of outreach: personal links, unsubscribe, provider webhook."""

from django.urls import path

from palaute.outreach import public_views

urlpatterns = [
    path("i/<str:token>/", public_views.invitation_link, name="invitation_link"),
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("hooks/email-events", public_views.email_events, name="email_events"),
]
