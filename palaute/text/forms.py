"""Forms of the theme pages: an organisation's own theme, and one tagging action."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from palaute.text.lexicon import THEME_KEYS
from palaute.text.models import Sentiment, Theme

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
MAX_KEYWORDS = 200
MAX_KEYWORD_LENGTH = 60
MAX_EXAMPLES = 500
MAX_EXAMPLE_LENGTH = 1000


def _lines(value: str) -> list[str]:
    seen: dict[str, None] = {}
    for line in value.splitlines():
        line = " ".join(line.split())
        if line:
            seen.setdefault(line, None)
    return list(seen)


class ThemeForm(forms.ModelForm):
    keywords_text = forms.CharField(
        label=_("Keywords"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One word or two-word phrase a line, in any inflection: pysäköinti, parkkipaikka, "
            "car park."
        ),
    )
    examples_text = forms.CharField(
        label=_("Example comments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "One comment a line that is about this theme. Examples teach the model to find the "
            "theme without the keywords."
        ),
    )

    class Meta:
        model = Theme
        fields = ["key", "name_fi", "name_en", "is_active"]
        help_texts = {"key": _("Lower-case letters, digits and hyphens; cannot be changed later.")}

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        if self.instance.pk:
            self.fields["key"].disabled = True
            self.fields["keywords_text"].initial = "\n".join(self.instance.keywords)
            self.fields["examples_text"].initial = "\n".join(self.instance.example_comments)

    def clean_key(self):
        key = self.cleaned_data["key"]
        if self.instance.pk:
            return self.instance.key
        key = key.lower()
        if not KEY_RE.match(key):
            raise forms.ValidationError(
                _("Start with a letter or digit; use lower-case letters, digits, - and _.")
            )
        if key in THEME_KEYS:
            raise forms.ValidationError(_("A built-in theme already has this key."))
        if Theme.objects.filter(organisation=self.organisation, key=key).exists():
            raise forms.ValidationError(_("You already have a theme with this key."))
        return key

    def clean_keywords_text(self):
        keywords = _lines(self.cleaned_data["keywords_text"])
        if len(keywords) > MAX_KEYWORDS:
            raise forms.ValidationError(_("At most %(n)s keywords.") % {"n": MAX_KEYWORDS})
        for keyword in keywords:
            if len(keyword) > MAX_KEYWORD_LENGTH or len(keyword.split()) > 2:
                raise forms.ValidationError(
                    _("“%(k)s”: a keyword is one word or two, at most 60 characters.")
                    % {"k": keyword[:80]}
                )
        return [k.lower() for k in keywords]

    def clean_examples_text(self):
        examples = _lines(self.cleaned_data["examples_text"])
        if len(examples) > MAX_EXAMPLES:
            raise forms.ValidationError(_("At most %(n)s examples.") % {"n": MAX_EXAMPLES})
        if any(len(e) > MAX_EXAMPLE_LENGTH for e in examples):
            raise forms.ValidationError(_("An example is at most 1,000 characters."))
        return examples

    def save(self, commit: bool = True) -> Theme:
        theme = super().save(commit=False)
        theme.organisation = self.organisation
        theme.keywords = self.cleaned_data["keywords_text"]
        theme.example_comments = self.cleaned_data["examples_text"]
        if commit:
            theme.save()
        return theme


ACTIONS = ("add", "remove", "sentiment")


class LabelForm(forms.Form):
    """One tagging click: add or remove a theme, or set the comment's sentiment."""

    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    theme = forms.CharField(required=False, max_length=60)
    sentiment = forms.ChoiceField(required=False, choices=[("", "")] + list(Sentiment.choices))

    def clean(self):
        data = super().clean() or {}
        action = data.get("action")
        if action in ("add", "remove") and not data.get("theme"):
            self.add_error("theme", _("Choose a theme."))
        if action == "sentiment" and not data.get("sentiment"):
            self.add_error("sentiment", _("Choose a sentiment."))
        return data
