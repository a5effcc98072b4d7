"""Sending one delivery: claim it, POST it, record the attempt, decide what comes next.

- 2xx: delivered.
- 410 Gone: the receiver says the endpoint no longer exists; the delivery is given up and the
  endpoint turned off.
- Anything else (another status, a 3xx — redirects are not followed for POST —, no answer, a
  timeout, an address that is not allowed): the attempt failed; the next one is scheduled
  after ``conf.RETRY_DELAYS`` (±20 % jitter; a longer Retry-After on 429/503 is honoured)
  until ``conf.MAX_ATTEMPTS``, then the delivery is given up. After
  ``conf.disable_after_given_up()`` deliveries given up in a row the endpoint is turned off.
- A ``ping`` (the "Send test event" button) is tried once and never changes the endpoint.

A worker claims a delivery with a guarded UPDATE that sets ``locked_until`` (a lease longer
than any request can take), so two workers — or a retry job and a "redeliver" click — never
send it at the same time, and a claim left by a dead worker runs out by itself. The HTTP
request is made outside any database transaction.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from palaute.accounts.models import record_audit
from palaute.lib import http
from palaute.outreach.jobs import RetryLater, enqueue
from palaute.webhooks import addresses, conf, event_types, signing, slack
from palaute.webhooks.models import EXCERPT_BYTES, Attempt, Delivery, Endpoint
from palaute.webhooks.payloads import iso

USER_AGENT = "Palaute-Webhooks/1"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status: int | None = None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def attempt_delivery(delivery_id: int, now: datetime | None = None) -> str:
    """Make the next attempt of a delivery if it is due; returns what happened (for the job
    result)."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        state = Delivery.objects.filter(pk=delivery_id).values("status", "locked_until").first()
        if state is None:
            return "deleted"
        locked_until = state["locked_until"]
        if locked_until and locked_until > now and state["status"] not in _FINAL:
            raise RetryLater(locked_until, "another worker is sending this delivery")
        return "not due"
    delivery = Delivery.objects.select_related("endpoint", "organisation").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event != event_types.PING:
        _give_up_unsent(delivery, "the endpoint is turned off")
        return "endpoint off"
    started = timezone.now()
    outcome = send(delivery, endpoint)
    return record(delivery, outcome, started)


def send(delivery: Delivery, endpoint: Endpoint) -> Outcome:
    """POST the delivery (no database writes here)."""
    problem = addresses.resolve_problem(endpoint.url)
    if problem:
        return Outcome(error=problem)
    try:
        body = request_body(delivery, endpoint)
    except Exception as error:  # a payload the chat formatter did not expect: log, retry
        logger.exception("webhook delivery %s: the body could not be built", delivery.pk)
        return Outcome(error=f"the message could not be built: {error}"[:1000])
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Palaute-Event": delivery.event,
        "Palaute-Delivery": str(delivery.event_id),
        "Palaute-Attempt": str(delivery.attempts + 1),
        signing.HEADER: signing.header_value(endpoint.signing_secrets(), body),
    }
    start = time.monotonic()
    try:
        result = http.request(
            "POST",
            endpoint.url,
            data=body,
            headers=headers,
            timeout=conf.timeout(),
            max_body=EXCERPT_BYTES,
        )
    except (http.TransportError, ValueError) as error:
        return Outcome(error=str(error)[:1000], duration_ms=_elapsed_ms(start))
    return Outcome(
        status=result.status,
        excerpt=excerpt(result.body),
        duration_ms=_elapsed_ms(start),
        retry_after=_retry_after(result),
    )


def request_body(delivery: Delivery, endpoint: Endpoint) -> bytes:
    """The exact bytes sent (and signed): the envelope for generic endpoints, a chat message
    for Slack-compatible ones. The same on every attempt."""
    if endpoint.kind == Endpoint.Kind.SLACK:
        document = slack.message(delivery)
    else:
        document = envelope(delivery)
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def envelope(delivery: Delivery) -> dict:
    return {
        "id": str(delivery.event_id),
        "type": delivery.event,
        "created_at": iso(delivery.created_at),
        "organisation": delivery.organisation.slug,
        "data": delivery.payload,
    }


def record(delivery: Delivery, outcome: Outcome, started: datetime) -> str:
    """Store the attempt and the delivery's new state; schedule the next attempt or turn the
    endpoint off as the rules say."""
    now = timezone.now()
    number = delivery.attempts + 1
    is_ping = delivery.event == event_types.PING
    fields: dict[str, Any] = {
        "attempts": number,
        "response_status": outcome.status,
        "response_excerpt": outcome.excerpt,
        "last_error": outcome.error,
        "duration_ms": outcome.duration_ms,
        "locked_until": None,
    }
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=started,
            response_status=outcome.status,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
        )
        if outcome.ok:
            fields.update(status=Delivery.Status.SUCCEEDED, delivered_at=now, next_attempt_at=None)
            if not is_ping:
                Endpoint.objects.filter(pk=delivery.endpoint_id).update(
                    given_up_in_row=0, last_success_at=now
                )
            result = "delivered"
        elif outcome.status == 410:
            fields.update(status=Delivery.Status.GIVEN_UP, next_attempt_at=None)
            _turn_off(delivery.endpoint, Endpoint.DisabledReason.GONE)
            result = "gone"
        elif number < conf.MAX_ATTEMPTS and not is_ping:
            retry_at = now + timedelta(seconds=retry_delay(number, outcome.retry_after))
            fields.update(status=Delivery.Status.FAILED, next_attempt_at=retry_at)
            _schedule(delivery.pk, retry_at)
            result = f"failed, retry at {retry_at.isoformat()}"
        else:
            fields.update(status=Delivery.Status.GIVEN_UP, next_attempt_at=None)
            if not is_ping:
                _count_given_up(delivery.endpoint)
            result = "given up"
        Delivery.objects.filter(pk=delivery.pk).update(**fields)
    return result


def retry_delay(attempt: int, retry_after: int | None = None) -> float:
    """Seconds before the attempt after ``attempt`` (1-based)."""
    base = conf.RETRY_DELAYS[min(attempt, len(conf.RETRY_DELAYS)) - 1]
    delay = base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
    if retry_after:
        delay = max(delay, min(retry_after, conf.MAX_RETRY_AFTER))
    return delay


def redeliver(delivery: Delivery) -> bool:
    """Send again now (any status): the next attempt is due at once and a job is queued.
    False while a worker is sending it."""
    now = timezone.now()
    with transaction.atomic():
        changed = (
            Delivery.objects.filter(pk=delivery.pk)
            .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
            .update(status=Delivery.Status.PENDING, next_attempt_at=now)
        )
        if changed:
            _schedule(delivery.pk, None)
    return bool(changed)


def excerpt(body: bytes) -> str:
    """At most 1 KB of the receiver's answer, as text a database column can hold."""
    text = body[:EXCERPT_BYTES].decode("utf-8", errors="replace").replace("\x00", "")
    while len(text.encode()) > EXCERPT_BYTES:  # replacement characters grow the text
        text = text[:-1]
    return text


# ----------------------------------------------------------------------------- helpers

_FINAL = (Delivery.Status.SUCCEEDED, Delivery.Status.GIVEN_UP)


def _claim(delivery_id: int, now: datetime) -> bool:
    claimed = (
        Delivery.objects.filter(
            pk=delivery_id,
            status__in=(Delivery.Status.PENDING, Delivery.Status.FAILED),
            next_attempt_at__lte=now,
        )
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(locked_until=now + timedelta(seconds=conf.lease_seconds()))
    )
    return claimed == 1


def _schedule(delivery_id: int, at: datetime | None) -> None:
    from palaute.webhooks.tasks import send_delivery_job

    enqueue(send_delivery_job, delivery_id, run_after=at)


def _give_up_unsent(delivery: Delivery, reason: str) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(
        status=Delivery.Status.GIVEN_UP, last_error=reason, next_attempt_at=None, locked_until=None
    )


def _count_given_up(endpoint: Endpoint) -> None:
    Endpoint.objects.filter(pk=endpoint.pk).update(given_up_in_row=F("given_up_in_row") + 1)
    endpoint.refresh_from_db(fields=["given_up_in_row", "is_active"])
    if endpoint.is_active and endpoint.given_up_in_row >= conf.disable_after_given_up():
        _turn_off(endpoint, Endpoint.DisabledReason.FAILING)


def _turn_off(endpoint: Endpoint, reason: str) -> None:
    """Turn the endpoint off (once) and write it in the audit log."""
    now = timezone.now()
    changed = Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason, disabled_at=now, updated_at=now
    )
    if changed:
        record_audit(
            endpoint.organisation,
            None,
            "webhook.auto_disable",
            endpoint.name,
            {"endpoint": endpoint.pk, "reason": reason},
        )


def _retry_after(result: http.HttpResult) -> int | None:
    if result.status not in (429, 503):
        return None
    headers = {name.lower(): value for name, value in result.headers.items()}
    value = str(headers.get("retry-after", "")).strip()
    return int(value) if value.isdigit() else None


def _elapsed_ms(start: float) -> int:
    return int((time.monotonic() - start) * 1000)
