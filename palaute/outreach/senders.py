"""Who an invitation comes from (BRIEF §2: a named person with a photo and a direct contact,
not a no-reply address): the contact's account owner when the account has one, otherwise the
organisation's default sender."""

from __future__ import annotations

from palaute.accounts.models import Membership
from palaute.outreach.emails import Sender
from palaute.outreach.memo import remembered
from palaute.outreach.models import Contact, OutreachSettings, SenderProfile


def outreach_settings(organisation) -> OutreachSettings:
    """The organisation's settings row, or an unsaved one holding the defaults."""
    found = remembered(
        ("settings", organisation.pk),
        lambda: OutreachSettings.objects.filter(organisation=organisation).first(),
    )
    return found or OutreachSettings(organisation=organisation)


def choose_sender(organisation, contact: Contact):
    """The user to send as, or None (then the organisation itself signs)."""
    account = contact.account
    owner_id = account.owner_id if account is not None else None
    if owner_id and Membership.objects.filter(organisation=organisation, user_id=owner_id).exists():
        return account.owner  # type: ignore[union-attr]
    return outreach_settings(organisation).default_sender


def sender_for(organisation, user) -> Sender:
    """Name, title, phone, reply address and photo of ``user`` in ``organisation``."""
    if user is None:
        return Sender(name=organisation.name)
    membership = Membership.objects.filter(organisation=organisation, user=user).first()
    profile = SenderProfile.objects.filter(organisation=organisation, user=user).first()
    return Sender(
        name=user.get_full_name() or user.get_username(),
        title=membership.title if membership else "",
        phone=membership.phone if membership else "",
        email=(profile.reply_to if profile and profile.reply_to else user.email),
        photo_url=profile.photo_url if profile else "",
        organisation=organisation.name,
    )
