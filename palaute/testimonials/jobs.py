"""Background jobs of the testimonials app: the emails to a consenting person (emails.py),
sent by ``palaute worker`` with retries (palaute/outreach/jobs.py)."""

from __future__ import annotations

from palaute.outreach.jobs import retrying
from palaute.testimonials import emails
from palaute.testimonials.models import ConsentRecord, QuoteProposal


@retrying(max_attempts=6, base_delay=60, max_delay=3600)
def send_consent_copy(record_id: int) -> str:
    record = (
        ConsentRecord.objects.select_related("organisation", "response", "testimonial")
        .filter(pk=record_id)
        .first()
    )
    if record is None or record.is_withdrawn:
        return "skipped"
    message = emails.consent_copy(record)
    if message is None:
        return "no address"
    message.send(fail_silently=False)
    return "sent"


@retrying(max_attempts=6, base_delay=60, max_delay=3600)
def send_edit_proposal(proposal_id: int) -> str:
    proposal = (
        QuoteProposal.objects.select_related(
            "testimonial__consent__organisation", "testimonial__consent__response"
        )
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None or proposal.status != QuoteProposal.Status.PENDING:
        return "skipped"
    message = emails.edit_proposal(proposal)
    if message is None:
        return "no address"
    message.send(fail_silently=False)
    return "sent"
