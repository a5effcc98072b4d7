"""Channels an invitation can be sent on, and the checks that skip a send.

A channel turns one invitation step (the invitation, or reminder n) into one message and hands
it to its provider. The email channel lives in ``email_channel.py``; another channel (SMS)
registers itself with ``register``. Skip checks run when an invitation is created and again
just before it is sent, since a contact may opt out in between; further checks (a frequency
cap, say) join the list with ``add_skip_check``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from palaute.outreach.models import Contact, Invitation


@dataclass(frozen=True)
class Sent:
    """What the provider accepted: the address, the provider's name and its message id."""

    to: str
    provider: str
    message_id: str


class PermanentFailure(Exception):
    """The provider refused for good; retrying will not help. ``bounced`` means the address
    itself is bad (stop it); otherwise only this message failed."""

    def __init__(self, reason: str, *, bounced: bool):
        super().__init__(reason)
        self.reason = reason
        self.bounced = bounced


class Channel(Protocol):
    name: str

    def send(self, invitation: Invitation, sequence: int) -> Sent:
        """Send step ``sequence`` (0 = invitation, n = n-th reminder). Raises PermanentFailure
        or any other exception for a transient failure (the job retries)."""
        ...


_CHANNELS: dict[str, Channel] = {}
SkipCheck = Callable[[Invitation], "str | None"]


def register(channel: Channel) -> None:
    _CHANNELS[channel.name] = channel


def channel_for(name: str) -> Channel:
    if not _CHANNELS:
        from palaute.outreach import email_channel  # noqa: F401  registers itself

    return _CHANNELS[name]


def _no_address(invitation: Invitation) -> str | None:
    if not invitation.contact.address(invitation.channel):
        return Invitation.SkipReason.NO_ADDRESS
    return None


def _opted_out(invitation: Invitation) -> str | None:
    if invitation.contact.opted_out(invitation.channel):
        return Invitation.SkipReason.OPTED_OUT
    return None


def _bounced(invitation: Invitation) -> str | None:
    contact: Contact = invitation.contact
    if invitation.channel == "email" and contact.email_bounced_at is not None:
        return Invitation.SkipReason.BOUNCED
    return None


def _survey_closed(invitation: Invitation) -> str | None:
    survey = invitation.survey
    if not survey.is_active or survey.current_version_id is None:
        return Invitation.SkipReason.SURVEY_CLOSED
    return None


_SKIP_CHECKS: list[SkipCheck] = [_no_address, _opted_out, _bounced, _survey_closed]


def add_skip_check(check: SkipCheck) -> None:
    if check not in _SKIP_CHECKS:
        _SKIP_CHECKS.append(check)


def skip_reason(invitation: Invitation) -> str | None:
    """The first reason not to send this invitation now, or None."""
    for check in _SKIP_CHECKS:
        reason = check(invitation)
        if reason:
            return reason
    return None
