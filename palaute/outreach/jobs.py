"""Background jobs on Django's task API (django-tasks), with retries.

``@retrying(max_attempts=…)`` turns a function into a task that, when it raises, records the
failure (``JobFailure``) and enqueues itself again after an exponential backoff with jitter
(base · 2^(attempt−1), capped), until ``max_attempts``. A job that raises ``RetryLater`` is
put back for the given time without counting an attempt (for "not yet": another worker holds
the claim, the invitation is not due). The retry is an ordinary new task, so it works on every
backend that supports ``run_after`` (the database backend and RQ).

``enqueue()`` adds a job in the caller's transaction when the queue lives in the same database
(the default backend), so a job exists exactly when the rows it works on were committed; for
other backends it waits for the commit.
"""

from __future__ import annotations

import functools
import logging
import random
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks_db import DatabaseBackend

from palaute.outreach.models import JobFailure

logger = logging.getLogger(__name__)

ATTEMPT_KWARG = "_attempt"


class RetryLater(Exception):
    """Not now: run this job again at ``at`` (not counted as a failed attempt)."""

    def __init__(self, at: datetime, reason: str):
        super().__init__(reason)
        self.at = at
        self.reason = reason


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Delay before attempt ``attempt + 1``: base·2^(attempt−1), capped, ±20 % jitter so
    many jobs failing together do not retry in lockstep."""
    delay = min(cap, base * 2 ** (attempt - 1))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security


def enqueue(job, *args: Any, run_after: datetime | None = None, **kwargs: Any) -> None:
    """Enqueue ``job`` atomically with the caller's transaction where the backend allows."""
    if run_after is not None:
        job = job.using(run_after=run_after)
    if isinstance(job.get_backend(), DatabaseBackend):
        job.enqueue(*args, **kwargs)
    else:
        transaction.on_commit(lambda: job.enqueue(*args, **kwargs))


def retrying(
    *, max_attempts: int = 5, base_delay: float = 30.0, max_delay: float = 3600.0, **options
) -> Callable:
    """Decorator: a django-tasks task that retries with exponential backoff (see module doc).

    The wrapped function takes JSON-serialisable arguments; the attempt number travels in the
    ``_attempt`` keyword, which the function itself never sees."""

    def decorator(func: Callable) -> Any:
        holder: dict[str, Any] = {}

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            attempt = int(kwargs.pop(ATTEMPT_KWARG, 1))
            try:
                return func(*args, **kwargs)
            except RetryLater as later:
                enqueue(holder["task"], *args, run_after=later.at, **kwargs, _attempt=attempt)
                return {"retry_at": later.at.isoformat(), "reason": later.reason}
            except Exception as exc:
                retry_at = None
                if attempt < max_attempts:
                    retry_at = timezone.now() + timedelta(
                        seconds=backoff_seconds(attempt, base_delay, max_delay)
                    )
                _record_failure(holder["task"], args, kwargs, attempt, max_attempts, exc, retry_at)
                if retry_at is not None:
                    enqueue(
                        holder["task"], *args, run_after=retry_at, **kwargs, _attempt=attempt + 1
                    )
                raise

        # django-tasks inspects the signature; it must see ``run`` itself, not ``func``.
        del run.__wrapped__  # type: ignore[attr-defined]
        holder["task"] = task(**options)(run)
        return holder["task"]

    return decorator


def _record_failure(job, args, kwargs, attempt, max_attempts, exc, retry_at) -> None:
    logger.warning("job %s failed (attempt %d/%d): %s", job.module_path, attempt, max_attempts, exc)
    JobFailure.objects.create(
        task_path=job.module_path,
        arguments={"args": list(args), "kwargs": kwargs},
        attempt=attempt,
        max_attempts=max_attempts,
        error=f"{type(exc).__name__}: {exc}"[:500],
        traceback="".join(traceback.format_exception(exc))[-4000:],
        retry_at=retry_at,
    )
