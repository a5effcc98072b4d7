"""Small display helpers of the review pages."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | int | None) -> str:
    """A response time a person reads at a glance: "45 min", "3 h 20 min", "2 d 4 h"."""
    if seconds is None:
        return "–"
    minutes = int(seconds) // 60
    if minutes < 60:
        return _("%(m)s min") % {"m": max(minutes, 0)}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)s h %(m)s min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h") % {"d": days, "h": hours}


@register.filter
def stars(rating: int | None) -> str:
    """★★★☆☆ for 3; empty for no rating."""
    if not rating:
        return ""
    return "★" * rating + "☆" * (5 - rating)


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f} %"
