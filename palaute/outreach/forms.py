"""Back-office forms for contacts, accounts, segments, templates and sending settings."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from palaute.outreach.contacts import (
    attribute_lines,
    clean_email,
    clean_phone,
    parse_attribute_lines,
)
from palaute.outreach.emails import check_template
from palaute.outreach.models import (
    LANGUAGES,
    Account,
    ChannelPreference,
    Contact,
    EmailTemplate,
    OutreachSettings,
    Segment,
    SenderProfile,
)
from palaute.outreach.segments import condition_lines, parse_conditions

MAX_REMINDERS = 3
# An alphanumeric SMS sender ID: 1–11 characters, letters, digits and spaces, not all digits.
SMS_SENDER_ID_RE = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")


def _members(organisation):
    return (
        get_user_model()
        .objects.filter(memberships__organisation=organisation)
        .order_by("first_name", "last_name", "username")
    )


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class ContactForm(forms.ModelForm):
    attributes_text = forms.CharField(
        label=_("attributes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: key = value"),
    )

    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "external_id", "language", "account"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["account"].queryset = Account.objects.filter(organisation=organisation)
        self.fields["phone"].help_text = _("With a country code, or a Finnish number")
        self.fields["external_id"].help_text = _(
            "The person's id in your own system; events name contacts by it."
        )
        if self.instance.pk:
            self.fields["attributes_text"].initial = attribute_lines(self.instance.attributes)

    def clean_email(self):
        try:
            email = clean_email(self.cleaned_data.get("email", ""))
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a valid email address.")) from exc
        self._unique("email", email)
        return email

    def clean_phone(self):
        try:
            phone = clean_phone(self.cleaned_data.get("phone", ""))
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a valid phone number.")) from exc
        self._unique("phone", phone)
        return phone

    def clean_external_id(self):
        external_id = self.cleaned_data.get("external_id", "").strip()
        self._unique("external_id", external_id)
        return external_id

    def clean_attributes_text(self):
        try:
            return parse_attribute_lines(self.cleaned_data.get("attributes_text", ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        data = super().clean()
        if not data.get("email") and not data.get("phone") and not self.errors:
            raise forms.ValidationError(_("Give an email address or a phone number."))
        return data

    def _unique(self, field: str, value: str) -> None:
        if not value:
            return
        others = Contact.objects.filter(organisation=self.organisation, **{field: value})
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(
                _("Another contact already has this ID.")
                if field == "external_id"
                else _("Another contact already has this address.")
            )

    def save(self, commit=True):
        contact = super().save(commit=False)
        contact.organisation = self.organisation
        contact.attributes = self.cleaned_data["attributes_text"]
        if commit:
            contact.save()
        return contact


class AccountForm(forms.ModelForm):
    attributes_text = forms.CharField(
        label=_("attributes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: key = value"),
    )
    owner = _UserChoice(queryset=None, required=False, label=_("named owner"))

    class Meta:
        model = Account
        fields = ["name", "business_id", "sector", "owner", "is_active"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["owner"].queryset = _members(organisation)
        self.fields["owner"].help_text = _(
            "The customer's contact person; invitations to its people come from them."
        )
        if self.instance.pk:
            self.fields["attributes_text"].initial = attribute_lines(self.instance.attributes)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Account.objects.filter(organisation=self.organisation, name=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("An account with this name exists."))
        return name

    def clean_attributes_text(self):
        try:
            return parse_attribute_lines(self.cleaned_data.get("attributes_text", ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def save(self, commit=True):
        account = super().save(commit=False)
        account.organisation = self.organisation
        account.attributes = self.cleaned_data["attributes_text"]
        if commit:
            account.save()
        return account


class SegmentForm(forms.ModelForm):
    conditions_text = forms.CharField(
        label=_("conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "class": "code"}),
        help_text=_(
            "One per line, all must hold: key = value, key != value, key contains text, "
            "key exists, key missing"
        ),
    )

    class Meta:
        model = Segment
        fields = ["name", "language", "account", "sector"]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["account"].queryset = Account.objects.filter(organisation=organisation)
        if self.instance.pk:
            self.fields["conditions_text"].initial = condition_lines(self.instance.conditions)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = Segment.objects.filter(organisation=self.organisation, name=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A segment with this name exists."))
        return name

    def clean_conditions_text(self):
        try:
            return parse_conditions(self.cleaned_data.get("conditions_text", ""))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc

    def save(self, commit=True):
        segment = super().save(commit=False)
        segment.organisation = self.organisation
        segment.conditions = self.cleaned_data["conditions_text"]
        if commit:
            segment.save()
        return segment


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"))


class TemplateForm(forms.Form):
    subject = forms.CharField(label=_("subject"), max_length=200)
    body = forms.CharField(label=_("message"), widget=forms.Textarea(attrs={"rows": 14}))

    def clean(self):
        data = super().clean()
        if "subject" in data and "body" in data:
            for field, message in check_template(data["subject"], data["body"]).items():
                self.add_error(field, message)
        return data


class SettingsForm(forms.ModelForm):
    default_sender = _UserChoice(queryset=None, required=False, label=_("default sender"))

    class Meta:
        model = OutreachSettings
        fields = [
            "default_sender",
            "reminders",
            "reminder_after_days",
            "frequency_cap_days",
            "sms_sender",
        ]

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_sender"].queryset = _members(organisation)
        self.fields["default_sender"].help_text = _(
            "Invitations come from this person unless the contact's account has a named owner."
        )
        self.fields["frequency_cap_days"].required = False
        self.fields["frequency_cap_days"].help_text = _(
            "Never ask one person more often, across all surveys and channels. 0: no limit."
        )
        self.fields["sms_sender"].help_text = _(
            "A name of up to 11 letters and digits (e.g. Kahvila), or a phone number. "
            "Empty: the server's default. Customers can reply STOP only to a number."
        )

    def clean_frequency_cap_days(self):
        value = self.cleaned_data["frequency_cap_days"] or 0  # empty: no limit
        if value > 365:
            raise forms.ValidationError(_("At most 365 days."))
        return value

    def clean_sms_sender(self):
        value = self.cleaned_data["sms_sender"].strip()
        if not value:
            return ""
        if value.startswith("+") or value.replace(" ", "").isdigit():
            try:
                return clean_phone(value)
            except ValueError as exc:
                raise forms.ValidationError(_("Enter a valid phone number.")) from exc
        if not SMS_SENDER_ID_RE.match(value):
            raise forms.ValidationError(
                _("Use 1–11 letters a–z, digits and spaces, with at least one letter.")
            )
        return value

    def clean_reminders(self):
        value = self.cleaned_data["reminders"]
        if value > MAX_REMINDERS:
            raise forms.ValidationError(_("At most 3 reminders."))
        return value

    def clean_reminder_after_days(self):
        value = self.cleaned_data["reminder_after_days"]
        if not 1 <= value <= 30:
            raise forms.ValidationError(_("Choose 1 to 30 days."))
        return value


class SenderProfileForm(forms.ModelForm):
    """The signed-in member as a named sender: job title and direct phone (kept on the
    membership), photo and reply-to address (kept on the sender profile)."""

    title = forms.CharField(label=_("job title"), max_length=120, required=False)
    phone = forms.CharField(label=_("direct phone"), max_length=40, required=False)
    photo_url = forms.URLField(label=_("photo URL"), required=False, assume_scheme="https")

    class Meta:
        model = SenderProfile
        fields = ["title", "phone", "photo_url", "reply_to"]
        help_texts = {
            "reply_to": _("Where customers' replies go; empty means your login email."),
        }

    def __init__(self, *args, membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["title"].initial = membership.title
        self.fields["phone"].initial = membership.phone
        self.fields["photo_url"].help_text = _("A square photo shown in your invitations (https).")

    def clean_phone(self):
        try:
            return clean_phone(self.cleaned_data.get("phone", ""))
        except ValueError as exc:
            raise forms.ValidationError(_("Enter a valid phone number.")) from exc

    def clean_photo_url(self):
        url = self.cleaned_data["photo_url"]
        if url and not url.startswith("https://"):
            raise forms.ValidationError(_("Use an https:// address."))
        return url

    def save(self, commit=True):
        profile = super().save(commit=commit)
        self.membership.title = self.cleaned_data["title"].strip()
        self.membership.phone = self.cleaned_data["phone"]
        if commit:
            self.membership.save(update_fields=["title", "phone"])
        return profile


class SendForm(forms.Form):
    """Invite a segment (or all contacts) to a survey now or at a given time."""

    segment = forms.ModelChoiceField(
        queryset=None, required=False, label=_("segment"), empty_label=_("All contacts")
    )
    channel = forms.ChoiceField(
        label=_("channel"),
        choices=[
            ("email", _("Email")),
            ("sms", _("SMS")),
            (ChannelPreference.EMAIL_FIRST, ChannelPreference.EMAIL_FIRST.label),
            (ChannelPreference.SMS_FIRST, ChannelPreference.SMS_FIRST.label),
        ],
    )
    send_at = forms.DateTimeField(
        label=_("send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Empty: now."),
    )
    batch = forms.RegexField(regex=r"^[0-9a-f]{32}$", widget=forms.HiddenInput)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].queryset = Segment.objects.filter(organisation=organisation)


LANGUAGE_NAMES = dict(LANGUAGES)
TEMPLATE_KINDS = EmailTemplate.Kind
