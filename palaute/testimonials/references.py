"""The public B2B reference page: customer accounts whose people allowed their company to be
named, each with its sector, website and published quotes.

A testimonial appears here only when it is linked to a customer account *and* its consent
names the company: "company only", or a name given together with the company. A person who
chose to be anonymous, or gave only their name, never puts their employer on this page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from palaute.testimonials.models import Naming, Publication, Testimonial
from palaute.testimonials.naming import Author
from palaute.testimonials.publication import public_testimonials

MAX_TESTIMONIALS = 200
NAMES_COMPANY = Q(consent__naming=Naming.COMPANY) | (
    Q(consent__naming__in=(Naming.FULL_NAME, Naming.FIRST_NAME_INITIAL)) & ~Q(consent__company="")
)


@dataclass
class Quote:
    testimonial: Testimonial
    author: Author


@dataclass
class Reference:
    name: str
    sector: str
    website: str
    quotes: list[Quote] = field(default_factory=list)


def references(publication: Publication) -> tuple[list[Reference], list[Testimonial]]:
    """The accounts in name order, and every testimonial shown (for the page's JSON-LD)."""
    rows = list(
        public_testimonials(publication.organisation_id)
        .filter(account__isnull=False)
        .filter(NAMES_COMPANY)
        .select_related("account")[:MAX_TESTIMONIALS]
    )
    by_account: dict[int, Reference] = {}
    for testimonial in rows:
        account = testimonial.account
        assert account is not None  # filtered above
        reference = by_account.get(account.pk)
        if reference is None:
            profile = getattr(account, "reference_profile", None)
            reference = by_account[account.pk] = Reference(
                name=account.name,
                sector=(profile.sector if profile else "") or account.sector,
                website=profile.website if profile else "",
            )
        reference.quotes.append(Quote(testimonial, testimonial.consent.shown_as))
    ordered = sorted(by_account.values(), key=lambda reference: reference.name.casefold())
    return ordered, rows
