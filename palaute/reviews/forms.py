"""Forms of the review pages. Secrets are write-only: a stored token is never sent back to the
browser, and an empty secret field keeps what is stored."""

from __future__ import annotations

import re
from typing import cast

from django import forms
from django.utils.translation import gettext_lazy as _

from palaute.journeys.models import Touchpoint
from palaute.reviews.models import LocationMapping, ReviewSource, SourceKind
from palaute.reviews.replies import MAX_LENGTH

GOOGLE_LOCATION = re.compile(r"^accounts/[0-9A-Za-z_-]+/locations/[0-9A-Za-z_-]+$")
SECRET_HELP = _("Stored encrypted. Leave empty to keep the stored value.")


class SecretInput(forms.PasswordInput):
    def __init__(self):
        super().__init__(render_value=False, attrs={"autocomplete": "off"})


class SourceForm(forms.ModelForm):
    """A Google or Facebook source. ``kind`` is fixed by the page it was opened from."""

    client_secret = forms.CharField(
        label=_("OAuth client secret"), required=False, widget=SecretInput(), help_text=SECRET_HELP
    )
    access_token = forms.CharField(
        label=_("Access token"), required=False, widget=SecretInput(), help_text=SECRET_HELP
    )
    refresh_token = forms.CharField(
        label=_("Refresh token"), required=False, widget=SecretInput(), help_text=SECRET_HELP
    )
    base_url = forms.URLField(
        label=_("API base URL"),
        required=False,
        assume_scheme="https",
        help_text=_("Leave empty for the public API; set it for a proxy or a test server."),
    )
    token_url = forms.URLField(
        label=_("OAuth token URL"),
        required=False,
        assume_scheme="https",
        help_text=_("Leave empty for Google's token endpoint."),
    )

    class Meta:
        model = ReviewSource
        fields = [
            "name",
            "touchpoint",
            "is_active",
            "google_location",
            "facebook_page_id",
            "client_id",
            "base_url",
            "token_url",
        ]
        help_texts = {
            "google_location": _("From the Business Profile API: accounts/…/locations/…"),
            "facebook_page_id": _("The numeric ID on the Page's About → Page transparency."),
        }

    def __init__(self, *args, organisation, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.organisation = organisation
        self.instance.kind = kind
        touchpoints = cast(forms.ModelChoiceField, self.fields["touchpoint"])
        touchpoints.queryset = Touchpoint.objects.filter(organisation=organisation).select_related(
            "stage"
        )
        self.fields["touchpoint"].required = False
        if kind == SourceKind.GOOGLE:
            del self.fields["facebook_page_id"]
            self.fields["google_location"].required = True
        else:
            for name in (
                "google_location",
                "client_id",
                "token_url",
                "client_secret",
                "refresh_token",
            ):
                del self.fields[name]
            self.fields["facebook_page_id"].required = True
            self.fields["access_token"].label = _("Page access token")

    def clean_google_location(self) -> str:
        value = self.cleaned_data["google_location"].strip().strip("/")
        if not GOOGLE_LOCATION.match(value):
            raise forms.ValidationError(_("Write it as accounts/<account id>/locations/<id>."))
        return value

    def clean_facebook_page_id(self) -> str:
        value = self.cleaned_data["facebook_page_id"].strip()
        if not value.isdigit():
            raise forms.ValidationError(_("A Page ID is a number."))
        return value

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        taken = ReviewSource.objects.filter(
            organisation=self.instance.organisation, kind=self.instance.kind, name__iexact=name
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another source of this kind has this name."))
        return name

    def save(self, commit: bool = True) -> ReviewSource:
        source = super().save(commit=False)
        for name in ("client_secret", "access_token", "refresh_token"):
            value = self.cleaned_data.get(name, "").strip()
            if value:
                setattr(source, name, value)
                if name == "access_token":
                    source.access_token_expires_at = None
        if commit:
            source.save()
        return source


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (comma, semicolon or tab) or JSON, UTF-8, up to 10 MB.")
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your public reply"),
        max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 7}),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class ElsewhereForm(forms.Form):
    body = forms.CharField(
        label=_("What was replied (optional)"),
        required=False,
        max_length=MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    replied_on = forms.DateTimeField(
        label=_("Replied at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for now."),
    )
    key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class MappingForm(forms.ModelForm):
    class Meta:
        model = LocationMapping
        fields = ["external_location", "touchpoint"]

    def __init__(self, *args, source: ReviewSource, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.source = source
        touchpoints = cast(forms.ModelChoiceField, self.fields["touchpoint"])
        touchpoints.queryset = Touchpoint.objects.filter(
            organisation=source.organisation
        ).select_related("stage")

    def clean_external_location(self) -> str:
        value = self.cleaned_data["external_location"].strip()
        taken = LocationMapping.objects.filter(
            source=self.instance.source, external_location__iexact=value
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(_("This location is already mapped."))
        return value
