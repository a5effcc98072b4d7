"""Button-mashing on a kiosk: a burst of taps from one device (BRIEF §2).

The rule: a tap is flagged ``mashing`` when the same device already made ``BURST_TAPS`` (5)
taps for the same survey in the ``BURST_WINDOW`` (10 s) before it. In other words, of six or
more taps less than ten seconds apart the first five count and the rest are kept, visible,
but left out of the metrics. Taps already flagged still count towards a burst: a child who
keeps tapping keeps being flagged.

The rule depends only on the set of tap times, never on the order in which the taps reach
the server, so a kiosk that syncs its offline queue in batches (or out of order) ends with
the same flags as one that was online all along. Adding taps can only add flags, so a sync
never clears a flag; staff clear them with ``unflag`` ("count these anyway").

``flag`` and ``unflag`` keep ``ScoreCount`` consistent: they subtract or add the response's
answers in the same transaction that changes the flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from palaute.insights.rollup import count_response
from palaute.journeys.models import Channel
from palaute.surveys.models import Response
from palaute.surveys.signals import response_recorded

MASHING = "mashing"
BURST_TAPS = 5
BURST_WINDOW = timedelta(seconds=10)


@dataclass(frozen=True)
class TapTime:
    """A tap as the rule sees it: when, and a key that orders equal times the same way on
    every run (the idempotency key)."""

    at: datetime
    key: str


def over_limit(taps: Iterable[TapTime]) -> set[str]:
    """Keys of the taps that come after ``BURST_TAPS`` others within ``BURST_WINDOW``."""
    ordered = sorted(taps, key=lambda tap: (tap.at, tap.key))
    flagged: set[str] = set()
    first = 0  # the earliest tap still inside the window that ends at ``tap``
    for index, tap in enumerate(ordered):
        while tap.at - ordered[first].at >= BURST_WINDOW:
            first += 1
        if index - first >= BURST_TAPS:
            flagged.add(tap.key)
    return flagged


@dataclass(frozen=True)
class Plan:
    """What storing a batch of new taps means for the flags."""

    new_flagged: set[str]  # keys of the new taps to store flagged
    stored_to_flag: list[int]  # ids of stored responses the new taps push over the limit


def plan(survey, device_id: str, new: Sequence[TapTime]) -> Plan:
    """Flags for ``new`` taps of ``device_id`` and for its stored taps near them.

    A new tap at time t can change the flag of stored taps in [t, t + window) and its own flag
    depends on taps in (t - window, t], so reading the device's stored taps from
    ``min - window`` to ``max + window`` is enough: one range query on
    (survey, device_id, submitted_at), kiosk taps only.
    """
    if not new:
        return Plan(set(), [])
    start = min(tap.at for tap in new) - BURST_WINDOW
    end = max(tap.at for tap in new) + BURST_WINDOW
    stored = list(
        Response.objects.filter(
            survey=survey,
            channel=Channel.KIOSK,
            device_id=device_id,
            submitted_at__gte=start,
            submitted_at__lte=end,
        ).values_list("pk", "submitted_at", "idempotency_key", "flagged")
    )
    flagged = over_limit(
        [TapTime(at, key) for _, at, key, _ in stored] + list(new),
    )
    new_keys = {tap.key for tap in new}
    return Plan(
        new_flagged=flagged & new_keys,
        stored_to_flag=[pk for pk, _, key, flag in stored if key in flagged and not flag],
    )


def flag(survey, response_ids: Iterable[int], reason: str = MASHING) -> int:
    """Flag the survey's unflagged responses among ``response_ids`` and take their answers
    out of the counts. Returns how many changed."""
    return _set_flag(survey, response_ids, reason)


def unflag(survey, response_ids: Iterable[int]) -> int:
    """Clear the flag of the survey's flagged responses among ``response_ids`` and count
    their answers again. Returns how many changed."""
    return _set_flag(survey, response_ids, "")


def _set_flag(survey, response_ids: Iterable[int], reason: str) -> int:
    ids = list(response_ids)
    if not ids:
        return 0
    with transaction.atomic():
        # Locked so that two staff members clicking at once cannot count a response twice.
        rows = Response.objects.select_for_update(of=("self",)).filter(survey=survey, pk__in=ids)
        rows = rows.filter(flagged="") if reason else rows.exclude(flagged="")
        changed = list(rows.select_related("organisation").prefetch_related("answers"))
        sign = -1 if reason else 1
        for response in changed:
            count_response(response, response.answers.all(), sign=sign)
        Response.objects.filter(pk__in=[r.pk for r in changed]).update(flagged=reason)
        if not reason:
            # Counted again: its comment is analysed like any new one (flagged ones were not).
            for response in changed:
                response.flagged = ""
                response_recorded.send(
                    Response, response=response, answers=list(response.answers.all())
                )
    return len(changed)
