"""Everything that changes a testimonial, each in one transaction with its audit entry.

Status: pending → approved → published, or rejected; a published one can be taken down to
approved again, a rejected one reconsidered (pending). Withdrawal of the consent is final and
takes the testimonial off every public surface at once (``publication.changed``).

The quote changes only with the respondent's confirmation: staff propose an edit, the person
gets an email with a confirmation link, and until they accept, the quote stays as it was.
Repeating an action that already happened (a double click, a reloaded form) changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from palaute.accounts.models import record_audit
from palaute.outreach.jobs import enqueue
from palaute.outreach.models import Account
from palaute.testimonials.models import (
    ConsentRecord,
    QuoteProposal,
    ReferenceProfile,
    Testimonial,
)
from palaute.testimonials.publication import changed
from palaute.testimonials.respondent import email_of

Status = Testimonial.Status
MAX_QUOTE = 5000
MAX_NOTE = 500

# Which status may follow which (staff actions; withdrawal is not one of them).
NEXT = {
    Status.PENDING: (Status.APPROVED, Status.REJECTED),
    Status.APPROVED: (Status.PUBLISHED, Status.REJECTED, Status.PENDING),
    Status.PUBLISHED: (Status.APPROVED,),
    Status.REJECTED: (Status.PENDING,),
    Status.WITHDRAWN: (),
}
AUDIT_ACTIONS = {
    Status.PENDING: "testimonial.reopened",
    Status.APPROVED: "testimonial.approved",
    Status.PUBLISHED: "testimonial.published",
    Status.REJECTED: "testimonial.rejected",
}


class Refused(Exception):
    """The change is not allowed; ``field`` names the input at fault ("" for the state)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


def set_status(testimonial: Testimonial, status: str, *, actor, reason: str = "") -> Testimonial:
    """Move the testimonial to ``status``. Raises Refused."""
    with transaction.atomic():
        current = _locked(testimonial)
        if current.status == status:
            return current
        if current.consent.is_withdrawn:
            raise Refused(_("The person has withdrawn their consent."))
        if status not in NEXT[Status(current.status)]:
            raise Refused(
                _("A testimonial that is %(now)s cannot become %(next)s.")
                % {"now": current.get_status_display(), "next": Status(status).label}
            )
        if status == Status.PUBLISHED and not current.quote.strip():
            raise Refused(_("There is no quote to publish."))
        if len(reason) > MAX_NOTE:
            raise Refused(
                _("Keep the reason under %(max)s characters.") % {"max": MAX_NOTE}, "reason"
            )
        was_public = current.status == Status.PUBLISHED
        now = timezone.now()
        previous = current.status
        current.status = status
        current.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        current.decided_at = now
        current.rejection_reason = reason.strip() if status == Status.REJECTED else ""
        if status == Status.PUBLISHED:
            current.published_at = now
        current.save()
        if was_public or status == Status.PUBLISHED:
            changed(current.organisation_id)
        record_audit(
            current.organisation,
            actor,
            AUDIT_ACTIONS[Status(status)],
            audit_target(current.pk),
            {"from": previous, "to": status, "reason": current.rejection_reason},
        )
    return current


def withdraw(record: ConsentRecord, *, via: str, actor=None, note: str = "") -> ConsentRecord:
    """Take the consent back: the testimonial is withdrawn and leaves every public surface
    from the commit on; open edit proposals are cancelled. Withdrawing twice is a no-op."""
    if via == ConsentRecord.WithdrawnVia.STAFF and not note.strip():
        raise Refused(_("Say how the person asked, e.g. “phone call 3 March”."), "note")
    if len(note) > MAX_NOTE:
        raise Refused(_("Keep the note under %(max)s characters.") % {"max": MAX_NOTE}, "note")
    with transaction.atomic():
        current = ConsentRecord.objects.select_for_update().get(pk=record.pk)
        if current.is_withdrawn:
            return current
        current.withdrawn_at = timezone.now()
        current.withdrawn_via = via
        current.withdrawn_by = actor if getattr(actor, "is_authenticated", False) else None
        current.withdrawal_note = note.strip()
        current.save()
        testimonial_ids = list(
            Testimonial.objects.filter(consent=current).values_list("pk", flat=True)
        )
        Testimonial.objects.filter(consent=current).update(
            status=Status.WITHDRAWN, updated_at=current.withdrawn_at
        )
        QuoteProposal.objects.filter(
            testimonial__consent=current, status=QuoteProposal.Status.PENDING
        ).update(status=QuoteProposal.Status.CANCELLED, decided_at=current.withdrawn_at)
        changed(current.organisation_id)
        record_audit(
            current.organisation,
            actor,
            "testimonial.consent_withdrawn",
            audit_target(testimonial_ids[0]) if testimonial_ids else f"consent {current.pk}",
            {"via": via, "note": current.withdrawal_note},
        )
    return current


def propose_edit(testimonial: Testimonial, text: str, *, actor, note: str = "") -> QuoteProposal:
    """Store an edit to the quote and email the person a confirmation link. Replaces an
    earlier proposal that is still waiting. Raises Refused."""
    from palaute.testimonials.jobs import send_edit_proposal

    text = text.strip()
    if not text:
        raise Refused(_("Write the proposed quote."), "text")
    if len(text) > MAX_QUOTE:
        raise Refused(_("Keep the quote under %(max)s characters.") % {"max": MAX_QUOTE}, "text")
    if len(note) > MAX_NOTE:
        raise Refused(_("Keep the note under %(max)s characters.") % {"max": MAX_NOTE}, "note")
    with transaction.atomic():
        current = _locked(testimonial)
        if current.consent.is_withdrawn:
            raise Refused(_("The person has withdrawn their consent."))
        pending = current.proposals.filter(status=QuoteProposal.Status.PENDING).first()
        if pending is not None and pending.text == text and pending.note == note.strip():
            return pending  # the same proposal sent twice
        if text == current.quote:
            raise Refused(_("The proposal is the same as the current quote."), "text")
        address = email_of(current.consent.response)
        if not address:
            raise Refused(
                _(
                    "We have no email address for this person, so they cannot confirm an edit. "
                    "The quote can only be published as they wrote it."
                ),
                "text",
            )
        current.proposals.filter(status=QuoteProposal.Status.PENDING).update(
            status=QuoteProposal.Status.CANCELLED, decided_at=timezone.now()
        )
        proposal = QuoteProposal.objects.create(
            organisation_id=current.organisation_id,
            testimonial=current,
            text=text,
            note=note.strip(),
            sent_to=address,
            proposed_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        enqueue(send_edit_proposal, proposal.pk)
        record_audit(
            current.organisation,
            actor,
            "testimonial.edit_proposed",
            audit_target(current.pk),
            {"proposal": proposal.pk, "text": text, "note": proposal.note},
        )
    return proposal


def answer_proposal(proposal: QuoteProposal, *, accept: bool) -> QuoteProposal:
    """The respondent accepts (the quote becomes the proposal) or declines (nothing changes).
    A proposal already answered or cancelled stays as it is."""
    with transaction.atomic():
        current = QuoteProposal.objects.select_for_update().get(pk=proposal.pk)
        if current.status != QuoteProposal.Status.PENDING:
            return current
        testimonial = _locked(current.testimonial)
        if testimonial.consent.is_withdrawn:
            return current
        current.status = QuoteProposal.Status.ACCEPTED if accept else QuoteProposal.Status.DECLINED
        current.decided_at = timezone.now()
        current.save()
        if accept:
            testimonial.quote = current.text
            testimonial.save()
            if testimonial.status == Status.PUBLISHED:
                changed(testimonial.organisation_id)
        record_audit(
            testimonial.organisation,
            None,
            "testimonial.edit_accepted" if accept else "testimonial.edit_declined",
            audit_target(testimonial.pk),
            {"proposal": current.pk},
        )
    return current


def cancel_proposal(proposal: QuoteProposal, *, actor) -> QuoteProposal:
    with transaction.atomic():
        updated = QuoteProposal.objects.filter(
            pk=proposal.pk, status=QuoteProposal.Status.PENDING
        ).update(status=QuoteProposal.Status.CANCELLED, decided_at=timezone.now())
        if updated:
            record_audit(
                proposal.organisation,
                actor,
                "testimonial.edit_cancelled",
                audit_target(proposal.testimonial_id),
                {"proposal": proposal.pk},
            )
    proposal.refresh_from_db()
    return proposal


def set_reference(
    testimonial: Testimonial, account: Account | None, *, sector: str, website: str, actor
) -> None:
    """Link the testimonial to a customer account and describe the account on the public
    reference page (sector, website)."""
    if account is not None and account.organisation_id != testimonial.organisation_id:
        raise Refused(_("Choose one of your own accounts."), "account")
    with transaction.atomic():
        current = _locked(testimonial)
        current.account = account
        current.save()
        if account is not None:
            ReferenceProfile.objects.update_or_create(
                account=account,
                defaults={
                    "organisation_id": account.organisation_id,
                    "sector": sector.strip(),
                    "website": website.strip(),
                },
            )
        changed(current.organisation_id)
        record_audit(
            current.organisation,
            actor,
            "testimonial.reference_changed",
            audit_target(current.pk),
            {"account": account.pk if account else None, "sector": sector, "website": website},
        )


def changed_settings(publication, *, actor, fields: list[str]) -> None:
    """After the publication settings were saved: the public output shows them at once."""
    changed(publication.organisation_id)
    record_audit(
        publication.organisation,
        actor,
        "testimonial.settings_changed",
        f"testimonial settings {publication.pk}",
        {"fields": fields},
    )


def audit_target(testimonial_id: int) -> str:
    """The audit log's target for everything about one testimonial (and its consent)."""
    return f"testimonial {testimonial_id}"


def _locked(testimonial: Testimonial) -> Testimonial:
    return (
        Testimonial.objects.select_for_update(of=("self",))
        .select_related("consent__response", "organisation")
        .get(pk=testimonial.pk)
    )
