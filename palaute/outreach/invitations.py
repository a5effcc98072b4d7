"""Creating invitations: one per contact, deduplicated, skipped with a reason when the contact
may not be asked, and a send job queued for each one that will go out.

``batch_key`` names the occasion (a manual send's form id, a trigger's event id, a schedule
round); ``(organisation, batch_key:contact)`` is unique, so repeating the same occasion —
a double click, a retried API call, a redelivered webhook — creates nothing new.

A contact is skipped (kept as an invitation with the reason) when they cannot be reached on
the channel, already have an open invitation to the same survey (on any channel), or were
asked too recently (the frequency cap, caps.py). With a channel ``preference`` the channel is
chosen per contact (delivery.choose_channel) and the other one is kept as a fallback.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from palaute.accounts.models import Membership
from palaute.outreach.caps import capped_contacts
from palaute.outreach.delivery import choose_channel, skip_reason
from palaute.outreach.memo import remembered
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
    created: list[Invitation] = field(default_factory=list)  # the new rows, skipped ones too


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
    preference: str | None = None,
    event=None,
    schedule_round=None,
) -> InviteResult:
    """Create invitations to ``survey`` for ``contacts`` (of the survey's organisation).

    ``channel`` is used for everyone unless ``preference`` (a ChannelPreference) is given."""
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
        fresh = [c for key, c in keys.items() if key not in existing]
        pending = _pending(survey, [c.pk for c in fresh])
        settings = outreach_settings(organisation)
        capped = capped_contacts(
            organisation, [c.pk for c in fresh], send_at, days=settings.frequency_cap_days
        )
        senders = SenderChooser(
            organisation, touchpoint=getattr(event, "touchpoint", None), settings=settings
        )
        rows = []
        for key, contact in keys.items():
            if key in existing:
                continue
            chosen, fallback = choose_channel(contact, preference) if preference else (channel, "")
            invitation = Invitation(
                organisation=organisation,
                survey=survey,
                contact=contact,
                channel=chosen,
                fallback_channel=fallback,
                dedup_key=key,
                source=source,
                source_ref=source_ref[:200],
                sender=senders.for_contact(contact),
                scheduled_for=send_at,
                created_by=user,
                event=event,
                schedule_round=schedule_round,
            )
            reason = skip_reason(invitation)
            if reason is None and contact.pk in pending:
                reason = Invitation.SkipReason.ALREADY_INVITED
                invitation.earlier_invitation_id = pending[contact.pk]
            elif reason is None and contact.pk in capped:
                reason = Invitation.SkipReason.FREQUENCY_CAP
                invitation.earlier_invitation_id = capped[contact.pk]
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
    result.created = rows
    return result


def _pending(survey, contact_ids: list[int]) -> dict[int, int]:
    """{contact id: id of their open invitation to ``survey``}, looked up for these contacts
    only, so a trigger's single invitation costs one small query."""
    pending: dict[int, int] = {}
    for start in range(0, len(contact_ids), CHUNK):
        pending.update(
            Invitation.objects.filter(
                survey=survey,
                status__in=PENDING,
                contact_id__in=contact_ids[start : start + CHUNK],
            ).values_list("contact_id", "pk")
        )
    return pending


class SenderChooser:
    """``senders.choose_sender`` for many contacts with two queries in all. For an event's
    invitations the touchpoint's named owner (the installer, the host of the event) comes
    between the account's owner and the default sender."""

    def __init__(self, organisation, touchpoint=None, settings=None):
        self.default = (settings or outreach_settings(organisation)).default_sender
        self.members = remembered(
            ("members", organisation.pk),
            lambda: set(
                Membership.objects.filter(organisation=organisation).values_list(
                    "user_id", flat=True
                )
            ),
        )
        self.touchpoint_owner = (
            touchpoint.owner
            if touchpoint is not None and touchpoint.owner_id in self.members
            else None
        )

    def for_contact(self, contact: Contact):
        account = contact.account
        if account is not None and account.owner_id in self.members:
            return account.owner
        return self.touchpoint_owner or self.default
