from django.urls import include, path

from palaute.loop import views

urlpatterns: list = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/settings/", views.case_settings, name="case_settings"),
    path("cases/settings/rules/new/", views.case_rule_create, name="case_rule_create"),
    path("cases/settings/rules/<int:pk>/", views.case_rule_update, name="case_rule_update"),
    path("cases/settings/rules/<int:pk>/delete/", views.case_rule_delete, name="case_rule_delete"),
    path("cases/notifications/", views.case_notifications, name="case_notifications"),
    path("cases/<int:number>/", views.case_detail, name="case_detail"),
    path("cases/<int:number>/status/", views.case_status, name="case_status"),
    path("cases/<int:number>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:number>/severity/", views.case_severity, name="case_severity"),
    path("cases/<int:number>/note/", views.case_note, name="case_note"),
    path("", include("palaute.loop.acting_urls")),
]
