from django.urls import path

from palaute.webhooks import views

PREFIX = "org/settings/webhooks/"

urlpatterns = [
    path(PREFIX, views.webhook_list, name="webhook_list"),
    path(f"{PREFIX}new/", views.webhook_create, name="webhook_create"),
    path(f"{PREFIX}<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path(f"{PREFIX}<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path(f"{PREFIX}<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path(f"{PREFIX}<int:pk>/rotate/", views.webhook_rotate, name="webhook_rotate"),
    path(f"{PREFIX}<int:pk>/active/", views.webhook_toggle, name="webhook_toggle"),
    path(f"{PREFIX}<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path(
        f"{PREFIX}<int:pk>/deliveries/<int:delivery_pk>/",
        views.webhook_delivery,
        name="webhook_delivery",
    ),
    path(
        f"{PREFIX}<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
