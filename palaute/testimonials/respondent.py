"""Who the person behind a consenting response is, as far as we know: the contact of the
invitation they answered (and that contact's customer account), or the address they gave in a
contact-me question. Anonymous web responses have neither, and get no email."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist

from palaute.outreach.models import Account, Invitation
from palaute.surveys.models import Response

EMAIL_LANGUAGES = ("fi", "en")


def invitation_of(response: Response) -> Invitation | None:
    try:
        return Invitation.objects.select_related("contact__account").get(response=response)
    except ObjectDoesNotExist:
        return None


def email_of(response: Response) -> str:
    """The address to write to about this response's testimonial, or ""."""
    invitation = invitation_of(response)
    if invitation is not None and invitation.contact.email:
        return invitation.contact.email
    return response.contact_email


def account_of(response: Response) -> Account | None:
    invitation = invitation_of(response)
    return invitation.contact.account if invitation is not None else None


def email_language(language: str, organisation) -> str:
    """The consent's language if we write emails in it, else the organisation's."""
    for candidate in (language, organisation.default_language):
        if candidate in EMAIL_LANGUAGES:
            return candidate
    return "fi"
