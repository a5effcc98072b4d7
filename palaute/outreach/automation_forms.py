"""Back-office forms for trigger rules, schedules, event uploads and SMS templates."""

from __future__ import annotations

import re
import uuid
import zoneinfo
from functools import cache

from django import forms
from django.utils.translation import gettext_lazy as _

from palaute.outreach.messages import check_message
from palaute.outreach.models import Schedule, Segment, TriggerRule
from palaute.outreach.sms_templates import check_template
from palaute.outreach.triggers import EVENT_NAME_RE, condition_lines, parse_conditions
from palaute.surveys.models import Survey

MAX_DELAY = {"minutes": 60 * 24 * 30, "hours": 24 * 90, "days": 365}
MAX_INTERVAL = {Schedule.Frequency.WEEKS: 52, Schedule.Frequency.MONTHS: 24}
BATCH_KEY_RE = re.compile(r"^[0-9a-f]{32}$")


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name]


class _TimeInput(forms.TimeInput):
    input_type = "time"


class TriggerRuleForm(forms.ModelForm):
    conditions_text = forms.CharField(
        label=_("only when"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. One per line, all must hold: attribute = value"),
    )
    time_zone = forms.ChoiceField(label=_("time zone"), choices=())
    field_order = ["name", "event_name", "conditions_text"]

    class Meta:
        model = TriggerRule
        fields = [
            "name",
            "event_name",
            "is_active",
            "action",
            "survey",
            "channel_preference",
            "delay_amount",
            "delay_unit",
            "delay_from",
            "quiet_start",
            "quiet_end",
            "time_zone",
            "message_subject_fi",
            "message_body_fi",
            "message_subject_en",
            "message_body_en",
        ]
        widgets = {
            "quiet_start": _TimeInput(),
            "quiet_end": _TimeInput(),
            "message_body_fi": forms.Textarea(attrs={"rows": 4}),
            "message_body_en": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "event_name": _("e.g. booking.completed, delivery.done, ticket.closed"),
            "quiet_start": _("Nothing is sent between these times; it waits until they end."),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["survey"].queryset = Survey.objects.filter(organisation=organisation)
        self.fields["time_zone"].choices = time_zone_choices()
        if not self.instance.pk:
            self.initial.setdefault("time_zone", organisation.time_zone or "Europe/Helsinki")
            self.initial.setdefault("quiet_start", "21:00")
            self.initial.setdefault("quiet_end", "08:00")
        else:
            self.fields["conditions_text"].initial = condition_lines(self.instance.conditions)

    def clean_event_name(self):
        name = self.cleaned_data["event_name"].strip().lower()
        if not EVENT_NAME_RE.match(name):
            raise forms.ValidationError(_("Use a–z, 0–9 and . _ - (e.g. delivery.done)."))
        return name

    def clean_conditions_text(self):
        try:
            return parse_conditions(self.cleaned_data.get("conditions_text", ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        if data.get("action") == TriggerRule.Action.SURVEY and not data.get("survey"):
            self.add_error("survey", _("Choose the survey to send."))
        if data.get("action") == TriggerRule.Action.MESSAGE:
            self._clean_message(data)
        unit, amount = data.get("delay_unit"), data.get("delay_amount")
        if unit in MAX_DELAY and amount is not None and amount > MAX_DELAY[unit]:
            self.add_error("delay_amount", _("At most %(n)d.") % {"n": MAX_DELAY[unit]})
        start, end = data.get("quiet_start"), data.get("quiet_end")
        if (start is None) != (end is None):
            self.add_error("quiet_end", _("Give both times, or neither."))
        elif start is not None and start == end:
            self.add_error("quiet_end", _("The quiet hours must end at another time."))
        return data

    def _clean_message(self, data) -> None:
        bodies = [data.get("message_body_fi", ""), data.get("message_body_en", "")]
        if not any(body.strip() for body in bodies):
            self.add_error("message_body_fi", _("Write the message in at least one language."))
            return
        for language in ("fi", "en"):
            subject = data.get(f"message_subject_{language}", "")
            body = data.get(f"message_body_{language}", "")
            if body.strip() or subject.strip():
                problem = check_message(subject, body)
                if problem:
                    self.add_error(f"message_body_{language}", problem)

    def save(self, commit=True):
        rule = super().save(commit=False)
        rule.organisation = self.organisation
        rule.conditions = self.cleaned_data["conditions_text"]
        if rule.action == TriggerRule.Action.MESSAGE:
            rule.survey = None
        if commit:
            rule.save()
        return rule


class ScheduleForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("time zone"), choices=())

    class Meta:
        model = Schedule
        fields = [
            "name",
            "kind",
            "survey",
            "audience",
            "segment",
            "channel_preference",
            "frequency",
            "interval",
            "start_date",
            "send_time",
            "time_zone",
            "is_active",
        ]
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "send_time": _TimeInput(),
        }
        help_texts = {
            "kind": _("A panel is a fixed group (a segment); each round goes to all of it."),
            "interval": _("e.g. every 3 months for a quarterly survey"),
        }

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["survey"].queryset = Survey.objects.filter(organisation=organisation)
        self.fields["segment"].queryset = Segment.objects.filter(organisation=organisation)
        self.fields["time_zone"].choices = time_zone_choices()
        if not self.instance.pk:
            self.initial.setdefault("time_zone", organisation.time_zone or "Europe/Helsinki")

    def clean(self):
        data = super().clean()
        if data.get("kind") == Schedule.Kind.PANEL and data.get("audience") != "segment":
            self.add_error("audience", _("A panel's members are a segment."))
        if data.get("audience") == Schedule.Audience.SEGMENT and not data.get("segment"):
            self.add_error("segment", _("Choose the segment."))
        frequency, interval = data.get("frequency"), data.get("interval")
        limit = MAX_INTERVAL.get(frequency)
        if limit is not None and interval is not None and not 1 <= interval <= limit:
            self.add_error("interval", _("Choose 1 to %(n)d.") % {"n": limit})
        return data

    def save(self, commit=True):
        schedule = super().save(commit=False)
        schedule.organisation = self.organisation
        if schedule.audience != Schedule.Audience.SEGMENT:
            schedule.segment = None
        if commit:
            schedule.save()
        return schedule


class EventImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))
    # The upload's idempotency key: a double click records the file once.
    batch = forms.CharField(required=False, widget=forms.HiddenInput)
    event = forms.CharField(
        label=_("event"),
        required=False,
        max_length=60,
        help_text=_("For files without an event column, e.g. delivery.done"),
    )

    def clean_batch(self):
        """The page's key; a missing or malformed one (an odd client) gets a fresh key
        rather than an error it could not see or fix."""
        key = self.cleaned_data["batch"]
        return key if BATCH_KEY_RE.match(key) else uuid.uuid4().hex

    def clean_event(self):
        name = self.cleaned_data["event"].strip().lower()
        if name and not EVENT_NAME_RE.match(name):
            raise forms.ValidationError(_("Use a–z, 0–9 and . _ - (e.g. delivery.done)."))
        return name


class SmsTemplateForm(forms.Form):
    body = forms.CharField(label=_("message"), widget=forms.Textarea(attrs={"rows": 5}))

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        problem = check_template(body)
        if problem:
            raise forms.ValidationError(problem)
        return body
