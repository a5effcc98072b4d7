"""Forms of the webhook settings: an endpoint, and a secret rotation."""

from __future__ import annotations

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from palaute.webhooks import conf, event_types
from palaute.webhooks.addresses import AddressRefused, check_url
from palaute.webhooks.models import Endpoint

MAX_ENDPOINTS = 20


class EndpointForm(forms.Form):
    name = forms.CharField(
        label=_("name"),
        max_length=100,
        help_text=_("What receives the events, e.g. “Helpdesk” or “#feedback on Slack”."),
    )
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        widget=forms.URLInput(attrs={"spellcheck": "false", "autocapitalize": "none"}),
        help_text=_(
            "Where Palaute sends the events with an HTTPS POST. For Slack, paste the incoming "
            "webhook URL (https://hooks.slack.com/services/…)."
        ),
    )
    kind = forms.ChoiceField(
        label=_("format"),
        choices=Endpoint.Kind.choices,
        initial=Endpoint.Kind.GENERIC,
        widget=forms.RadioSelect,
        help_text=_(
            "Signed JSON for your own systems; a chat message for Slack, Mattermost, "
            "Rocket.Chat or other Slack-compatible incoming webhooks."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=event_types.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event.")},
    )

    def __init__(self, *args, organisation, endpoint: Endpoint | None = None, **kwargs):
        if endpoint is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": endpoint.name,
                    "url": endpoint.url,
                    "kind": endpoint.kind,
                    "events": endpoint.events,
                },
            )
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.endpoint = endpoint

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        others = Endpoint.objects.filter(organisation=self.organisation, name=name)
        if self.endpoint is not None:
            others = others.exclude(pk=self.endpoint.pk)
        if others.exists():
            raise forms.ValidationError(_("Another webhook already has this name."))
        return name

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            URLValidator(schemes=["http", "https"])(url)
        except forms.ValidationError:
            raise forms.ValidationError(_("Enter a valid URL.")) from None
        try:
            check_url(url)
        except AddressRefused as refused:
            raise forms.ValidationError(refused.message) from None
        return url

    def clean_events(self) -> list[str]:
        chosen = self.cleaned_data["events"]
        # In the catalogue's order, whatever order the browser sent them in.
        return [name for name in event_types.EVENT_TYPES if name in chosen]

    def clean(self):
        cleaned = super().clean()
        if self.endpoint is None:
            count = Endpoint.objects.filter(organisation=self.organisation).count()
            if count >= MAX_ENDPOINTS:
                raise forms.ValidationError(
                    _("An organisation can have at most %(max)d webhooks."),
                    params={"max": MAX_ENDPOINTS},
                )
        return cleaned


class RotateForm(forms.Form):
    immediately = forms.BooleanField(
        label=_("Stop the old secret at once (it has leaked)"),
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = int(conf.secret_grace().total_seconds() // 3600)
        self.fields["immediately"].help_text = ngettext(
            "Otherwise the old secret keeps signing beside the new one for %(hours)d hour, so "
            "that the receiver can be updated without losing events.",
            "Otherwise the old secret keeps signing beside the new one for %(hours)d hours, so "
            "that the receiver can be updated without losing events.",
            hours,
        ) % {"hours": hours}
