"""Unsubscribe links of invitations and journey messages, and what a token opts out.

Every email Palaute sends — a survey invitation, its reminders, a journey message — carries
an unsubscribe link at its foot and the same link in ``List-Unsubscribe`` (with a mailto to the
bounce address) and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), so a mail
program's unsubscribe button works. The link is ``/u/<token>/``, the token made from the row's
random key (tokens.py) under a purpose of its own per kind of row, so an invitation's token
cannot name a message or the other way round. Whichever it names, the contact is opted out of
that channel in their organisation (contacts.opt_out), which stops every invitation, reminder
and message on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from palaute.accounts.models import Organisation
from palaute.outreach import conf
from palaute.outreach.models import Contact, Invitation, JourneyMessage
from palaute.outreach.tokens import (
    MESSAGE_UNSUBSCRIBE,
    UNSUBSCRIBE,
    make_short_token,
    make_token,
    split_token,
)

EMAIL_LANGUAGES = ("fi", "en")


@dataclass(frozen=True)
class Unsubscribable:
    """Whom a valid unsubscribe token stops, on which channel, and in which language the
    confirmation page speaks to them. ``kind``: "invitation" or "message"."""

    contact: Contact
    channel: str
    organisation: Organisation
    language: str
    kind: str


def url(key: str, purpose: str) -> str:
    return f"{conf.site_url()}/u/{make_token(key, purpose)}/"


def short_url(key: str, purpose: str) -> str:
    """The SMS form of the link (every character costs)."""
    return f"{conf.site_url()}/u/{make_short_token(key, purpose)}/"


def mailto(key: str, purpose: str) -> str:
    """The mailto half of List-Unsubscribe; ``palaute inbound_email`` reads these."""
    subject = quote(f"unsubscribe {make_token(key, purpose)}")
    return f"mailto:{conf.bounce_address()}?subject={subject}"


def headers(key: str, purpose: str) -> dict[str, str]:
    """``List-Unsubscribe`` (https and mailto) with one-click POST (RFC 8058)."""
    return {
        "List-Unsubscribe": f"<{url(key, purpose)}>, <{mailto(key, purpose)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def find(token: str) -> Unsubscribable | None:
    """What an authentic unsubscribe token (full or short form) names, else None."""
    key = split_token(token, UNSUBSCRIBE)
    if key is not None:
        invitation = (
            Invitation.objects.select_related("contact__organisation", "organisation")
            .filter(key=key)
            .first()
        )
        if invitation is None:
            return None
        return Unsubscribable(
            contact=invitation.contact,
            channel=invitation.channel,
            organisation=invitation.organisation,
            language=_language(invitation.contact.language, invitation.organisation),
            kind="invitation",
        )
    key = split_token(token, MESSAGE_UNSUBSCRIBE)
    if key is None:
        return None
    message = (
        JourneyMessage.objects.select_related("contact__organisation", "organisation")
        .filter(key=key)
        .first()
    )
    if message is None:
        return None
    return Unsubscribable(
        contact=message.contact,
        channel=message.channel,
        organisation=message.organisation,
        language=_language(message.language, message.organisation),
        kind="message",
    )


def _language(preferred: str, organisation) -> str:
    for language in (preferred, organisation.default_language):
        if language in EMAIL_LANGUAGES:
            return language
    return "fi"
