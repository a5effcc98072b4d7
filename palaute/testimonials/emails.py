"""Emails to a consenting person, in the language of their consent (fi/en, else the
organisation's): a copy of the consent they gave, and an edit to their quote to confirm.
Every one of them carries the withdrawal link.

Plain text and HTML parts from templates (testimonials/email/*); From shows the organisation's
name with the configured address, and the Message-ID is stable per message, so a retried job
that hands the same email to the server twice shows up once in deduplicating inboxes.
"""

from __future__ import annotations

from email.headerregistry import Address

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from palaute.outreach import conf
from palaute.testimonials.models import ConsentRecord, QuoteProposal
from palaute.testimonials.respondent import email_language, email_of
from palaute.testimonials.tokens import confirm_url, withdraw_url


def consent_copy(record: ConsentRecord) -> EmailMultiAlternatives | None:
    """What the person agreed to, with the withdrawal link; None without an address."""
    address = email_of(record.response)
    if not address:
        return None
    organisation = record.organisation
    with translation.override(email_language(record.language, organisation)):
        context = {
            "organisation": organisation.name,
            "record": record,
            "shown_as": _shown_as(record),
            "quote": record.testimonial.original_quote,
            "withdraw_url": withdraw_url(record),
        }
        subject = _("%(organisation)s: thank you for your permission") % {
            "organisation": organisation.name
        }
        return _message(record, subject, "consent", context, address, f"consent-{record.pk}")


def edit_proposal(proposal: QuoteProposal) -> EmailMultiAlternatives | None:
    """The proposed edit with the confirmation link and the withdrawal link."""
    testimonial = proposal.testimonial
    record = testimonial.consent
    if not proposal.sent_to:
        return None
    organisation = record.organisation
    with translation.override(email_language(record.language, organisation)):
        context = {
            "organisation": organisation.name,
            "original": testimonial.quote,
            "proposal": proposal,
            "confirm_url": confirm_url(proposal),
            "withdraw_url": withdraw_url(record),
        }
        subject = _("%(organisation)s: may we edit your feedback?") % {
            "organisation": organisation.name
        }
        return _message(
            record, subject, "proposal", context, proposal.sent_to, f"proposal-{proposal.pk}"
        )


def _shown_as(record: ConsentRecord) -> str:
    shown = record.shown_as
    return _("anonymously") if shown.anonymous else shown.label


def _message(record, subject, template, context, address, message_key) -> EmailMultiAlternatives:
    text = render_to_string(f"testimonials/email/{template}.txt", context)
    html = render_to_string(f"testimonials/email/{template}.html", context)
    domain = conf.from_address().rpartition("@")[2] or "localhost"
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()),
        body=text,
        from_email=conf.bounce_address(),
        to=[address],
        headers={
            "From": str(
                Address(display_name=record.organisation.name, addr_spec=conf.from_address())
            ),
            "Message-ID": f"<testimonial-{message_key}.{record.organisation.slug}@{domain}>",
        },
    )
    message.attach_alternative(html, "text/html")
    return message
