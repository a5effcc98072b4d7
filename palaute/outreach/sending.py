"""Sending one invitation step exactly once, whatever the workers do.

A worker first *claims* the invitation with a guarded UPDATE (``status='scheduled'`` →
``'sending'``, or a claim older than the send lease), commits, then talks to the provider, then
records the result with another guarded UPDATE. Two workers can never both hold the claim, so a
duplicated or retried job finds nothing to do.

The trade-off around the provider call: if a worker dies *after* the provider accepted the
message but *before* the result is committed, the claim expires after the lease
(``OUTREACH_SEND_LEASE_SECONDS``) and the step is sent again: at-least-once, with a window of
milliseconds, and the same Message-ID both times. The alternative, at-most-once, would lose an
invitation whenever a worker dies anywhere in the SMTP conversation (connect, TLS, DATA), a far
wider window. A worker that dies before the provider accepted (the common case: the SMTP call
is the slow part) causes no duplicate at all.

Reminders use the same claim on the same row: ``reminders_sent`` moves from n−1 to n only when
reminder n was handed over, and only while the invitation is still open.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from palaute.outreach import conf
from palaute.outreach.caps import earlier_within_cap
from palaute.outreach.delivery import (
    UNREACHABLE,
    PermanentFailure,
    Sent,
    channel_for,
    skip_reason,
)
from palaute.outreach.jobs import RetryLater, enqueue, retrying
from palaute.outreach.models import Contact, Invitation, OutboundMessage
from palaute.outreach.senders import outreach_settings

logger = logging.getLogger(__name__)

# An invitation step is tried this many times before it is marked failed.
MAX_SEND_ATTEMPTS = 5
Status = Invitation.Status


@retrying(max_attempts=MAX_SEND_ATTEMPTS + 1, base_delay=60, max_delay=3600)
def send_invitation_job(invitation_id: int) -> str:
    return send_invitation(invitation_id)


@retrying(max_attempts=MAX_SEND_ATTEMPTS + 1, base_delay=60, max_delay=3600)
def send_reminder_job(invitation_id: int, number: int) -> str:
    return send_reminder(invitation_id, number)


def schedule_send(invitation: Invitation) -> None:
    """Queue the job that sends ``invitation`` at its ``scheduled_for`` time (call inside the
    transaction that created it)."""
    enqueue(send_invitation_job, invitation.pk, run_after=invitation.scheduled_for)


def send_invitation(invitation_id: int) -> str:
    """Send the invitation itself. Returns what happened (for the job's result)."""
    now = timezone.now()
    lease_cut = now - timedelta(seconds=conf.send_lease_seconds())
    claimed = (
        Invitation.objects.filter(pk=invitation_id)
        .filter(
            Q(status=Status.SCHEDULED, scheduled_for__lte=now)
            | Q(status=Status.SENDING, claimed_at__lt=lease_cut)
        )
        .update(status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return _not_claimed(invitation_id)
    invitation = _load(invitation_id)
    reason = skip_reason(invitation)
    if reason in UNREACHABLE and invitation.fallback_channel:
        invitation = _switch_to_fallback(invitation)
        reason = skip_reason(invitation)
    if reason:
        _finish(invitation, Status.SKIPPED, skip_reason=reason)
        return f"skipped: {reason}"
    earlier = earlier_within_cap(invitation, now)
    if earlier is not None:
        _finish(
            invitation,
            Status.SKIPPED,
            skip_reason=Invitation.SkipReason.FREQUENCY_CAP,
            earlier=earlier,
        )
        return "skipped: frequency_cap"
    try:
        sent = channel_for(invitation.channel).send(invitation, 0)
    except PermanentFailure as failure:
        _permanent_failure(invitation, failure)
        return f"failed: {failure.reason}"
    except Exception as exc:
        if invitation.attempts >= MAX_SEND_ATTEMPTS:
            _finish(invitation, Status.FAILED, error=f"{type(exc).__name__}: {exc}")
            return "failed: out of attempts"
        # Give the claim back so the retry (or anyone) can take it at once.
        Invitation.objects.filter(pk=invitation.pk, status=Status.SENDING).update(
            status=Status.SCHEDULED,
            claimed_at=None,
            last_error=f"{type(exc).__name__}: {exc}"[:500],
        )
        raise
    _record_sent(invitation, sent)
    return "sent"


def send_reminder(invitation_id: int, number: int) -> str:
    """Send reminder ``number`` (1-based) if the invitation is still unanswered."""
    now = timezone.now()
    lease_cut = now - timedelta(seconds=conf.send_lease_seconds())
    claimed = (
        Invitation.objects.filter(
            pk=invitation_id,
            status__in=Invitation.OPEN_STATUSES,
            reminders_sent=number - 1,
            next_reminder_at__lte=now,
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=lease_cut))
        .update(claimed_at=now)
    )
    if not claimed:
        invitation = Invitation.objects.filter(pk=invitation_id).first()
        if (
            invitation is not None
            and invitation.is_open
            and invitation.reminders_sent == number - 1
            and invitation.next_reminder_at is not None
        ):
            wait = max(
                invitation.next_reminder_at,
                (invitation.claimed_at or now) + timedelta(seconds=conf.send_lease_seconds()),
            )
            raise RetryLater(wait, "reminder not due or claimed by another worker")
        return "no reminder due"
    invitation = _load(invitation_id)
    reason = skip_reason(invitation)
    if reason:
        Invitation.objects.filter(pk=invitation.pk).update(claimed_at=None, next_reminder_at=None)
        return f"reminder skipped: {reason}"
    try:
        sent = channel_for(invitation.channel).send(invitation, number)
    except PermanentFailure as failure:
        _permanent_failure(invitation, failure, reminder=True)
        return f"reminder failed: {failure.reason}"
    except Exception:
        Invitation.objects.filter(pk=invitation.pk).update(claimed_at=None)
        raise
    with transaction.atomic():
        _log_message(invitation, sent, number)
        next_at = _next_reminder_at(invitation, number, timezone.now())
        updated = Invitation.objects.filter(pk=invitation.pk, reminders_sent=number - 1).update(
            reminders_sent=number, claimed_at=None, next_reminder_at=next_at
        )
        if updated and next_at is not None:
            enqueue(send_reminder_job, invitation.pk, number + 1, run_after=next_at)
    return f"reminder {number} sent"


def cancel_reminders(invitation: Invitation) -> None:
    Invitation.objects.filter(pk=invitation.pk).update(next_reminder_at=None)


# ------------------------------------------------------------------------------ helpers


def _load(invitation_id: int) -> Invitation:
    return Invitation.objects.select_related(
        "organisation", "survey", "contact__account", "sender"
    ).get(pk=invitation_id)


def _not_claimed(invitation_id: int) -> str:
    invitation = Invitation.objects.filter(pk=invitation_id).first()
    if invitation is None:
        return "gone"
    if invitation.status == Status.SCHEDULED:
        raise RetryLater(invitation.scheduled_for, "not due yet")
    if invitation.status == Status.SENDING and invitation.claimed_at is not None:
        until = invitation.claimed_at + timedelta(seconds=conf.send_lease_seconds())
        raise RetryLater(until, "another worker holds the claim")
    return f"already {invitation.status}"


def _next_reminder_at(invitation: Invitation, sent_so_far: int, now):
    settings = outreach_settings(invitation.organisation)
    if sent_so_far >= settings.reminders:
        return None
    return now + timedelta(days=settings.reminder_after_days)


def _record_sent(invitation: Invitation, sent: Sent) -> None:
    now = timezone.now()
    with transaction.atomic():
        _log_message(invitation, sent, 0)
        next_at = _next_reminder_at(invitation, 0, now)
        updated = Invitation.objects.filter(pk=invitation.pk, status=Status.SENDING).update(
            status=Status.SENT,
            sent_at=now,
            claimed_at=None,
            last_error="",
            next_reminder_at=next_at,
        )
        if updated and next_at is not None:
            enqueue(send_reminder_job, invitation.pk, 1, run_after=next_at)


def _log_message(invitation: Invitation, sent: Sent, sequence: int) -> None:
    try:
        with transaction.atomic():
            OutboundMessage.objects.create(
                organisation_id=invitation.organisation_id,
                invitation=invitation,
                channel=invitation.channel,
                kind=OutboundMessage.Kind.INVITATION
                if sequence == 0
                else OutboundMessage.Kind.REMINDER,
                sequence=sequence,
                to=sent.to,
                provider=sent.provider,
                provider_message_id=sent.message_id,
            )
    except IntegrityError:
        # This step was handed over before (a resend after a lost result): keep the first row.
        logger.warning("invitation %s step %s was sent again", invitation.pk, sequence)


def _finish(
    invitation: Invitation,
    status: str,
    *,
    skip_reason: str = "",
    error: str = "",
    earlier: Invitation | None = None,
) -> None:
    Invitation.objects.filter(pk=invitation.pk, status=Status.SENDING).update(
        status=status,
        skip_reason=skip_reason,
        last_error=error[:500],
        claimed_at=None,
        next_reminder_at=None,
        finished_at=timezone.now(),
        earlier_invitation=earlier,
    )


def _switch_to_fallback(invitation: Invitation) -> Invitation:
    """The contact can no longer be reached on the chosen channel (opted out, bounced, the
    address removed since the invitation was made): use the preference's other channel."""
    Invitation.objects.filter(pk=invitation.pk, status=Status.SENDING).update(
        channel=invitation.fallback_channel, fallback_channel=""
    )
    invitation.channel, invitation.fallback_channel = invitation.fallback_channel, ""
    return invitation


def _permanent_failure(
    invitation: Invitation, failure: PermanentFailure, *, reminder=False
) -> None:
    with transaction.atomic():
        if failure.bounced and invitation.channel == "email":
            stop_email(invitation.contact, failure.reason)
        if reminder:
            status = Status.BOUNCED if failure.bounced else invitation.status
            Invitation.objects.filter(pk=invitation.pk).update(
                status=status,
                claimed_at=None,
                next_reminder_at=None,
                last_error=failure.reason[:500],
            )
        else:
            _finish(
                invitation,
                Status.BOUNCED if failure.bounced else Status.FAILED,
                error=failure.reason,
            )


def stop_email(contact: Contact, reason: str) -> None:
    """A hard bounce: no more email to this address until someone changes it."""
    Contact.objects.filter(pk=contact.pk, email_bounced_at__isnull=True).update(
        email_bounced_at=timezone.now(), email_bounce_reason=reason[:300]
    )
