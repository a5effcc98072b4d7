"""/events: report what happened to a customer; trigger rules turn it into invitations and
journey messages (docs/automation.md). Registered on the JSON API (palaute/api/urls.py).

The same body is accepted by the signed webhook ``/hooks/events/<organisation>``
(public_views.event_webhook), which validates it with ``EventIn`` too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.http import HttpResponse
from ninja import Field, Header, Router, Schema, Status
from pydantic import AfterValidator, ConfigDict, StringConstraints

from palaute.api.errors import WRITE_ERRORS, Conflict, NotFound, ValidationFailed, responses
from palaute.api.schemas import Input, Key, Moment
from palaute.outreach.events import ContactRef, EventData, EventInvalid, record_event
from palaute.outreach.models import Event
from palaute.outreach.triggers import TriggerResult

router = Router(tags=["events"])

IDEMPOTENCY_PATTERN = r"^[\x21-\x7e]+$"
MAX_ATTRIBUTES = 30


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# Field lengths are checked by events.py, whose errors name the field (contact.name …).
Text = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=254), AfterValidator(_no_nul)
]


EventName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.\-]{0,59}$"),
]
AttributeValue = Annotated[str, AfterValidator(_no_nul)] | int | float | bool | None


def _attributes(value: dict[str, Any]) -> dict[str, Any]:
    if len(value) > MAX_ATTRIBUTES:
        raise ValueError(f"at most {MAX_ATTRIBUTES} attributes")
    for key in value:
        if "\x00" in key:
            raise ValueError("attribute names must not contain NUL characters")
    return value


class ContactIn(Input):
    external_id: Text | None = Field(
        None, description="The person's id in your own system (CRM, booking)."
    )
    email: Text | None = None
    phone: Text | None = Field(
        None, description="Any common format; without a country code read as Finnish."
    )
    name: Text | None = None
    language: Literal["fi", "en"] | None = None


class EventIn(Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "booking-4711-completed",
                    "name": "booking.completed",
                    "ends_at": "2025-06-14T18:00:00+03:00",
                    "contact": {
                        "external_id": "C-1001",
                        "email": "maija@example.com",
                        "phone": "040 123 4567",
                        "name": "Maija Meikäläinen",
                        "language": "fi",
                    },
                    "touchpoint": "private-event",
                    "attributes": {"guests": 24, "type": "wedding"},
                }
            ]
        },
    )

    id: (
        Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=IDEMPOTENCY_PATTERN)]
        | None
    ) = Field(None, description="Your id of the event: sending it again changes nothing.")
    name: EventName = Field(
        description="booking.completed, delivery.done, ticket.closed or a name of your own "
        "(a–z, 0–9, . _ -)."
    )
    occurred_at: Moment | None = Field(None, description="When it happened; default: now.")
    ends_at: Moment | None = Field(
        None, description="When it ends (a booked event, an installation visit), if later."
    )
    contact: ContactIn
    account: Text | None = Field(None, description="The customer company's name; created when new.")
    touchpoint: Key | None = Field(None, description="The key of the touchpoint it happened at.")
    attributes: Annotated[dict[str, AttributeValue], AfterValidator(_attributes)] = Field(
        default_factory=dict, description="Facts for rule conditions and message placeholders."
    )


class InvitationOut(Schema):
    id: int
    survey: str
    channel: str
    status: str
    skip_reason: str | None
    scheduled_for: datetime


class MessageOut(Schema):
    id: int
    channel: str
    status: str
    skip_reason: str | None
    scheduled_for: datetime


class EventOut(Schema):
    id: int
    external_id: str | None
    name: str
    occurred_at: datetime
    ends_at: datetime | None
    received_at: datetime
    contact_id: int
    invitations: list[InvitationOut]
    messages: list[MessageOut]


def event_data(payload: EventIn, external_id: str) -> EventData:
    contact = payload.contact
    return EventData(
        name=payload.name,
        external_id=external_id,
        occurred_at=payload.occurred_at,
        ends_at=payload.ends_at,
        account=payload.account or "",
        touchpoint=payload.touchpoint or "",
        attributes=dict(payload.attributes),
        contact=ContactRef(
            external_id=contact.external_id or "",
            email=contact.email or "",
            phone=contact.phone or "",
            name=contact.name or "",
            language=contact.language or "",
        ),
    )


def event_out(event: Event, triggered: TriggerResult | None = None) -> dict:
    """The event and what its rules scheduled; ``triggered`` saves reading back the rows
    just created."""
    if triggered is not None:
        invitations, messages = triggered.invitations, triggered.messages
    else:
        invitations = list(event.invitations.select_related("survey").order_by("pk"))
        messages = list(event.messages.order_by("pk"))
    return {
        "id": event.pk,
        "external_id": event.external_id or None,
        "name": event.name,
        "occurred_at": event.occurred_at.astimezone(UTC),
        "ends_at": event.ends_at.astimezone(UTC) if event.ends_at else None,
        "received_at": event.received_at.astimezone(UTC),
        "contact_id": event.contact_id,
        "invitations": [
            {
                "id": i.pk,
                "survey": i.survey.key,
                "channel": i.channel,
                "status": i.status,
                "skip_reason": i.skip_reason or None,
                "scheduled_for": i.scheduled_for.astimezone(UTC),
            }
            for i in invitations
        ],
        "messages": [
            {
                "id": m.pk,
                "channel": m.channel,
                "status": m.status,
                "skip_reason": m.skip_reason or None,
                "scheduled_for": m.scheduled_for.astimezone(UTC),
            }
            for m in messages
        ],
    }


@router.post(
    "/events",
    response=responses({201: EventOut, 200: EventOut}, WRITE_ERRORS),
    summary="Report an event",
)
def create_event(
    request,
    payload: EventIn,
    response: HttpResponse,
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=100,
        pattern=IDEMPOTENCY_PATTERN,
        description="Instead of the body's id: the same key again returns the first event.",
    ),
):
    """Stores the event, creates or updates its contact, and applies the trigger rules (201,
    with the invitations and messages they scheduled). An event whose ``id`` (or
    ``Idempotency-Key``) was seen before answers 200 with the stored event and the header
    ``Idempotent-Replayed: true``; nothing is sent twice."""
    if payload.id and idempotency_key and payload.id != idempotency_key:
        raise ValidationFailed([("id", "differs from the Idempotency-Key header")])
    external_id = payload.id or idempotency_key or ""
    try:
        recorded = record_event(
            request.organisation, event_data(payload, external_id), source=Event.Source.API
        )
    except EventInvalid as exc:
        raise ValidationFailed(list(exc.fields.items())) from None
    if not recorded.created:
        if recorded.event.name != payload.name:
            raise Conflict(
                "This id belongs to another event.",
                [("id", f"already used for a {recorded.event.name} event")],
            )
        response["Idempotent-Replayed"] = "true"
        return Status(200, event_out(recorded.event))
    return Status(201, event_out(recorded.event, recorded.triggered))


@router.get("/events/{event_id}", response=responses({200: EventOut}), summary="Get an event")
def get_event(request, event_id: int):
    """The event and what its rules scheduled, with the current status of each."""
    event = None
    if 0 < event_id < 2**63:
        event = Event.objects.filter(organisation=request.organisation, pk=event_id).first()
    if event is None:
        raise NotFound("No such event.")
    return event_out(event)
