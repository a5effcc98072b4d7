"""Forms of the organisation settings: the organisation itself (with its allowed web
origins), roles and API tokens."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from django import forms
from django.utils.translation import gettext_lazy as _

from palaute.accounts.models import ApiToken, Organisation, Role

MAX_ORIGINS = 50
DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_origin(text: str) -> str:
    """``text`` as a browser writes an Origin header (scheme://host[:port], lower case, no
    default port). Raises ValueError with the reason."""
    if any(ch.isspace() for ch in text):
        raise ValueError(_("must not contain spaces"))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(_("the port must be a number from 1 to 65535")) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.netloc:
        raise ValueError(_("must start with https:// or http://"))
    if parts.username is not None or parts.password is not None:
        raise ValueError(_("must not contain a user name or password"))
    if parts.path not in ("", "/") or parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(_("must not have a path, query or fragment; give scheme://host[:port]"))
    host = _ascii_host((parts.hostname or "").lower())
    if host is None:
        raise ValueError(_("the host name is not valid"))
    if port == 0:
        raise ValueError(_("the port must be a number from 1 to 65535"))
    shown_host = f"[{host}]" if ":" in host else host
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{shown_host}"
    return f"{scheme}://{shown_host}:{port}"


def _ascii_host(host: str) -> str | None:
    """The host as browsers put it in an Origin header (IDNA for international names), or
    None if it is not a host name or IP address."""
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    return ascii_host


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
