"""The agent inbox: filters from the query string, and the matching cases of one organisation.

The list is two queries whatever the page size (a count and the page, with owner and
touchpoint joined); each row's clock is computed from its columns in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from palaute.loop.models import OPEN_STATUSES, Case, Severity

OWNER_WORDS = ("anyone", "me", "unassigned")
STATUS_WORDS = ("open", "closed", "all")
MAX_QUERY = 200


@dataclass
class InboxFilters:
    owner: str = "anyone"  # "anyone", "me", "unassigned" or a member's id
    status: str = "open"  # "open", "closed", "all" or one Case.Status
    severity: str = ""
    breached: bool = False
    q: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def query(self, **extra) -> str:
        """The filters as a query string (for page links), defaults left out."""
        params: dict[str, str] = {}
        if self.owner != "anyone":
            params["owner"] = self.owner
        if self.status != "open":
            params["status"] = self.status
        if self.severity:
            params["severity"] = self.severity
        if self.breached:
            params["breached"] = "1"
        if self.q:
            params["q"] = self.q
        params.update({k: str(v) for k, v in extra.items()})
        return urlencode(params)


def members(organisation):
    """Everyone in the organisation, for the owner filter."""
    return (
        get_user_model()
        .objects.filter(memberships__organisation=organisation)
        .order_by("first_name", "last_name", "username")
    )


def parse(params, organisation, member_ids: set[int]) -> InboxFilters:
    """Read the filters; a bad value is dropped and reported under its field's name."""
    filters = InboxFilters()
    owner = params.get("owner", "").strip() or "anyone"
    if owner in OWNER_WORDS or (owner.isdigit() and int(owner) in member_ids):
        filters.owner = owner
    else:
        filters.errors["owner"] = _("Choose a member of this organisation.")
    status = params.get("status", "").strip() or "open"
    if status in STATUS_WORDS or status in Case.Status.values:
        filters.status = status
    else:
        filters.errors["status"] = _("Choose a valid status.")
    severity = params.get("severity", "").strip()
    if severity and severity not in Severity.values:
        filters.errors["severity"] = _("Choose a valid severity.")
    else:
        filters.severity = severity
    filters.breached = params.get("breached", "") in ("1", "on", "true")
    filters.q = params.get("q", "").strip()[:MAX_QUERY]
    return filters


def cases(organisation, filters: InboxFilters, *, user_id: int, now: datetime) -> QuerySet:
    rows = Case.objects.filter(organisation=organisation)
    if filters.owner == "me":
        rows = rows.filter(owner_id=user_id)
    elif filters.owner == "unassigned":
        rows = rows.filter(owner__isnull=True)
    elif filters.owner.isdigit():
        rows = rows.filter(owner_id=int(filters.owner))
    if filters.status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif filters.status == "closed":
        rows = rows.exclude(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        rows = rows.filter(status=filters.status)
    if filters.severity:
        rows = rows.filter(severity=filters.severity)
    if filters.breached:
        rows = rows.filter(
            Q(first_response_at__isnull=True, status__in=OPEN_STATUSES, due_at__lt=now)
            | Q(first_response_at__gt=F("due_at"))
        )
    if filters.q:
        text = Q(title__icontains=filters.q) | Q(customer_name__icontains=filters.q)
        text |= Q(customer_email__icontains=filters.q)
        number = filters.q.lstrip("#")
        if number.isdigit():
            text |= Q(number=int(number))
        rows = rows.filter(text)
    rows = rows.select_related("owner", "touchpoint")
    if filters.status in ("open", *OPEN_STATUSES):
        # Waiting for a first response first, the most urgent on top.
        return rows.order_by(F("first_response_at").asc(nulls_first=True), "due_at", "pk")
    return rows.order_by("-opened_at", "-pk")
