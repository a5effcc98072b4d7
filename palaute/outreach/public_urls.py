"""Public routes of outreach: personal links, unsubscribe, provider webhooks, event webhook."""

from django.urls import path

from palaute.outreach import public_views

urlpatterns = [
    path("i/<str:token>/", public_views.invitation_link, name="invitation_link"),
    path("u/<str:token>/", public_views.unsubscribe, name="unsubscribe"),
    path("hooks/email-events", public_views.email_events, name="email_events"),
    path("hooks/sms/status", public_views.sms_status, name="sms_status"),
    path("hooks/sms/inbound", public_views.sms_inbound, name="sms_inbound"),
    path("hooks/events/<slug:slug>", public_views.event_webhook, name="event_webhook"),
]
