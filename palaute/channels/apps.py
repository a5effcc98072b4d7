from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "palaute.channels"
    label = "channels"
    verbose_name = "Collection channels"
