"""The review inbox's filters: parsed from the query string, applied to the organisation's
reviews. A value that does not parse is reported (by field) and ignored, never a 500."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from palaute.accounts.models import Organisation
from palaute.journeys.models import Location
from palaute.reviews.models import Review, ReviewSource, ReviewTheme

NO_LOCATION = "none"


@dataclass
class Filters:
    source: ReviewSource | None = None
    location: Location | None = None
    no_location: bool = False
    rating: int | None = None
    unanswered: bool = False
    changed: bool = False
    theme: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **extra: object) -> str:
        params: dict[str, object] = {}
        if self.source:
            params["source"] = self.source.pk
        if self.location:
            params["location"] = self.location.pk
        elif self.no_location:
            params["location"] = NO_LOCATION
        if self.rating:
            params["rating"] = self.rating
        if self.unanswered:
            params["unanswered"] = "1"
        if self.changed:
            params["changed"] = "1"
        if self.theme:
            params["theme"] = self.theme
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return urlencode(params)

    @property
    def active(self) -> bool:
        return any(
            (
                self.source,
                self.location,
                self.no_location,
                self.rating,
                self.unanswered,
                self.changed,
                self.theme,
            )
        )


def _pk(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def parse(params: Mapping[str, str], organisation: Organisation, theme_keys: set[str]) -> Filters:
    f = Filters()
    source = params.get("source", "")
    if source:
        f.source = ReviewSource.objects.filter(
            organisation=organisation, pk=_pk(source) or 0
        ).first()
        if f.source is None:
            f.errors["source"] = _("No such source.")
    location = params.get("location", "")
    if location == NO_LOCATION:
        f.no_location = True
    elif location:
        f.location = Location.objects.filter(
            organisation=organisation, pk=_pk(location) or 0
        ).first()
        if f.location is None:
            f.errors["location"] = _("No such location.")
    rating = params.get("rating", "")
    if rating:
        if rating in ("1", "2", "3", "4", "5"):
            f.rating = int(rating)
        else:
            f.errors["rating"] = _("Choose 1 to 5 stars.")
    f.unanswered = params.get("unanswered") in ("1", "on", "true")
    f.changed = params.get("changed") in ("1", "on", "true")
    theme = params.get("theme", "")
    if theme:
        if theme in theme_keys:
            f.theme = theme
        else:
            f.errors["theme"] = _("No such theme.")
    return f


def filtered(organisation: Organisation, f: Filters) -> QuerySet[Review]:
    qs = Review.objects.filter(organisation=organisation)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.location:
        qs = qs.filter(location=f.location)
    elif f.no_location:
        qs = qs.filter(location__isnull=True)
    if f.rating:
        qs = qs.filter(rating=f.rating)
    if f.unanswered:
        qs = qs.filter(replied_at__isnull=True)
    if f.changed:
        qs = qs.filter(changed_at__isnull=False)
    if f.theme:
        qs = qs.filter(Exists(ReviewTheme.objects.filter(review=OuterRef("pk"), theme_key=f.theme)))
    return qs.select_related("source", "touchpoint", "location", "case").order_by(
        "-reviewed_at", "-id"
    )
