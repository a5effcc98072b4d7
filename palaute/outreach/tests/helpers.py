"""Builders for the outreach tests."""

from __future__ import annotations

from palaute.accounts.models import Membership, Role
from palaute.accounts.tests.helpers import make_member
from palaute.outreach.models import Account, Contact, Invitation
from palaute.surveys.tests.helpers import NPS_WHY, make_org, make_survey

__all__ = ["NPS_WHY", "make_org", "make_survey", "make_contact", "make_sender", "invitation_for"]


def make_contact(organisation, email="maija@example.com", **extra) -> Contact:
    fields = {"name": "Maija Meikäläinen", "language": "fi", **extra}
    return Contact.objects.create(organisation=organisation, email=email, **fields)


def make_sender(organisation, username="aino", role=Role.MANAGER):
    """A member with a full name, title and direct phone (a named sender)."""
    user = make_member(
        organisation,
        username,
        role=role,
        first_name="Aino",
        last_name="Virtanen",
        email=f"{username}@kahvila.example",
    )
    Membership.objects.filter(organisation=organisation, user=user).update(
        title="Customer manager", phone="+358401112223"
    )
    return user


def make_account(organisation, name="Rakennus Oy", owner=None) -> Account:
    return Account.objects.create(organisation=organisation, name=name, owner=owner)


def invitation_for(survey, contact, **extra) -> Invitation:
    from django.utils import timezone

    fields = {
        "organisation": survey.organisation,
        "survey": survey,
        "contact": contact,
        "channel": "email",
        "dedup_key": f"test:{contact.pk}:{Invitation.objects.count()}",
        "scheduled_for": timezone.now(),
        **extra,
    }
    return Invitation.objects.create(**fields)
