"""Forms of the acting part of a case: the reply to the customer, and the measures filters.
The reply's rules (an address for the channel, SMS length, bounces and opt-outs) live in
``replies.check_reply``; the form carries its errors to the fields they name."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from palaute.loop import replies
from palaute.loop.models import Case

REPLY_PREFIX = "reply"


class ReplyForm(forms.Form):
    """A reply to the customer. Bound with ``author`` (the person sending it: the SMS
    signature, and so its length, is theirs)."""

    channel = forms.ChoiceField(label=_("Send by"), widget=forms.RadioSelect)
    subject = forms.CharField(label=_("Subject"), required=False, max_length=replies.MAX_SUBJECT)
    body = forms.CharField(
        label=_("Reply to the customer"),
        max_length=replies.MAX_BODY,
        error_messages={"required": _("Write the reply.")},
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Only what you write here is sent, signed with your name and contact details; "
            "the customer's feedback is not quoted. An SMS can be at most 10 messages long "
            "(about 1,500 characters)."
        ),
    )
    # A fresh key per form shown: a double click sends one message.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=replies.MAX_KEY)

    def __init__(self, *args, case: Case, author=None, **kwargs):
        kwargs.setdefault("prefix", REPLY_PREFIX)
        kwargs.setdefault(
            "initial",
            {"channel": replies.default_channel(case), "idempotency_key": uuid.uuid4().hex},
        )
        super().__init__(*args, **kwargs)
        self.case = case
        self.author = author
        channel_field = self.fields["channel"]
        assert isinstance(channel_field, forms.ChoiceField)
        channel_field.choices = [
            (channel, _channel_label(channel, replies.address(case, channel)))
            for channel in replies.CHANNELS
        ]
        self.fields["subject"].widget.attrs["placeholder"] = replies.default_subject(case)
        self.fields["subject"].help_text = _("For email. Empty: “%(subject)s”.") % {
            "subject": replies.default_subject(case)
        }

    def clean(self):
        """The reply's own rules (replies.check_reply), each on the field it names; a field
        that already failed its basic check keeps that error alone."""
        data = super().clean() or {}
        errors = replies.check_reply(
            self.case,
            author=self.author,
            body=data.get("body") or "",
            channel=data.get("channel") or "",
            subject=data.get("subject") or "",
        )
        for field, message in errors.items():
            if field not in self.errors:
                self.add_error(field, message)
        return data

    def add_reply_errors(self, errors: dict[str, str]) -> None:
        """Errors from ``replies.ReplyInvalid`` onto the fields they name."""
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)


def _channel_label(channel: str, address: str) -> str:
    name = _("Email") if channel == replies.EMAIL else _("SMS")
    if not address:
        return _("%(channel)s (no address)") % {"channel": name}
    return f"{name} ({address})"


class MeasuresFilter(forms.Form):
    PERIODS = {
        "30": (30, _("Last 30 days")),
        "90": (90, _("Last 90 days")),
        "365": (365, _("Last 365 days")),
        "all": (None, _("All time")),
    }
    GROUPS = {
        "owner": _("Owner"),
        "touchpoint": _("Touchpoint"),
        "stage": _("Journey stage"),
        "period:week": _("Week"),
        "period:month": _("Month"),
        "period:day": _("Day"),
        "none": _("Nothing (totals only)"),
    }
    period = forms.ChoiceField(
        label=_("Period"), choices=[(key, label) for key, (_days, label) in PERIODS.items()]
    )
    by = forms.ChoiceField(label=_("Group by"), choices=list(GROUPS.items()))

    @classmethod
    def from_query(cls, query) -> MeasuresFilter:
        return cls(data={"period": query.get("period", "90"), "by": query.get("by", "owner")})

    def values(self) -> tuple[int | None, str | None, str, str]:
        """(days, group_by, period key, group key); a value that is not one of ours falls back
        to the default (the form then shows the error, naming the field)."""
        self.is_valid()
        period = self.cleaned_data.get("period") or "90"
        by = self.cleaned_data.get("by") or "owner"
        return self.PERIODS[period][0], (None if by == "none" else by), period, by
