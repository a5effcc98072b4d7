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


def upload_events(organisation, data: bytes, *, default_event: str = "", user=None):
    """Upload a CSV of events as the page does and run its job through the worker loop; the
    ``event_imports.Upload`` (its import refreshed after the job)."""
    import uuid

    from palaute.outreach.event_imports import start_import
    from palaute.outreach.tests.jobs_helpers import run_due_jobs

    upload = start_import(
        organisation,
        data,
        file_name="events.csv",
        default_event=default_event,
        key=uuid.uuid4().hex,
        user=user,
    )
    if upload.batch is not None:
        run_due_jobs()
        upload.batch.refresh_from_db()
    return upload
