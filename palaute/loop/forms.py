"""Forms of the case pages and the closed-loop settings. Every choice list is built from the
organisation's own rows, so a value from another organisation is "not a valid choice" and the
error names the field."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from palaute.loop import owners
from palaute.loop.models import Case, LoopSettings, NotificationPreference, Rule, Severity
from palaute.loop.rules import SPECS
from palaute.loop.workflow import CLOSED_STATUSES
from palaute.surveys.models import Survey
from palaute.text.names import theme_names

MAX_TARGET_HOURS = 24 * 30


def _member_choices(users, empty_label) -> list[tuple[str, str]]:
    return [("", empty_label)] + [(str(u.pk), owners.display_name(u)) for u in users]


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Case.Status.choices)
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[("", "—"), *Case.Reason.choices], required=False
    )
    note = forms.CharField(
        label=_("Note for the history"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        if data.get("status") in CLOSED_STATUSES and not data.get("reason"):
            self.add_error("reason", _("Choose why the case is closed."))
        return data


class AssignForm(forms.Form):
    owner = forms.ChoiceField(label=_("Owner"), required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = _member_choices(
            owners.assignable_members(organisation), _("Unassigned")
        )

    def owner_id(self) -> int | None:
        value = self.cleaned_data.get("owner")
        return int(value) if value else None


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only your team sees notes; the customer never does."),
    )
    # One key per rendered form: submitting the same form twice adds one note.
    key = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)


class LoopSettingsForm(forms.ModelForm):
    class Meta:
        model = LoopSettings
        fields = [
            "target_hours_high",
            "target_hours_normal",
            "target_hours_low",
            "warn_at_percent",
            "fallback_owner",
            "escalation_manager",
        ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("target_hours_high", "target_hours_normal", "target_hours_low"):
            self.fields[name].min_value = 1
            self.fields[name].max_value = MAX_TARGET_HOURS
            self.fields[name].widget.attrs.update(min=1, max=MAX_TARGET_HOURS)
        percent = self.fields["warn_at_percent"]
        percent.min_value, percent.max_value = 1, 100
        percent.widget.attrs.update(min=1, max=100)
        percent.help_text = _(
            "The owner is reminded once when this share of the target has passed."
        )
        fallback = self.fields["fallback_owner"]
        fallback.queryset = owners.assignable_members(organisation)
        fallback.label_from_instance = owners.display_name
        fallback.empty_label = _("Nobody (cases stay unassigned)")
        fallback.help_text = _("Gets the cases whose touchpoint and account have no owner.")
        manager = self.fields["escalation_manager"]
        manager.queryset = owners.assignable_members(organisation).filter(
            memberships__organisation=organisation,
            memberships__role__in=owners.MANAGING_ROLES,
        )
        manager.label_from_instance = owners.display_name
        manager.empty_label = _("Every manager and owner")
        manager.help_text = _("Hears about missed targets. Empty: every manager and owner.")

    def clean(self):
        data = super().clean()
        for name in ("target_hours_high", "target_hours_normal", "target_hours_low"):
            value = data.get(name)
            if value is not None and not 1 <= value <= MAX_TARGET_HOURS:
                self.add_error(name, _("Give a number of hours from 1 to 720."))
        return data


class RuleForm(forms.ModelForm):
    """One rule. The kind is chosen when the rule is added and fixed afterwards."""

    theme_key = forms.ChoiceField(label=_("Theme"), required=False)

    class Meta:
        model = Rule
        fields = ["kind", "threshold", "severity", "survey", "theme_key", "is_active"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        survey = self.fields["survey"]
        survey.queryset = Survey.objects.filter(organisation=organisation).order_by("name")
        survey.empty_label = _("Every survey")
        names = theme_names(organisation.pk, include_inactive=False)
        self.fields["theme_key"].choices = [("", "—")] + sorted(
            names.items(), key=lambda pair: pair[1].lower()
        )
        kind_field = self.fields["kind"]
        kind_field.choices = [("", _("Choose…"))] + list(Rule.Kind.choices)
        if self.instance.pk:
            kind_field.disabled = True
            kind_field.required = False
            bounds = SPECS[self.instance.kind].bounds
            if bounds is not None:
                threshold = self.fields["threshold"]
                threshold.required = True
                threshold.widget.attrs.update(min=bounds[0], max=bounds[1])

    def clean(self):
        data = super().clean()
        kind = self.instance.kind if self.instance.pk else data.get("kind")
        spec = SPECS.get(kind or "")
        if spec is None:
            return data
        threshold = data.get("threshold")
        if spec.bounds is not None:
            low, high = spec.bounds
            if threshold is None:
                self.add_error("threshold", _("Give the number this rule compares with."))
            elif not low <= threshold <= high:
                self.add_error(
                    "threshold",
                    _("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high},
                )
        else:
            data["threshold"] = None
        if kind == Rule.Kind.NEGATIVE_THEME:
            if not data.get("theme_key"):
                self.add_error("theme_key", _("Choose the theme this rule watches."))
        else:
            data["theme_key"] = ""
        if kind == Rule.Kind.LOW_REVIEW:
            data["survey"] = None
        return data

    def save(self, commit=True):
        rule = super().save(commit=False)
        rule.organisation = self.organisation
        if commit:
            rule.save()
        return rule


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["instant_email", "daily_digest", "digest_hour", "language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hour = self.fields["digest_hour"]
        hour.min_value, hour.max_value = 0, 23
        hour.widget.attrs.update(min=0, max=23)
        hour.help_text = _("The hour (0–23, your organisation's time zone) the digest is sent.")
        self.fields["language"].choices = [("", _("The organisation's language"))] + list(
            settings.LANGUAGES
        )

    def clean_digest_hour(self):
        hour = self.cleaned_data["digest_hour"]
        if not 0 <= hour <= 23:
            raise forms.ValidationError(_("Give an hour from 0 to 23."))
        return hour
