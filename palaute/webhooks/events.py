"""Outgoing webhooks: the one function other apps call.

    emit(organisation, event: str, payload: dict) -> None

Call it inside the transaction that made the change. It records one ``Delivery`` per active
endpoint of the organisation subscribed to ``event`` (``response.created``, ``case.opened``,
``case.resolved``, …) and queues a send job for each, in the same transaction when the job
queue lives in the database (so a delivery exists exactly when the change was committed) and
after the commit otherwise. It never raises for an endpoint's problems and makes no network
call itself: the worker sends (sending.py).

It is on the path of every survey submission, so the common case — no endpoint wants this
event — must cost next to nothing: the answer "none" is remembered per process for a few
seconds (``conf.no_endpoints_cache_seconds``) and forgotten at once when this process saves or
deletes one of the organisation's endpoints. Another process notices a new endpoint within
those seconds. Only a negative answer is cached: a remembered endpoint could have been deleted
since, and a delivery to it would break the caller's transaction.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from palaute.lib.sqlinsert import insert_unless_duplicate
from palaute.outreach.jobs import enqueue
from palaute.webhooks import conf
from palaute.webhooks.models import Delivery, Endpoint

logger = logging.getLogger(__name__)

MAX_REMEMBERED = 100_000
# (organisation id, event) → monotonic time until which "no endpoint wants it" holds.
_none_until: dict[tuple[int, str], float] = {}


def emit(organisation, event: str, payload: dict[str, Any]) -> None:
    """Record and queue ``event`` for every active endpoint of ``organisation`` that wants it."""
    endpoint_ids = subscribers(organisation.pk, event)
    if not endpoint_ids:
        return
    try:
        json.dumps(payload, cls=DjangoJSONEncoder)
    except (TypeError, ValueError):
        logger.exception("webhook payload of %s is not JSON; not sent", event)
        return
    queue_deliveries(organisation.pk, event, payload, endpoint_ids)


def subscribers(organisation_id: int, event: str) -> list[int]:
    """Ids of the organisation's active endpoints subscribed to ``event``: one indexed query,
    or none while this process remembers that there are none."""
    key = (organisation_id, event)
    if _none_until.get(key, 0.0) > time.monotonic():
        return []
    found = [pk for pk, events in _active_endpoints(organisation_id) if event in events]
    if not found:
        if len(_none_until) > MAX_REMEMBERED:
            _none_until.clear()
        _none_until[key] = time.monotonic() + conf.no_endpoints_cache_seconds()
    return found


def _active_endpoints(organisation_id: int) -> list[tuple[int, list[str]]]:
    """(id, events) of the organisation's active endpoints. Plain SQL: on the submission path
    the ORM's query building cost several times the query itself. Subscriptions are filtered
    by the caller, as JSON containment queries differ between databases."""
    with connection.cursor() as cursor:
        cursor.execute(_active_endpoints_sql(), [organisation_id, True])
        rows = cursor.fetchall()
    return [(pk, json.loads(events) if isinstance(events, str) else events) for pk, events in rows]


@functools.cache
def _active_endpoints_sql() -> str:
    meta, quote = Endpoint._meta, connection.ops.quote_name
    column = {field.name: quote(str(field.column)) for field in meta.concrete_fields}
    return (
        f"SELECT {column['id']}, {column['events']} FROM {quote(meta.db_table)} "
        f"WHERE {column['organisation']} = %s AND {column['is_active']} = %s"
    )


def queue_deliveries(
    organisation_id: int, event: str, payload: dict[str, Any], endpoint_ids: list[int]
) -> list[Delivery]:
    """One delivery per endpoint, all with the same event id and time, each with its job."""
    from palaute.webhooks.tasks import send_delivery_job

    event_id = uuid.uuid4()
    now = timezone.now()
    deliveries = []
    # Joins the caller's transaction (no savepoint on the hot path); its own one otherwise.
    with transaction.atomic(savepoint=False):
        for endpoint_id in endpoint_ids:
            delivery = Delivery(
                organisation_id=organisation_id,
                endpoint_id=endpoint_id,
                event=event,
                event_id=event_id,
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            if insert_unless_duplicate(delivery, ("endpoint", "event_id")):  # a fresh uuid: yes
                enqueue(send_delivery_job, delivery.pk)
                deliveries.append(delivery)
    return deliveries


def forget_organisation(organisation_id: int) -> None:
    """Drop what this process remembers about the organisation's endpoints."""
    for key in [key for key in _none_until if key[0] == organisation_id]:
        _none_until.pop(key, None)


def on_endpoint_changed(sender, instance: Endpoint, **kwargs) -> None:
    """post_save / post_delete of an Endpoint: forget now, and again after the commit (a
    submission between the two could have remembered "none" from before the change)."""
    organisation_id = instance.organisation_id
    forget_organisation(organisation_id)
    transaction.on_commit(lambda: forget_organisation(organisation_id), robust=True)
