"""Outgoing webhooks: the one function other apps call.

CONTRACT (the implementation is being written; keep this signature):

    emit(organisation, event: str, payload: dict) -> None

Call it inside the transaction that made the change. It records one delivery per active
endpoint of the organisation subscribed to ``event`` (``response.created``, ``case.opened``,
``case.resolved``, …) and queues the sending for after the commit. It never raises for an
endpoint's problems and makes no network call itself.
"""

from __future__ import annotations

from typing import Any


def emit(organisation, event: str, payload: dict[str, Any]) -> None:
    """Placeholder until the webhooks app lands (see the contract above)."""
    return None
