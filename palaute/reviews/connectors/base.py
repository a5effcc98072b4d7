"""What every connector shares: its error, its reply result, time parsing, and turning an
HTTP answer into data or a ``ConnectorError``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from palaute.lib import http
from palaute.reviews.incoming import IncomingReview

_FRACTION = re.compile(r"\.(\d+)")


class ConnectorError(Exception):
    """The platform could not be read or written. ``retryable``: worth trying again later
    (no answer, 5xx, 429); otherwise a person must act (a refused token, a wrong ID)."""

    def __init__(self, message: str, *, retryable: bool = True, status: int | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status


@dataclass(frozen=True)
class PostedReply:
    external_id: str
    posted_at: datetime


class Connector(Protocol):
    def pages(self, since: datetime | None) -> Iterator[list[IncomingReview]]: ...

    def post_reply(self, reply_target: str, body: str) -> PostedReply: ...


def parse_time(value: str | None) -> datetime | None:
    """RFC 3339 (Google's "2014-10-02T15:01:23.045123456Z", Facebook's
    "2019-03-04T09:30:00+0000") → an aware datetime; None for empty or unreadable values."""
    if not value:
        return None
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), value.strip(), count=1)
    text = text.replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):  # +0000 → +00:00
        text = f"{text[:-2]}:{text[-2:]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def describe_failure(platform: str, result: http.HttpResult) -> str:
    """A short message from an error answer: status and the platform's own message."""
    detail = ""
    try:
        body = result.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code = error.get("code", "")
            detail = (
                f"{error.get('message', '')} (code {code})" if code else error.get("message", "")
            )
        elif isinstance(error, str):
            detail = str(body.get("error_description") or error)
    return f"{platform} answered HTTP {result.status}" + (f": {detail}" if detail else "")


def json_body(platform: str, result: http.HttpResult) -> dict[str, Any]:
    """The JSON object of a successful answer, or a ConnectorError."""
    if not result.ok:
        retryable = result.status >= 500 or result.status == 429
        raise ConnectorError(
            describe_failure(platform, result), retryable=retryable, status=result.status
        )
    try:
        body = result.json()
    except ValueError:
        raise ConnectorError(f"{platform} answered with something that is not JSON") from None
    if not isinstance(body, dict):
        raise ConnectorError(f"{platform} answered with JSON that is not an object")
    return body


def send(method: str, url: str, platform: str, **kwargs: Any) -> http.HttpResult:
    """One request; a failure to get any answer becomes a retryable ConnectorError."""
    from palaute.reviews import conf

    try:
        return http.request(method, url, timeout=conf.http_timeout(), **kwargs)
    except http.TransportError as error:
        raise ConnectorError(f"{platform} could not be reached: {error}") from error
