"""Sending a survey by hand to a segment or to all contacts, in the background.

The request validates the form and records a ``SendBatch`` (survey, audience, channel, send
time, who, the form's idempotency key) with its job, in one transaction: a double click finds
the batch the first click made. The job (batches.run_in_chunks) takes the audience's contacts
in id order, ``conf.batch_chunk_size()`` at a time, and creates their invitations with
``invitations.invite`` — the same dedup keys, skip checks, frequency cap and send jobs as
before, now one chunk per transaction with the batch's cursor and counts.

The audience is evaluated chunk by chunk, so a contact added to the segment while the batch
runs is invited when their id is still ahead of the cursor; one deleted meanwhile is not. A
segment deleted before the batch is done fails the batch: it never falls back to everyone.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from palaute.accounts.models import record_audit
from palaute.outreach import conf
from palaute.outreach.batches import (
    MAX_FAILURES,
    PRIORITY,
    fail,
    give_up_after_failures,
    run_in_chunks,
)
from palaute.outreach.invitations import invite
from palaute.outreach.jobs import enqueue, retrying
from palaute.outreach.models import ChannelPreference, Contact, Segment, SendBatch
from palaute.outreach.segments import members

# Kept in English on the batch; the page translates it.
SEGMENT_DELETED = gettext_noop("The segment was deleted before the send was done.")


def start_send(
    survey,
    *,
    key: str,
    segment: Segment | None,
    channel: str,
    send_at: datetime,
    user,
) -> tuple[SendBatch, bool]:
    """Record the send and queue its job; (batch, created). The same ``key`` again returns
    the organisation's first batch with it and queues nothing."""
    organisation = survey.organisation
    with transaction.atomic():
        existing = SendBatch.objects.filter(organisation=organisation, key=key).first()
        if existing is not None:
            return existing, False
        batch = SendBatch(
            organisation=organisation,
            key=key,
            survey=survey,
            audience=SendBatch.Audience.SEGMENT if segment else SendBatch.Audience.ALL,
            segment=segment,
            segment_name=segment.name if segment else "",
            channel=channel,
            send_at=send_at,
            created_by=user,
        )
        contacts = audience(batch)
        batch.planned = contacts.count() if contacts is not None else 0
        try:
            with transaction.atomic():
                batch.save()
        except IntegrityError:  # the other click of a double click got there first
            return SendBatch.objects.get(organisation=organisation, key=key), False
        enqueue(send_batch_job, batch.pk)
        record_audit(
            organisation,
            user,
            "survey.invite",
            survey.key,
            {
                "batch": batch.pk,
                "segment": segment.pk if segment else None,
                "channel": channel,
                "planned": batch.planned,
            },
        )
    return batch, True


def audience(batch: SendBatch) -> QuerySet[Contact] | None:
    """The batch's contacts now; None when its segment has been deleted."""
    if batch.audience == SendBatch.Audience.SEGMENT:
        segment = Segment.objects.filter(pk=batch.segment_id).first() if batch.segment_id else None
        return members(segment) if segment is not None else None
    return Contact.objects.filter(organisation_id=batch.organisation_id)


@retrying(max_attempts=MAX_FAILURES + 1, base_delay=30, max_delay=900, priority=PRIORITY)
def send_batch_job(batch_id: int) -> str:
    try:
        return run_send_batch(batch_id)
    except Exception as exc:
        if give_up_after_failures(SendBatch, batch_id, exc):
            return "failed"
        raise


def run_send_batch(batch_id: int, *, budget: float | None = None) -> str:
    return run_in_chunks(
        SendBatch,
        batch_id,
        _invite_chunk,
        continuation=send_batch_job,
        budget=budget,
        begin=_count_audience,
    )


def _count_audience(batch: SendBatch) -> None:
    """The audience as the job starts (the request's count is an estimate from the form)."""
    contacts = audience(batch)
    if contacts is not None:
        batch.planned = contacts.count()


def _invite_chunk(batch: SendBatch) -> bool:
    contacts = audience(batch)
    if contacts is None:
        fail(batch, SEGMENT_DELETED)
        return False
    size = conf.batch_chunk_size()
    chunk = list(
        contacts.filter(pk__gt=batch.last_contact_id)
        .select_related("account__owner")
        .order_by("pk")[:size]
    )
    if not chunk:
        return False
    preference = batch.channel if batch.channel in ChannelPreference.values else None
    result = invite(
        batch.survey,
        chunk,
        channel="email" if preference else batch.channel,
        preference=preference,
        batch_key=batch.batch_key,
        send_at=batch.send_at,
        user=batch.created_by,
    )
    batch.last_contact_id = chunk[-1].pk
    batch.processed += len(chunk)
    batch.invited += result.scheduled
    batch.skipped += result.skipped
    batch.repeated += result.repeated
    return len(chunk) == size
