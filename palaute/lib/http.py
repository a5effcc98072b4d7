"""Outbound HTTP: the one place Palaute talks to other servers (SMS providers, webhooks).

A thin layer over ``urllib.request`` (standard library, no extra dependency) that every caller
gets the same guarantees from:

- a timeout on every request (connect and each read), so a stuck provider cannot hold a worker;
- only ``http`` and ``https`` URLs;
- redirects are followed only for GET and HEAD, only to the same scheme, host and port, and at
  most three times: a provider answering a POST with a redirect, or sending us to another
  host, is answered as it stands (a 3xx result) and never re-sent elsewhere with credentials;
- the body read is capped (1 MB by default), so a hostile server cannot exhaust memory;
- 4xx and 5xx answers are results, not exceptions; only a failure to get any answer
  (DNS, refused connection, timeout, TLS) raises ``TransportError``.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

DEFAULT_TIMEOUT = 10.0
MAX_BODY_BYTES = 1024 * 1024
MAX_REDIRECTS = 3
USER_AGENT = "Palaute/1 (+https://github.com/palaute)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class TransportError(Exception):
    """No HTTP answer at all: the name did not resolve, the connection failed or timed out."""


@dataclass(frozen=True)
class HttpResult:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str = ""
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.body.decode("utf-8"))

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass(frozen=True)
class BasicAuth:
    username: str
    password: str = field(repr=False)

    def header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand every 3xx back to ``request`` instead of following it inside urllib."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects())


def request(
    method: str,
    url: str,
    *,
    data: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    auth: BasicAuth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_body: int = MAX_BODY_BYTES,
) -> HttpResult:
    """Send one request and return the answer (see the module's rules)."""
    method = method.upper()
    all_headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **(headers or {})}
    if auth is not None:
        all_headers["Authorization"] = auth.header()
    current = _checked_url(url)
    for _hop in range(MAX_REDIRECTS + 1):
        result = _send_once(method, current, data, all_headers, timeout, max_body)
        location = result.headers.get("Location", "")
        if result.status not in REDIRECT_STATUSES or method not in ("GET", "HEAD") or not location:
            return result
        target = urljoin(current, location)
        if not _same_origin(current, target):
            return result
        current = _checked_url(target)
    return result


def post_form(
    url: str,
    fields: Mapping[str, str] | list[tuple[str, str]],
    *,
    auth: BasicAuth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> HttpResult:
    """POST ``application/x-www-form-urlencoded`` fields (UTF-8)."""
    body = urlencode(list(fields.items()) if isinstance(fields, Mapping) else fields).encode()
    return request(
        "POST",
        url,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        auth=auth,
        timeout=timeout,
    )


def post_json(
    url: str,
    payload: Any,
    *,
    auth: BasicAuth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> HttpResult:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return request(
        "POST",
        url,
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        auth=auth,
        timeout=timeout,
    )


def get(
    url: str,
    *,
    auth: BasicAuth | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    headers: Mapping[str, str] | None = None,
) -> HttpResult:
    return request("GET", url, headers=headers, auth=auth, timeout=timeout)


# ------------------------------------------------------------------------------ helpers


def _checked_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"only http:// and https:// URLs with a host are allowed, not {url!r}")
    return url


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _same_origin(a: str, b: str) -> bool:
    return _origin(a) == _origin(b)


def _send_once(
    method: str,
    url: str,
    data: bytes | None,
    headers: Mapping[str, str],
    timeout: float,
    max_body: int,
) -> HttpResult:
    req = urllib.request.Request(url, data=data, headers=dict(headers), method=method)
    try:
        response = _OPENER.open(req, timeout=timeout)
    except urllib.error.HTTPError as error:  # 4xx, 5xx and unfollowed 3xx
        with error:
            body, truncated = _read(error, max_body)
            return HttpResult(error.code, dict(error.headers.items()), body, url, truncated)
    except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, TLS, resets
        reason = getattr(error, "reason", error)
        raise TransportError(f"{method} {_safe(url)}: {reason}") from error
    with response:
        try:
            body, truncated = _read(response, max_body)
        except (OSError, http.client.HTTPException) as error:
            raise TransportError(f"{method} {_safe(url)}: {error}") from error
        return HttpResult(response.status, dict(response.headers.items()), body, url, truncated)


def _read(stream, max_body: int) -> tuple[bytes, bool]:
    body = stream.read(max_body + 1)
    return body[:max_body], len(body) > max_body


def _safe(url: str) -> str:
    """The URL without any user:password part, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"
