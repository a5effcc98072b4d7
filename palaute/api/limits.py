"""Request limits: body size, list sizes, and rate limits per client IP and per token.

The IP is used only to name a counter in the cache, as a keyed hash that expires with the
window; it is never stored or logged.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from palaute.api.errors import PayloadTooLarge, RateLimited
from palaute.lib import ratelimit
from palaute.lib.clientip import client_ip

MAX_BODY_BYTES = 256 * 1024
MAX_LIST_LIMIT = 500
DEFAULT_LIST_LIMIT = 50
MAX_ANSWER_KEYS = 200


def check_body_size(request: HttpRequest) -> None:
    """413 before the body is parsed: first by the declared length, then by the real one
    (a chunked upload declares none)."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    try:
        too_big = int(declared) > MAX_BODY_BYTES
    except ValueError:
        too_big = False
    if too_big or len(request.body) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"The body must be at most {MAX_BODY_BYTES // 1024} KB.")


def client_bucket(request: HttpRequest) -> str:
    return "api-ip:" + ratelimit.client_key(client_ip(request.META))


def check_ip_rate(request: HttpRequest) -> None:
    retry_after = ratelimit.hit(client_bucket(request), settings.RATE_LIMIT_API_IP)
    if retry_after:
        raise RateLimited(retry_after)


def check_token_rate(token_id: int) -> None:
    retry_after = ratelimit.hit(f"api-token:{token_id}", settings.RATE_LIMIT_API_TOKEN)
    if retry_after:
        raise RateLimited(retry_after)
