"""Back-office routes: contacts, accounts, segments, templates, settings, invitations."""

from django.urls import path

from palaute.outreach import views

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
]
