"""Who owns a case: the touchpoint's named owner, else the customer account's owner, else the
team fallback from the loop settings, else nobody (shown as unassigned).

Only members of the organisation who may act on cases (agents and up) can own one: a named
owner who has left the organisation, or a viewer, is passed over.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model

from palaute.accounts.models import ROLE_RANK, Membership, Role
from palaute.loop.models import Case, LoopSettings

ACTING_ROLES = [role for role, rank in ROLE_RANK.items() if rank >= ROLE_RANK[Role.AGENT]]
MANAGING_ROLES = [Role.MANAGER, Role.OWNER]


def assignable_members(organisation):
    """Users who may own a case in ``organisation``, by name."""
    return (
        get_user_model()
        .objects.filter(memberships__organisation=organisation, memberships__role__in=ACTING_ROLES)
        .order_by("first_name", "last_name", "username")
    )


def can_own(organisation, user_id: int | None) -> bool:
    if user_id is None:
        return False
    return Membership.objects.filter(
        organisation=organisation, user_id=user_id, role__in=ACTING_ROLES
    ).exists()


def choose_owner(
    organisation, *, touchpoint, account, settings: LoopSettings
) -> tuple[int | None, str]:
    """(user id or None, Case.OwnerSource) by the chain touchpoint → account → team."""
    chain = [
        (touchpoint.owner_id if touchpoint is not None else None, Case.OwnerSource.TOUCHPOINT),
        (account.owner_id if account is not None else None, Case.OwnerSource.ACCOUNT),
        (settings.fallback_owner_id, Case.OwnerSource.TEAM),
    ]
    candidates = {user_id for user_id, _ in chain if user_id is not None}
    if not candidates:
        return None, Case.OwnerSource.NONE
    eligible = set(
        Membership.objects.filter(
            organisation=organisation, user_id__in=candidates, role__in=ACTING_ROLES
        ).values_list("user_id", flat=True)
    )
    for user_id, source in chain:
        if user_id in eligible:
            return user_id, source
    return None, Case.OwnerSource.NONE


def escalation_recipients(organisation, settings: LoopSettings) -> list:
    """The escalation manager if they are still a member, else every manager and owner."""
    users = get_user_model().objects.filter(memberships__organisation=organisation)
    if settings.escalation_manager_id is not None:
        chosen = list(users.filter(pk=settings.escalation_manager_id))
        if chosen:
            return chosen
    return list(users.filter(memberships__role__in=MANAGING_ROLES).order_by("pk"))


def display_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username
