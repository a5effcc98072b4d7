"""Back-office forms of the testimonials app."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from palaute.outreach.models import Account
from palaute.testimonials.models import Publication, Testimonial
from palaute.testimonials.workflow import MAX_NOTE, MAX_QUOTE


class FilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + list(Testimonial.Status.choices),
    )


class ProposalForm(forms.Form):
    text = forms.CharField(
        label=_("Proposed quote"),
        max_length=MAX_QUOTE,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The person gets an email to accept it; until then the quote stays as it is."),
    )
    note = forms.CharField(
        label=_("Why (shown to the person)"),
        max_length=MAX_NOTE,
        required=False,
    )


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("How the person asked"),
        max_length=MAX_NOTE,
        help_text=_("For example “phone call 3 March” or “email to support”."),
    )


class ReferenceForm(forms.Form):
    account = forms.ModelChoiceField(
        label=_("Customer account"), queryset=Account.objects.none(), required=False
    )
    sector = forms.CharField(label=_("Sector shown"), max_length=100, required=False)
    website = forms.URLField(label=_("Website shown"), required=False, assume_scheme="https")

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Account.objects.filter(organisation=organisation).order_by("name")


class PublicationForm(forms.ModelForm):
    subject_url = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Publication
        fields = ["subject_name", "subject_type", "subject_url", "references_intro"]
        widgets = {"references_intro": forms.Textarea(attrs={"rows": 3})}
