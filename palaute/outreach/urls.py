"""Back-office routes: contacts, accounts, segments, templates, settings, invitations, and
automation (SMS templates, trigger rules, events, schedules)."""

from django.urls import path

from palaute.outreach import automation_views, batch_views, sms_views, views

urlpatterns = [
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_create, name="contact_create"),
    path("contacts/import/", views.contact_import, name="contact_import"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/consent/", views.contact_consent, name="contact_consent"),
    path(
        "contacts/<int:pk>/clear-bounce/", views.contact_clear_bounce, name="contact_clear_bounce"
    ),
    path("contacts/<int:pk>/delete/", views.contact_delete, name="contact_delete"),
    path("contacts/accounts/", views.account_list, name="account_list"),
    path("contacts/accounts/new/", views.account_create, name="account_create"),
    path("contacts/accounts/<int:pk>/", views.account_detail, name="account_detail"),
    path("contacts/segments/", views.segment_list, name="segment_list"),
    path("contacts/segments/new/", views.segment_edit, name="segment_create"),
    path("contacts/segments/<int:pk>/", views.segment_edit, name="segment_edit"),
    path("contacts/segments/<int:pk>/delete/", views.segment_delete, name="segment_delete"),
    path("contacts/emails/", views.template_list, name="template_list"),
    path("contacts/emails/<str:kind>/<str:language>/", views.template_edit, name="template_edit"),
    path("contacts/sending/", views.sending_settings, name="sending_settings"),
    path("surveys/<slug:key>/invitations/", views.survey_invitations, name="survey_invitations"),
    path("surveys/<slug:key>/invitations/send/", views.survey_send, name="survey_send"),
    path(
        "surveys/<slug:key>/invitations/sends/<int:pk>/",
        batch_views.send_batch,
        name="send_batch",
    ),
    path("contacts/sms/", sms_views.sms_template_list, name="sms_template_list"),
    path("contacts/sms/count/", sms_views.sms_count, name="sms_count"),
    path(
        "contacts/sms/<str:kind>/<str:language>/",
        sms_views.sms_template_edit,
        name="sms_template_edit",
    ),
    path("contacts/rules/", automation_views.rule_list, name="rule_list"),
    path("contacts/rules/new/", automation_views.rule_edit, name="rule_create"),
    path("contacts/rules/<int:pk>/", automation_views.rule_edit, name="rule_edit"),
    path("contacts/rules/<int:pk>/delete/", automation_views.rule_delete, name="rule_delete"),
    path("contacts/events/", automation_views.event_list, name="event_list"),
    path("contacts/events/import/", automation_views.event_import, name="event_import"),
    path(
        "contacts/events/imports/<int:pk>/",
        batch_views.event_import,
        name="event_import_detail",
    ),
    path(
        "contacts/events/webhook/",
        automation_views.event_webhook_settings,
        name="event_webhook_settings",
    ),
    path("contacts/events/<int:pk>/", automation_views.event_detail, name="event_detail"),
    path("contacts/schedules/", automation_views.schedule_list, name="schedule_list"),
    path("contacts/schedules/new/", automation_views.schedule_edit, name="schedule_create"),
    path("contacts/schedules/<int:pk>/", automation_views.schedule_detail, name="schedule_detail"),
    path("contacts/schedules/<int:pk>/edit/", automation_views.schedule_edit, name="schedule_edit"),
    path(
        "contacts/schedules/<int:pk>/round/",
        automation_views.schedule_round,
        name="schedule_round",
    ),
    path(
        "contacts/schedules/<int:pk>/delete/",
        automation_views.schedule_delete,
        name="schedule_delete",
    ),
]
