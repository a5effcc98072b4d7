"""Forms of the response import screens: the upload, and the mapping of columns."""

from __future__ import annotations

from django import forms
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from palaute.channels import import_mapping
from palaute.surveys.definition import SurveyDefinition


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV or Excel file"),
        help_text=gettext_lazy(
            "The first row names the columns. CSV: UTF-8, separated by commas or semicolons. "
            "Excel: .xlsx."
        ),
    )


class MappingForm(forms.Form):
    """One select per column of the file (``col_0``, ``col_1`` …); ``mapping`` is the list of
    targets once valid."""

    def __init__(
        self,
        data=None,
        *,
        headers: list[str],
        definition: SurveyDefinition,
        language: str,
        initial_mapping: list[str],
    ):
        super().__init__(data)
        self.headers = headers
        self.definition = definition
        choices = [
            (target.value, target.label)
            for target in import_mapping.targets(definition, definition.language_for(language))
        ]
        for index, header in enumerate(headers):
            initial = initial_mapping[index] if index < len(initial_mapping) else "ignore"
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header, choices=choices, initial=initial
            )
        self.mapping: list[str] = []

    def clean(self):
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        mapping = [cleaned[f"col_{index}"] for index in range(len(self.headers))]
        for error in import_mapping.check(mapping, self.headers, self.definition):
            self.add_error(None, error)
        self.mapping = mapping
        return cleaned

    def rows(self, samples: list[list[str]]):
        """(header, sample values, bound field) per column, for the mapping table."""
        for index, header in enumerate(self.headers):
            yield header, samples[index] if index < len(samples) else [], self[f"col_{index}"]


class SheetForm(forms.Form):
    sheet = forms.ChoiceField(label=gettext_lazy("Sheet"))

    def __init__(self, *args, sheets: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["sheet"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(name, name) for name in sheets]


def too_big_message(limit: int) -> str:
    return _("The file is larger than %(size)s. Split it, or use the import command.") % {
        "size": filesizeformat(limit)
    }
