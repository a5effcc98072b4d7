"""Forms for interview notes: the note itself, and the list's filters.

Times are entered and shown in the organisation's time zone: the views activate it around
the form, so Django reads the ``datetime-local`` value in that zone.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from palaute.channels.interviews import MAX_CONTACT_NAME, NOTE_LANGUAGES, PERIODS
from palaute.journeys.models import Touchpoint
from palaute.surveys.definition import MAX_ANSWER_TEXT
from palaute.surveys.submission import PHONE_RE

IDEMPOTENCY_RE = re.compile(r"^[0-9a-f]{32}$")
# A note may be written a moment "ahead" of the server clock (a phone's clock, typing a round
# minute); anything later is a typo.
FUTURE_SLACK = timedelta(minutes=2)
EARLIEST = datetime(2000, 1, 1)
LANGUAGE_NAMES = {"fi": "Suomi", "en": "English"}
DATETIME_INPUT = "%Y-%m-%dT%H:%M"

SCORE_ENDS = {
    "nps": (_("Not at all likely"), _("Extremely likely")),
    "csat": (_("Very dissatisfied"), _("Very satisfied")),
    "ces": (_("Very easy"), _("Very difficult")),
}


def _score_field(kind: str, low: int, high: int, label) -> forms.IntegerField:
    lowest, highest = SCORE_ENDS[kind]
    choices: list[tuple[object, object]] = [("", _("Not asked"))]
    for number in range(low, high + 1):
        end = lowest if number == low else highest if number == high else None
        choices.append((number, f"{number} – {end}" if end else str(number)))
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=low,
        max_value=high,
        widget=forms.Select(choices=choices),
    )


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class NoteForm(forms.Form):
    touchpoint = forms.ModelChoiceField(
        label=_("Touchpoint"),
        queryset=Touchpoint.objects.none(),
        help_text=_("Where or when the conversation happened on the customer journey."),
    )
    when = forms.DateTimeField(
        label=_("When"),
        input_formats=[DATETIME_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT),
    )
    interviewer = forms.ModelChoiceField(
        label=_("Interviewer"), queryset=get_user_model().objects.none()
    )
    language = forms.ChoiceField(
        label=_("Language of the notes"),
        choices=[(code, LANGUAGE_NAMES[code]) for code in NOTE_LANGUAGES],
        widget=forms.RadioSelect,
    )
    name = forms.CharField(label=_("Name"), max_length=MAX_CONTACT_NAME, required=False)
    company = forms.CharField(label=_("Company"), max_length=MAX_CONTACT_NAME, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        validators=[RegexValidator(PHONE_RE, _("Enter a valid phone number."))],
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=MAX_ANSWER_TEXT,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_("What the customer said, in their words where you can, and why."),
    )
    nps = _score_field("nps", 0, 10, _("NPS: how likely to recommend us (0–10)"))
    csat = _score_field("csat", 1, 5, _("CSAT: how satisfied (1–5)"))
    ces = _score_field("ces", 1, 7, _("CES: how much effort (1–7)"))
    idem = forms.CharField(widget=forms.HiddenInput, required=False)

    who_fields = ("name", "company", "email", "phone")
    score_fields = ("nps", "csat", "ces")

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        fields: dict[str, Any] = self.fields
        # Only this organisation's rows are valid choices; anything else is "not a valid choice".
        fields["touchpoint"].queryset = Touchpoint.objects.filter(
            organisation=organisation
        ).select_related("stage")
        fields["interviewer"].queryset = (
            get_user_model()
            .objects.filter(memberships__organisation=organisation, is_active=True)
            .order_by("first_name", "last_name", "username")
        )
        fields["interviewer"].label_from_instance = lambda user: (
            user.get_full_name() or user.get_username()
        )

    def clean_when(self):
        when = self.cleaned_data["when"]
        if when > timezone.now() + FUTURE_SLACK:
            raise forms.ValidationError(_("The time cannot be in the future."))
        if when < timezone.make_aware(EARLIEST):
            raise forms.ValidationError(_("Check the year: the time is before 2000."))
        return when

    def clean_idem(self):
        # Not something a person can fix: a missing or tampered key just gets a fresh one.
        key = self.cleaned_data.get("idem") or ""
        return key if IDEMPOTENCY_RE.match(key) else new_idempotency_key()

    def clean(self):
        cleaned = super().clean() or {}
        name = (cleaned.get("name") or "").strip()
        company = (cleaned.get("company") or "").strip()
        if name and company and len(name) + len(company) + 3 > MAX_CONTACT_NAME:
            self.add_error(
                "company",
                _("Name and company together must be at most %(max)d characters.")
                % {"max": MAX_CONTACT_NAME - 3},
            )
        return cleaned

    def grouped(self, names):
        return [self[name] for name in names]

    @property
    def context_fields(self):
        return [self[name] for name in ("touchpoint", "when", "interviewer", "language")]

    @property
    def who(self):
        return self.grouped(self.who_fields)

    @property
    def scores(self):
        return self.grouped(self.score_fields)


class NoteFilterForm(forms.Form):
    tp = forms.ModelChoiceField(
        label=_("Touchpoint"),
        queryset=Touchpoint.objects.none(),
        to_field_name="key",
        required=False,
        empty_label=_("All touchpoints"),
    )
    period = forms.ChoiceField(
        label=_("Period"),
        choices=[(key, label) for key, (_days, label) in PERIODS.items()],
        required=False,
    )

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["tp"].queryset = Touchpoint.objects.filter(organisation=organisation)
