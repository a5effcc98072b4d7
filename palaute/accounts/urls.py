from django.contrib.auth import views as auth_views
from django.urls import path

from palaute.accounts import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("org/switch/", views.switch_organisation, name="switch_organisation"),
    path("org/settings/", views.organisation_settings, name="organisation_settings"),
    path("org/settings/tokens/", views.api_tokens, name="api_tokens"),
    path("org/settings/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
