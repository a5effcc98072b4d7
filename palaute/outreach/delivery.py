"""Channels an invitation can be sent on, and the checks that skip a send.

A channel turns one invitation step (the invitation, or reminder n) into one message and hands
it to its provider. The email channel lives in ``email_channel.py``; another channel (SMS)
registers itself with ``register``. Skip checks run when an invitation is created and again
just before it is sent, since a contact may opt out in between; further checks (a frequency
cap, say) join the list with ``add_skip_check``.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.core.mail import EmailMessage

from palaute.outreach.models import ChannelKind, ChannelPreference, Contact, Invitation
from palaute.outreach.phones import can_receive_sms


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


def send_email(email: EmailMessage) -> None:
    """Send over SMTP and say which refusals are final: a 5xx for every recipient, or a 5xx
    for the message, raise PermanentFailure (the first bounced); anything else propagates and
    is retried. Invitations and case replies send through here."""
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            detail = "; ".join(f"{code} {text!r}" for code, text in exc.recipients.values())
            raise PermanentFailure(f"recipient refused: {detail}", bounced=True) from exc
        raise
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            reason = f"{exc.smtp_code} {exc.smtp_error!r}"
            raise PermanentFailure(f"message refused: {reason}", bounced=False) from exc
        raise


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
    if name not in _CHANNELS:
        from palaute.outreach import email_channel, sms_channel  # noqa: F401  register themselves

    return _CHANNELS[name]


def _no_address(invitation: Invitation) -> str | None:
    if not invitation.contact.address(invitation.channel):
        return Invitation.SkipReason.NO_ADDRESS
    return None


def _not_mobile(invitation: Invitation) -> str | None:
    if invitation.channel == ChannelKind.SMS and not can_receive_sms(invitation.contact.phone):
        return Invitation.SkipReason.NOT_MOBILE
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


_SKIP_CHECKS: list[SkipCheck] = [_no_address, _not_mobile, _opted_out, _bounced, _survey_closed]


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


# ------------------------------------------------------------------- channel preference

# Reasons a contact cannot be reached on a channel; with a preference, the other channel is
# tried instead.
UNREACHABLE = (
    Invitation.SkipReason.NO_ADDRESS,
    Invitation.SkipReason.NOT_MOBILE,
    Invitation.SkipReason.OPTED_OUT,
    Invitation.SkipReason.BOUNCED,
)
_ORDER = {
    ChannelPreference.EMAIL_FIRST: (ChannelKind.EMAIL, ChannelKind.SMS),
    ChannelPreference.SMS_FIRST: (ChannelKind.SMS, ChannelKind.EMAIL),
    ChannelPreference.EMAIL_ONLY: (ChannelKind.EMAIL,),
    ChannelPreference.SMS_ONLY: (ChannelKind.SMS,),
}


def reachable(contact: Contact, channel: str) -> bool:
    if not contact.address(channel) or contact.opted_out(channel):
        return False
    if channel == ChannelKind.SMS and not can_receive_sms(contact.phone):
        return False
    return not (channel == ChannelKind.EMAIL and contact.email_bounced_at is not None)


def choose_channel(contact: Contact, preference: str) -> tuple[str, str]:
    """(channel, fallback) for ``contact`` under ``preference``: the first channel the contact
    can be reached on, and the next one to switch to if that changes before sending. When
    none is reachable, the first (the invitation is then skipped with the reason)."""
    order = _ORDER[ChannelPreference(preference)]
    usable = [channel for channel in order if reachable(contact, channel)]
    if not usable:
        return order[0], ""
    later = [channel for channel in order if channel != usable[0] and contact.address(channel)]
    return usable[0], (later[0] if later else "")
