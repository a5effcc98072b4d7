"""What is public, and the generation that tells caches it changed.

Only a published testimonial whose consent stands is public. Every change that alters what
the public sees calls ``changed`` inside its transaction; the public caches key their entries
by the generation it bumps (public_cache.py), so the next request after the commit, in any
process, builds afresh.
"""

from __future__ import annotations

from django.db.models import F, QuerySet

from palaute.accounts.models import Organisation
from palaute.testimonials.models import Publication, Testimonial


def publication_for(organisation: Organisation) -> Publication:
    """The organisation's publication settings, created with a fresh public key on first use."""
    publication, _created = Publication.objects.get_or_create(organisation=organisation)
    return publication


def changed(organisation_id: int) -> None:
    """Bump the organisation's generation: cached public output is stale from the commit on.
    (Without a Publication row nothing public was ever served, so nothing is cached.)"""
    Publication.objects.filter(organisation_id=organisation_id).update(
        generation=F("generation") + 1
    )


def testimonial_deleted(sender, instance: Testimonial, **kwargs) -> None:
    """A testimonial deleted with its response (erasure) leaves the public output at once."""
    if instance.status == Testimonial.Status.PUBLISHED:
        changed(instance.organisation_id)


def public_testimonials(organisation_id: int) -> QuerySet[Testimonial]:
    """Published testimonials with standing consent, newest first."""
    return (
        Testimonial.objects.filter(
            organisation_id=organisation_id,
            status=Testimonial.Status.PUBLISHED,
            consent__withdrawn_at__isnull=True,
        )
        .exclude(quote="")
        .select_related("consent", "account__reference_profile")
        .order_by("-published_at", "-pk")
    )
