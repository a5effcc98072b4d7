"""The links in emails to a consenting person: ``withdraw_url`` (take the permission back)
and ``confirm_url`` (accept or decline an edit to the quote).

Both are ``<key><mac>`` tokens in the style of palaute/outreach/tokens.py: a random key stored
in the row and an HMAC of it under SECRET_KEY with a purpose of their own, so one link cannot
stand in for the other and a copy of the database alone gives no working link.
"""

from __future__ import annotations

from django.urls import reverse

from palaute.outreach import conf
from palaute.outreach.tokens import make_token, split_token
from palaute.testimonials.models import ConsentRecord, QuoteProposal

WITHDRAW = "palaute.testimonials.withdraw"
CONFIRM_EDIT = "palaute.testimonials.confirm_edit"


def withdraw_url(record: ConsentRecord) -> str:
    token = make_token(record.key, WITHDRAW)
    return conf.site_url() + reverse("testimonial_withdraw", args=[token])


def confirm_url(proposal: QuoteProposal) -> str:
    token = make_token(proposal.key, CONFIRM_EDIT)
    return conf.site_url() + reverse("testimonial_confirm_edit", args=[token])


def record_for_token(token: str) -> ConsentRecord | None:
    key = split_token(token, WITHDRAW)
    if key is None:
        return None
    return ConsentRecord.objects.select_related("organisation").filter(key=key).first()


def proposal_for_token(token: str) -> QuoteProposal | None:
    key = split_token(token, CONFIRM_EDIT)
    if key is None:
        return None
    return (
        QuoteProposal.objects.select_related(
            "organisation", "testimonial__consent", "testimonial__organisation"
        )
        .filter(key=key)
        .first()
    )
