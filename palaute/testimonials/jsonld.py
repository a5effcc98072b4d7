"""schema.org markup of the public testimonials: the reviewed business with its
``AggregateRating`` and one ``Review`` per rated testimonial (JSON-LD).

Each Review names what it reviews (``itemReviewed``), its rating with the scale
(``ratingValue``, ``bestRating``, ``worstRating``) and its author as the consent allows: a
``Person`` by full name or first name and initial (with ``worksFor`` when the company may be
named), an ``Organization`` when only the company may be named, and an anonymous ``Person``
otherwise. Testimonials without a rating are left out: a Review needs one to be shown in
search results. ``script_tag`` makes the embeddable ``<script type="application/ld+json">``.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from palaute.testimonials.feed import Aggregate
from palaute.testimonials.models import Publication, Testimonial
from palaute.testimonials.naming import ORGANIZATION, PERSON

CONTEXT = "https://schema.org"


def document(
    publication: Publication, testimonials: list[Testimonial], summary: Aggregate | None
) -> dict[str, Any]:
    """The JSON-LD object; anonymous authors are named in the active language."""
    subject = _subject(publication)
    data: dict[str, Any] = {"@context": CONTEXT, **subject}
    reviews = [_review(t, subject) for t in testimonials if t.rating is not None]
    if summary is not None:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "itemReviewed": subject,
            "ratingValue": summary.value,
            "bestRating": summary.best,
            "worstRating": summary.worst,
            "ratingCount": summary.count,
        }
    if reviews:
        data["review"] = reviews
    return data


def dumps(data: dict[str, Any]) -> str:
    # "<" escaped so that the JSON can never close the <script> element it sits in.
    return json.dumps(data, ensure_ascii=False, indent=1).replace("<", "\\u003c")


def script_tag(data: dict[str, Any]) -> SafeString:
    return mark_safe(f'<script type="application/ld+json">\n{dumps(data)}\n</script>')  # noqa: S308


def _subject(publication: Publication) -> dict[str, Any]:
    subject: dict[str, Any] = {"@type": publication.subject_type, "name": publication.subject}
    if publication.subject_url:
        subject["url"] = publication.subject_url
    return subject


def _review(testimonial: Testimonial, subject: dict[str, Any]) -> dict[str, Any]:
    return {
        "@type": "Review",
        "itemReviewed": subject,
        "reviewBody": testimonial.quote,
        "inLanguage": testimonial.language,
        "datePublished": testimonial.submitted_at.date().isoformat(),
        "author": _author(testimonial),
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": testimonial.rating,
            "bestRating": testimonial.rating_best,
            "worstRating": testimonial.rating_worst,
        },
    }


def _author(testimonial: Testimonial) -> dict[str, Any]:
    shown = testimonial.consent.shown_as
    if shown.kind == ORGANIZATION:
        return {"@type": ORGANIZATION, "name": shown.company}
    if shown.kind == PERSON:
        person: dict[str, Any] = {"@type": PERSON, "name": shown.name}
        if shown.company:
            person["worksFor"] = {"@type": ORGANIZATION, "name": shown.company}
        return person
    return {"@type": PERSON, "name": _("Anonymous customer")}
