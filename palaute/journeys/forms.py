"""Forms for editing the journey: stages and touchpoints, scoped to one organisation."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from palaute.journeys.models import Location, Stage, Touchpoint


def unique_key(model, organisation, base: str, max_length: int, exclude_pk=None) -> str:
    """``base`` or ``base-2``, ``base-3``… whichever is free in the organisation."""
    taken = set(
        model.objects.filter(organisation=organisation, key__startswith=base[: max_length - 4])
        .exclude(pk=exclude_pk)
        .values_list("key", flat=True)
    )
    key, n = base[:max_length], 2
    while key in taken:
        suffix = f"-{n}"
        key, n = base[: max_length - len(suffix)] + suffix, n + 1
    return key


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class _KeyedForm(forms.ModelForm):
    """A form whose ``key`` may be left blank and is then made from a name."""

    key_source: tuple[str, ...] = ()

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        self.fields["key"].required = False
        self.fields["key"].help_text = _("Leave blank to make one from the name.")

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        model = self._meta.model
        max_length = model._meta.get_field("key").max_length
        given = cleaned.get("key")
        if given:
            clash = model.objects.filter(organisation=self.organisation, key=given)
            if clash.exclude(pk=self.instance.pk).exists():
                self.add_error("key", _("This key is already in use in your organisation."))
        elif "key" not in self.errors:
            name = next((str(cleaned[f]) for f in self.key_source if cleaned.get(f)), "")
            base = slugify(name)
            if not base:
                if name:
                    self.add_error("key", _("Could not make a key from the name; enter one."))
                return cleaned
            cleaned["key"] = unique_key(
                model, self.organisation, base, max_length, exclude_pk=self.instance.pk
            )
        return cleaned


class StageForm(_KeyedForm):
    key_source = ("name_en", "name_fi")

    class Meta:
        model = Stage
        fields = ["name_fi", "name_en", "key", "description_fi", "description_en"]
        widgets = {
            "description_fi": forms.Textarea(attrs={"rows": 3}),
            "description_en": forms.Textarea(attrs={"rows": 3}),
        }


class TouchpointForm(_KeyedForm):
    key_source = ("name",)

    new_location = forms.CharField(
        label=_("or a new location"),
        max_length=120,
        required=False,
        help_text=_("Type a name to create a location."),
    )

    class Meta:
        model = Touchpoint
        fields = [
            "name",
            "key",
            "stage",
            "channel",
            "kind",
            "location",
            "new_location",
            "owner",
            "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"owner": OwnerChoiceField}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, organisation=organisation, **kwargs)
        # Only this organisation's rows are valid choices; anything else is "not a valid choice".
        fields: dict[str, Any] = self.fields
        fields["stage"].queryset = Stage.objects.filter(organisation=organisation)
        fields["location"].queryset = Location.objects.filter(organisation=organisation)
        fields["owner"].queryset = (
            get_user_model()
            .objects.filter(memberships__organisation=organisation, is_active=True)
            .order_by("first_name", "last_name", "username")
        )
        self.fields["owner"].help_text = _("The named person customers can contact.")
        self.fields["kind"].widget = forms.RadioSelect(choices=Touchpoint.Kind.choices)

    def clean(self):
        cleaned = super().clean()
        new_name = (cleaned.get("new_location") or "").strip()
        if new_name and cleaned.get("location"):
            self.add_error(
                "new_location", _("Choose an existing location or type a new one, not both.")
            )
        return cleaned

    def save(self, commit=True):
        new_name = (self.cleaned_data.get("new_location") or "").strip()
        if new_name:
            location = Location.objects.filter(
                organisation=self.organisation, name__iexact=new_name
            ).first()
            if location is None:
                location = Location.objects.create(organisation=self.organisation, name=new_name)
            self.instance.location = location
        return super().save(commit=commit)
