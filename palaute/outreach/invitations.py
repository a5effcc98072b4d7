"""Creating invitations: one per contact, deduplicated, skipped with a reason when the contact
may not be asked, and a send job queued for each one that will go out.

``batch_key`` names the occasion (a manual send's form id, a trigger's event id, a schedule
round); ``(organisation, batch_key:contact)`` is unique, so repeating the same occasion —
a double click, a retried API call, a redelivered webhook — creates nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from palaute.accounts.models import Membership
from palaute.outreach.delivery import skip_reason
from palaute.outreach.models import Contact, Invitation
from palaute.outreach.senders import outreach_settings
from palaute.outreach.sending import schedule_send

# Invitations still in flight for a survey: a contact who has one is not invited again.
CHUNK = 500
PENDING = (Invitation.Status.SCHEDULED, Invitation.Status.SENDING, *Invitation.OPEN_STATUSES)


@dataclass
class InviteResult:
    scheduled: int = 0
    skipped: int = 0
    repeated: int = 0  # already created for this batch key earlier


def dedup_key(batch_key: str, contact: Contact) -> str:
    return f"{batch_key}:{contact.pk}"[:200]


def invite(
    survey,
    contacts: Iterable[Contact],
    *,
    channel: str = "email",
    batch_key: str,
    send_at: datetime | None = None,
    source: str = Invitation.Source.MANUAL,
    source_ref: str = "",
    user=None,
) -> InviteResult:
    """Create invitations to ``survey`` for ``contacts`` (of the survey's organisation)."""
    organisation = survey.organisation
    now = timezone.now()
    send_at = send_at or now
    contacts = [c for c in contacts if c.organisation_id == organisation.pk]
    keys = {dedup_key(batch_key, c): c for c in contacts}
    result = InviteResult()
    with transaction.atomic():
        key_list = list(keys)
        existing: set[str] = set()
        for start in range(0, len(key_list), CHUNK):  # chunks: SQLite limits query parameters
            existing.update(
                Invitation.objects.filter(
                    organisation=organisation, dedup_key__in=key_list[start : start + CHUNK]
                ).values_list("dedup_key", flat=True)
            )
        result.repeated = len(existing)
        pending = set(
            Invitation.objects.filter(
                survey=survey, channel=channel, status__in=PENDING
            ).values_list("contact_id", flat=True)
        )
        senders = _SenderChooser(organisation)
        rows = []
        for key, contact in keys.items():
            if key in existing:
                continue
            invitation = Invitation(
                organisation=organisation,
                survey=survey,
                contact=contact,
                channel=channel,
                dedup_key=key,
                source=source,
                source_ref=source_ref[:200],
                sender=senders.for_contact(contact),
                scheduled_for=send_at,
                created_by=user,
            )
            reason = skip_reason(invitation)
            if reason is None and contact.pk in pending:
                reason = Invitation.SkipReason.ALREADY_INVITED
            if reason:
                invitation.status = Invitation.Status.SKIPPED
                invitation.skip_reason = reason
                invitation.finished_at = now
                result.skipped += 1
            else:
                result.scheduled += 1
            rows.append(invitation)
        Invitation.objects.bulk_create(rows, batch_size=500)
        for invitation in rows:
            if invitation.status == Invitation.Status.SCHEDULED:
                schedule_send(invitation)
    return result


class _SenderChooser:
    """``senders.choose_sender`` for many contacts with two queries in all."""

    def __init__(self, organisation):
        self.default = outreach_settings(organisation).default_sender
        self.members = set(
            Membership.objects.filter(organisation=organisation).values_list("user_id", flat=True)
        )

    def for_contact(self, contact: Contact):
        account = contact.account
        if account is not None and account.owner_id in self.members:
            return account.owner
        return self.default
