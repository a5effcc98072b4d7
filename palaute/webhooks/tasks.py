"""The worker's job: one attempt at one delivery (sending.py decides what follows).

Delivery failures are not exceptions: they are recorded and rescheduled by ``sending``. The
job retries by itself only when something of ours failed (the database), a few times."""

from __future__ import annotations

from palaute.outreach.jobs import retrying
from palaute.webhooks import sending


@retrying(max_attempts=3, base_delay=30.0, max_delay=600.0)
def send_delivery_job(delivery_id: int) -> str:
    return sending.attempt_delivery(delivery_id)
