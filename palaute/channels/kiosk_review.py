"""What staff see about a survey's kiosks: taps per device today and the flagged taps.

Both are bounded range queries on the response index (survey, submitted_at); no more than
``FLAGGED_LIMIT`` flagged taps are loaded.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from palaute.channels.mashing import MASHING
from palaute.journeys.models import Channel
from palaute.surveys.models import Answer, Response, Survey

FLAGGED_DAYS = 30
FLAGGED_LIMIT = 200


@dataclass(frozen=True)
class DeviceDay:
    device_id: str
    taps: int
    flagged: int
    last_tap: datetime


@dataclass(frozen=True)
class FlaggedTap:
    response_id: int
    submitted_at: datetime
    device_id: str
    face: int | None
    comment: str


def start_of_today(survey: Survey, now: datetime | None = None) -> datetime:
    """Midnight in the organisation's time zone."""
    tz = zoneinfo.ZoneInfo(survey.organisation.time_zone)
    local = (now or timezone.now()).astimezone(tz)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def devices_today(survey: Survey, now: datetime | None = None) -> list[DeviceDay]:
    rows = (
        Response.objects.filter(
            survey=survey,
            channel=Channel.KIOSK,
            submitted_at__gte=start_of_today(survey, now),
        )
        .order_by()
        .values("device_id")
        .annotate(
            taps=Count("pk"),
            flagged=Count("pk", filter=~Q(flagged="")),
            last_tap=Max("submitted_at"),
        )
        .order_by("-taps", "device_id")
    )
    return [DeviceDay(**row) for row in rows[:100]]


def flagged_taps(survey: Survey, smiley_key: str | None, now: datetime | None = None):
    """(the latest flagged taps of the last FLAGGED_DAYS days, how many there are in all)."""
    since = (now or timezone.now()) - timedelta(days=FLAGGED_DAYS)
    rows = Response.objects.filter(
        survey=survey, channel=Channel.KIOSK, flagged=MASHING, submitted_at__gte=since
    )
    total = rows.count()
    latest = list(
        rows.order_by("-submitted_at").values_list("pk", "submitted_at", "device_id")[
            :FLAGGED_LIMIT
        ]
    )
    faces: dict[int, int | None] = {}
    comments: dict[int, str] = {}
    answers = Answer.objects.filter(response_id__in=[pk for pk, _, _ in latest]).values_list(
        "response_id", "question_key", "kind", "score", "text"
    )
    for response_id, key, kind, score, text in answers:
        if key == smiley_key:
            faces[response_id] = score
        elif kind == "text" and text:
            comments[response_id] = text
    taps = [
        FlaggedTap(pk, at, device, faces.get(pk), comments.get(pk, "")) for pk, at, device in latest
    ]
    return taps, total
