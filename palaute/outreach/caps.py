"""The frequency cap (survey fatigue, BRIEF §2): a contact is sent at most one survey
invitation per ``frequency_cap_days`` days, across all surveys and channels.

Checked when invitations are created (all contacts of a send in one query, so the result shows
at once) and again just before each one is sent (one indexed query on
``invitation(contact, sent_at)``), since another invitation may have gone out in between. An
invitation being sent at this moment by another worker counts too. Reminders belong to their
invitation's ask and are not capped; journey messages are not surveys and are not capped.

A capped invitation is skipped with reason ``frequency_cap`` and a link to the earlier one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from palaute.outreach import conf
from palaute.outreach.models import Invitation
from palaute.outreach.senders import outreach_settings

CHUNK = 500


def cap_days(organisation) -> int:
    return outreach_settings(organisation).frequency_cap_days


def _asked(organisation_id: int, since: datetime, now: datetime):
    """Invitations that count as "asked" since ``since``: sent, or being sent right now."""
    lease_cut = now - timedelta(seconds=conf.send_lease_seconds())
    return Invitation.objects.filter(organisation_id=organisation_id).filter(
        Q(sent_at__gte=since) | Q(status=Invitation.Status.SENDING, claimed_at__gte=lease_cut)
    )


def earlier_within_cap(invitation: Invitation, now: datetime) -> Invitation | None:
    """The invitation that makes sending ``invitation`` now break the cap, or None.

    Called after the worker claimed ``invitation``. Another invitation to the same person that
    is being sent at this moment counts only if it was claimed first (ties: the lower id), so
    of two claimed at once exactly one goes out: each worker's claim is committed before its
    check, and the later claimer always sees the earlier one."""
    days = cap_days(invitation.organisation)
    if not days:
        return None
    lease_cut = now - timedelta(seconds=conf.send_lease_seconds())
    in_flight = Q(status=Invitation.Status.SENDING, claimed_at__gte=lease_cut)
    mine = invitation.claimed_at
    if mine is not None:
        in_flight &= Q(claimed_at__lt=mine) | Q(claimed_at=mine, pk__lt=invitation.pk)
    return (
        Invitation.objects.filter(
            organisation_id=invitation.organisation_id, contact_id=invitation.contact_id
        )
        .exclude(pk=invitation.pk)
        .filter(Q(sent_at__gte=now - timedelta(days=days)) | in_flight)
        .order_by("-sent_at")
        .first()
    )


def capped_contacts(
    organisation, contact_ids: Iterable[int], at: datetime, *, days: int | None = None
) -> dict[int, int]:
    """{contact id: id of the earlier invitation} for the contacts that may not be asked at
    ``at``; empty when the cap is off. ``days``: the cap, when the caller has read it."""
    days = cap_days(organisation) if days is None else days
    if not days:
        return {}
    ids = list(contact_ids)
    since = at - timedelta(days=days)
    capped: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):  # SQLite limits query parameters
        rows = (
            _asked(organisation.pk, since, timezone.now())
            .filter(contact_id__in=ids[start : start + CHUNK])
            .order_by("sent_at")
            .values_list("contact_id", "pk")
        )
        capped.update(rows)  # the latest per contact wins
    return capped
