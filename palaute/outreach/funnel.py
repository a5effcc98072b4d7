"""The invitation funnel of a survey: invited → delivered → opened → started → completed, in
counts and percentages of those invited, per channel and in all.

One query: the invitations of the survey grouped by channel with a conditional count per step
(the step timestamps are kept on each invitation, models.py), answered from the covering index
``invitation_funnel`` without reading the table. A step counts an invitation that
reached it *or any later step*, so the funnel never widens: an invitation opened without a
delivery report (email rarely reports one) was delivered.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q

from palaute.outreach.models import ChannelKind, Invitation

Status = Invitation.Status
STEPS = ("invited", "delivered", "opened", "started", "completed")
STEP_FILTERS = {
    "invited": Q(sent_at__isnull=False),
    "delivered": Q(delivered_at__isnull=False) | Q(opened_at__isnull=False),
    "opened": Q(opened_at__isnull=False),
    "started": Q(started_at__isnull=False),
    "completed": Q(completed_at__isnull=False),
}
OTHER_FILTERS = {
    "scheduled": Q(status__in=(Status.SCHEDULED, Status.SENDING)),
    "skipped": Q(status=Status.SKIPPED),
    "failed": Q(status__in=(Status.FAILED, Status.BOUNCED)),
}


@dataclass(frozen=True)
class Step:
    key: str
    count: int
    percent: float | None  # of invited; None when nobody was invited


@dataclass
class ChannelFunnel:
    channel: str
    label: str
    steps: list[Step]
    scheduled: int = 0
    skipped: int = 0
    failed: int = 0

    @property
    def invited(self) -> int:
        return self.steps[0].count


@dataclass
class Funnel:
    total: ChannelFunnel
    channels: list[ChannelFunnel] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.total.invited or self.total.scheduled or self.total.skipped)


def _steps(counts: dict[str, int]) -> list[Step]:
    invited = counts["invited"]
    return [
        Step(key, counts[key], round(100 * counts[key] / invited, 1) if invited else None)
        for key in STEPS
    ]


def _funnel(channel: str, label: str, counts: dict[str, int]) -> ChannelFunnel:
    return ChannelFunnel(
        channel=channel,
        label=label,
        steps=_steps(counts),
        scheduled=counts["scheduled"],
        skipped=counts["skipped"],
        failed=counts["failed"],
    )


def survey_funnel(survey) -> Funnel:
    aggregates = {
        name: Count("pk", filter=condition)
        for name, condition in {**STEP_FILTERS, **OTHER_FILTERS}.items()
    }
    rows = (
        Invitation.objects.filter(survey=survey).order_by().values("channel").annotate(**aggregates)
    )
    by_channel: dict[str, dict[str, int]] = {row["channel"]: row for row in rows}  # type: ignore[misc]
    labels = dict(ChannelKind.choices)
    keys = (*STEPS, *OTHER_FILTERS)
    total = {key: sum(row[key] for row in by_channel.values()) for key in keys}
    channels = [
        _funnel(channel, str(labels.get(channel, channel)), by_channel[channel])
        for channel in ChannelKind.values
        if channel in by_channel
    ]
    return Funnel(total=_funnel("", "", total), channels=channels)
