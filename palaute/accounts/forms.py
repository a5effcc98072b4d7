"""Forms of the organisation settings: the organisation itself (with its allowed web
origins), roles and API tokens."""

from __future__ import annotations

from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import ApiToken, Organisation, Role
from palaute.lib.origins import normalise_origin

MAX_ORIGINS = 50


def parse_origins(text: str) -> list[str]:
    """One origin per line (blank lines ignored, duplicates dropped). Raises
    ValidationError naming every bad line."""
    origins: list[str] = []
    errors: list[forms.ValidationError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            origin = normalise_origin(line)
        except ValueError as exc:
            errors.append(
                forms.ValidationError(
                    _("Line %(number)d (%(line)s): %(problem)s."),
                    params={"number": number, "line": line[:80], "problem": exc.args[0]},
                )
            )
            continue
        if origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ORIGINS:
        errors.append(
            forms.ValidationError(
                _("At most %(max)d origins."), params={"max": MAX_ORIGINS}, code="too_many"
            )
        )
    if errors:
        raise forms.ValidationError(errors)
    return origins


class OriginsField(forms.CharField):
    """Edits a list of origins as text, one per line."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocapitalize": "none"})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        return parse_origins(super().to_python(value) or "")

    def validate(self, value):
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("name"),
        max_length=100,
        help_text=_("What uses the token, e.g. “Booking system”."),
    )
    scope = forms.ChoiceField(
        label=_("scope"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=_("Read tokens can only fetch data; write tokens can also change it."),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name


class OrganisationForm(forms.ModelForm):
    allowed_origins = OriginsField(
        label=_("allowed web origins"),
        required=False,
        help_text=_(
            "Websites that may show the feedback widget, one per line, e.g. "
            "https://www.example.fi. Leave empty to allow only Palaute's own pages."
        ),
    )

    class Meta:
        model = Organisation
        fields = ["name", "default_language", "time_zone", "allowed_origins"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name

    def clean_time_zone(self):
        zone = self.cleaned_data["time_zone"].strip()
        if zone not in available_timezones():
            raise forms.ValidationError(_("Unknown time zone; use a name such as Europe/Helsinki."))
        return zone


class RoleForm(forms.Form):
    membership = forms.IntegerField(widget=forms.HiddenInput)
    role = forms.ChoiceField(label=_("role"), choices=Role.choices)
