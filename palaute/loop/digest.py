"""The daily digest: each member who owns open cases gets one email a day at their digest hour
(in the organisation's time zone) listing what is overdue, what is due today and the rest of
their open cases.

The periodic duty calls ``send_due_digests`` every minute. A member is due when their local
hour is the digest hour (or up to ``GRACE_HOURS`` later, when the worker was down at the
time) and they have had no digest since local midnight; claiming is a guarded UPDATE of
``last_digest_at``, so two workers never send the same day's digest twice.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from palaute.accounts.models import Organisation
from palaute.loop import notifications, owners
from palaute.loop.models import OPEN_STATUSES, Case, NotificationPreference
from palaute.loop.payloads import case_url
from palaute.loop.targets import clock
from palaute.outreach.conf import site_url
from palaute.outreach.jobs import enqueue, retrying

GRACE_HOURS = 3
LISTED = 30


def local_midnight(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


def is_due(pref: NotificationPreference, now: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    if not pref.daily_digest:
        return False
    hour = now.astimezone(zone).hour
    if not pref.digest_hour <= hour < pref.digest_hour + GRACE_HOURS:
        return False
    return pref.last_digest_at is None or pref.last_digest_at < local_midnight(now, zone)


def send_due_digests(now: datetime | None = None, *, send_now: bool = False) -> int:
    """Queue (or send) the digests that are due now; returns how many."""
    now = now or timezone.now()
    owners_by_org: dict[int, set[int]] = defaultdict(set)
    pairs = (
        Case.objects.filter(status__in=OPEN_STATUSES, owner__isnull=False)
        .values_list("organisation_id", "owner_id")
        .distinct()
    )
    for organisation_id, owner_id in pairs:
        owners_by_org[organisation_id].add(owner_id)
    zones = dict(Organisation.objects.filter(pk__in=owners_by_org).values_list("pk", "time_zone"))
    sent = 0
    for organisation_id, user_ids in owners_by_org.items():
        zone = zoneinfo.ZoneInfo(zones[organisation_id])
        prefs = {
            p.user_id: p
            for p in NotificationPreference.objects.filter(
                organisation_id=organisation_id, user_id__in=user_ids
            )
        }
        for user_id in sorted(user_ids):
            pref = prefs.get(user_id) or NotificationPreference(
                organisation_id=organisation_id, user_id=user_id
            )
            if is_due(pref, now, zone) and claim(organisation_id, user_id, now, zone):
                if send_now:
                    send_digest(organisation_id, user_id, now.isoformat())
                else:
                    enqueue(send_digest_job, organisation_id, user_id, now.isoformat())
                sent += 1
    return sent


def claim(organisation_id: int, user_id: int, now: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    """True for exactly one caller per member and local day."""
    NotificationPreference.objects.get_or_create(organisation_id=organisation_id, user_id=user_id)
    with transaction.atomic():
        return bool(
            NotificationPreference.objects.filter(
                Q(last_digest_at__isnull=True) | Q(last_digest_at__lt=local_midnight(now, zone)),
                organisation_id=organisation_id,
                user_id=user_id,
            ).update(last_digest_at=now)
        )


@retrying(max_attempts=5, base_delay=60)
def send_digest_job(organisation_id: int, user_id: int, at: str) -> str:
    return send_digest(organisation_id, user_id, at)


def send_digest(organisation_id: int, user_id: int, at: str) -> str:
    """Compose the member's digest as of ``at`` and send it."""
    now = datetime.fromisoformat(at)
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    user = get_user_model().objects.filter(pk=user_id).first()
    if organisation is None or user is None:
        return "gone"
    if not user.email:
        return "no email address"
    zone = zoneinfo.ZoneInfo(organisation.time_zone)
    end_of_day = local_midnight(now, zone) + timedelta(days=1)
    cases = list(
        Case.objects.filter(organisation=organisation, owner_id=user_id, status__in=OPEN_STATUSES)
        .select_related("organisation", "touchpoint")
        .order_by("due_at", "pk")
    )
    if not cases:
        return "nothing open"
    overdue = [c for c in cases if c.first_response_at is None and c.due_at <= now]
    today = [c for c in cases if c.first_response_at is None and now < c.due_at < end_of_day]
    rest = [c for c in cases if c not in overdue and c not in today]
    pref = notifications.preference(organisation_id, user_id)
    with translation.override(notifications.language_for(organisation, pref)):
        sections = [
            (_("Overdue"), overdue),
            (_("Due today"), today),
            (_("Other open cases"), rest),
        ]
        body = render_to_string(
            "loop/email/digest.txt",
            {
                "recipient": owners.display_name(user),
                "organisation": organisation.name,
                "total": len(cases),
                "sections": [
                    (title, [_line(c, now) for c in group[:LISTED]], len(group))
                    for title, group in sections
                    if group
                ],
                "inbox_url": site_url()
                + reverse("case_list")
                + f"?owner=me&org={organisation.slug}",
            },
        )
        subject = _(
            "[%(organisation)s] Your open cases: %(overdue)d overdue, %(today)d due today"
        ) % {
            "organisation": organisation.name,
            "overdue": len(overdue),
            "today": len(today),
        }
    EmailMessage(subject[:200], body, settings.DEFAULT_FROM_EMAIL, [user.email]).send()
    return f"digest of {len(cases)} cases to user {user_id}"


def _line(case: Case, now: datetime) -> dict:
    return {
        "number": case.number,
        "title": case.title,
        "severity": case.get_severity_display(),
        "clock": clock(case, now).text,
        "url": case_url(case),
    }
