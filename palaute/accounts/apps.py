from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "palaute.accounts"
    label = "accounts"
