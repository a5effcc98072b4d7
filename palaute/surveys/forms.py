"""Back-office forms for surveys: create from a starter, edit the JSON definition, import.

Definition errors are kept as a list (``definition_errors``) of ``path: message`` items, as
``palaute.surveys.definition.validate_definition`` reports them.
"""

import json
from typing import Any

from django import forms
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from palaute.journeys.models import Touchpoint
from palaute.surveys.definition import DefinitionError, validate_definition
from palaute.surveys.models import Survey

FORMAT = "palaute.survey/1"
RESERVED_KEYS = {"new", "import"}
MAX_IMPORT_BYTES = 1_000_000


def _t(fi: str, en: str) -> dict[str, str]:
    return {"fi": fi, "en": en}


def _why(show_if: dict | None = None) -> dict[str, Any]:
    question: dict[str, Any] = {
        "key": "why",
        "type": "text",
        "text": _t("Kerro, miksi annoit tämän arvion.", "Tell us why you gave this score."),
    }
    if show_if:
        question["show_if"] = show_if
    return question


STARTERS: dict[str, list[dict[str, Any]]] = {
    "nps": [
        {
            "key": "nps",
            "type": "nps",
            "required": True,
            "text": _t(
                "Kuinka todennäköisesti suosittelisit meitä ystävällesi tai kollegallesi?",
                "How likely are you to recommend us to a friend or colleague?",
            ),
        },
        _why(),
    ],
    "csat": [
        {
            "key": "csat",
            "type": "csat",
            "required": True,
            "text": _t("Kuinka tyytyväinen olit palveluumme?", "How satisfied were you with us?"),
        },
        _why({"question": "csat", "op": "lte", "value": 3}),
    ],
    "ces": [
        {
            "key": "ces",
            "type": "ces",
            "required": True,
            "text": _t(
                "Kuinka vaivatonta asiointi kanssamme oli? (1 = erittäin helppoa)",
                "How easy was it to deal with us? (1 = very easy)",
            ),
        },
        _why({"question": "ces", "op": "gte", "value": 5}),
    ],
    "smiley": [
        {
            "key": "smiley",
            "type": "smiley",
            "required": True,
            "text": _t("Miten onnistuimme tänään?", "How did we do today?"),
        },
        _why({"question": "smiley", "op": "lte", "value": 2}),
    ],
    "blank": [{"key": "comment", "type": "text", "text": _t("Vapaa sana", "Anything else?")}],
}

STARTER_CHOICES = [
    ("nps", _("NPS 0–10 and “why?”")),
    ("csat", _("CSAT 1–5 and “why?”")),
    ("ces", _("CES 1–7 (effort) and “why?”")),
    ("smiley", _("Smiley kiosk (four faces) and “why?”")),
    ("blank", _("Blank: edit the JSON yourself")),
]


def starter_definition(choice: str, name: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "languages": ["fi", "en"],
        "default_language": "fi",
        "title": _t(name, name),
        "thank_you": _t("Kiitos palautteesta!", "Thank you for your feedback!"),
        "questions": STARTERS[choice],
    }


def parse_definition(text: str) -> tuple[Any, list[DefinitionError]]:
    """JSON text → (validated definition data, errors)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return None, [DefinitionError("", f"not valid JSON ({where}): {exc.msg}")]
    parsed, errors = validate_definition(data)
    if parsed is None:
        return None, errors
    return data, []


def canonical(data: Any) -> dict:
    """A definition as it is stored, to tell whether an edit changed anything."""
    parsed, _errors = validate_definition(data)
    return parsed.model_dump(mode="json", exclude_defaults=True) if parsed else {}


class _SurveyForm(forms.ModelForm):
    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.instance.organisation = organisation
        field: Any = self.fields["touchpoint"]
        field.queryset = Touchpoint.objects.filter(organisation=organisation).select_related(
            "stage"
        )
        field.label_from_instance = lambda tp: f"{tp.stage.name} › {tp.name}"


class SurveyCreateForm(_SurveyForm):
    starter = forms.ChoiceField(
        label=_("starting template"), choices=STARTER_CHOICES, widget=forms.RadioSelect
    )

    class Meta:
        model = Survey
        fields = ["name", "key", "touchpoint"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].required = False
        self.fields["key"].help_text = _(
            "Used in addresses and exports. Leave blank to make one from the name."
        )
        self.fields["starter"].initial = "nps"

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if "key" in self.errors:
            return cleaned
        key = cleaned.get("key") or slugify(cleaned.get("name") or "")[:60]
        if not key:
            if cleaned.get("name"):
                self.add_error("key", _("Could not make a key from the name; enter one."))
            return cleaned
        if key in RESERVED_KEYS:
            self.add_error("key", _("This key is reserved; choose another."))
        elif Survey.objects.filter(organisation=self.organisation, key=key).exists():
            self.add_error("key", _("A survey with this key already exists."))
        cleaned["key"] = key
        return cleaned

    def definition(self) -> dict[str, Any]:
        return starter_definition(self.cleaned_data["starter"], self.cleaned_data["name"])


class SurveyEditForm(_SurveyForm):
    definition = forms.CharField(
        label=_("definition (JSON)"),
        widget=forms.Textarea(attrs={"class": "code", "spellcheck": "false", "rows": 28}),
        help_text=_("The questions as JSON; see the survey format documentation."),
    )

    class Meta:
        model = Survey
        fields = ["name", "touchpoint", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.definition_errors: list[DefinitionError] = []
        self.definition_data: Any = None

    def clean_definition(self):
        data, errors = parse_definition(self.cleaned_data["definition"])
        if errors:
            self.definition_errors = errors
            raise forms.ValidationError(
                _("The definition has %(count)d error(s); see the list above."),
                params={"count": len(errors)},
            )
        self.definition_data = data
        return self.cleaned_data["definition"]


class SurveyImportForm(forms.Form):
    file = forms.FileField(label=_("definition file (.json)"))
    key = forms.SlugField(
        label=_("key"),
        max_length=60,
        help_text=_("An existing survey's key gets a new version; a new key creates a survey."),
    )
    name = forms.CharField(label=_("name"), max_length=200)
    touchpoint = forms.ModelChoiceField(
        label=_("touchpoint"), queryset=Touchpoint.objects.none(), required=False
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.definition_errors: list[DefinitionError] = []
        self.definition_data: Any = None
        field: Any = self.fields["touchpoint"]
        field.queryset = Touchpoint.objects.filter(organisation=organisation).select_related(
            "stage"
        )
        field.label_from_instance = lambda tp: f"{tp.stage.name} › {tp.name}"

    def clean_key(self):
        key = self.cleaned_data["key"]
        if key in RESERVED_KEYS:
            raise forms.ValidationError(_("This key is reserved; choose another."))
        return key

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        data, errors = parse_definition(text)
        if errors:
            self.definition_errors = errors
            raise forms.ValidationError(
                _("The definition has %(count)d error(s); see the list above."),
                params={"count": len(errors)},
            )
        self.definition_data = data
        return upload
