from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "palaute.outreach"
    label = "outreach"
    verbose_name = _("Contacts and invitations")
    default_auto_field = "django.db.models.BigAutoField"
