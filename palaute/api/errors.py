"""One error shape for the whole API, and the exception handlers that produce it.

Every error answers::

    {"error": {"code": "validation_error", "message": "…",
               "fields": [{"field": "answers.nps", "message": "…"}]}}

``code`` is stable (clients branch on it; docs/api.md lists them), ``message`` is for people,
``fields`` names each bad input by its path in the request (body field, query parameter or
header). Unexpected exceptions are logged and answer a bare ``internal_error``: no traceback
ever reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("palaute.api")


class FieldError(Schema):
    field: str
    message: str


class ErrorBody(Schema):
    code: str
    message: str
    fields: list[FieldError]


class ErrorOut(Schema):
    error: ErrorBody


class ApiError(Exception):
    """An error answered in the API's error shape."""

    status = 400
    code = "bad_request"

    def __init__(
        self,
        message: str,
        fields: Iterable[tuple[str, str]] = (),
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.fields = list(fields)
        self.headers = headers or {}


class BadRequest(ApiError):
    pass


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class InsufficientScope(ApiError):
    status, code = 403, "insufficient_scope"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class ValidationFailed(ApiError):
    status, code = 422, "validation_error"

    def __init__(self, fields: Iterable[tuple[str, str]], message: str = "The request is invalid."):
        super().__init__(message, fields)


class RateLimited(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, retry_after: int):
        super().__init__(
            f"Too many requests; retry after {retry_after} seconds.",
            headers={"Retry-After": str(retry_after)},
        )


STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "insufficient_scope",
    404: "not_found",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "rate_limited",
}

# Statuses an operation may answer with an error, for the OpenAPI document.
READ_ERRORS = frozenset({400, 401, 403, 404, 413, 422, 429})
WRITE_ERRORS = READ_ERRORS | {409}


def responses(ok: dict[int, Any], errors: frozenset[int] = READ_ERRORS) -> dict[Any, Any]:
    """An operation's ``response=`` mapping: its success schemas plus ErrorOut for the
    error statuses it can produce."""
    return {**ok, errors: ErrorOut}


def error_response(
    api: NinjaAPI,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: Sequence[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "fields": [{"field": f, "message": m} for f, m in fields],
        }
    }
    response = api.create_response(request, body, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_path(loc: Sequence[Any]) -> str:
    """A pydantic location as a path: ('answers', 'nps') → answers.nps, ('q', 2) → q[2]."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _request_field(loc: Sequence[Any], body_params: frozenset[str]) -> str:
    """ninja reports ('body', 'payload', 'name') or ('query', 'limit'): drop the source and
    the body parameter's own name so the path is the one in the request."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        if source == "body" and len(parts) > 1 and parts[0] in body_params:
            parts.pop(0)
    return field_path(parts)


def _message(error: dict[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    if error.get("type") == "extra_forbidden":
        return "Unknown field."
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


def _error_field(error: dict[str, Any], body_params: frozenset[str]) -> str:
    field = _request_field(error.get("loc", ()), body_params)
    inner = (error.get("ctx") or {}).get("json_path")  # a position inside a JSON field
    if inner:
        field += inner if inner.startswith("[") else f".{inner}"
    return field


def validation_fields(
    errors: Iterable[dict[str, Any]], body_params: frozenset[str]
) -> list[tuple[str, str]]:
    return [(_error_field(e, body_params), _message(e)) for e in errors]


def install(api: NinjaAPI, body_params: frozenset[str] = frozenset({"payload"})) -> None:
    """Replace ninja's handlers with ones that answer the API's error shape."""

    def on_api_error(request: HttpRequest, exc) -> HttpResponse:  # exc: ApiError
        return error_response(
            api, request, exc.status, exc.code, exc.message, exc.fields, exc.headers
        )

    def on_validation(request: HttpRequest, exc) -> HttpResponse:  # ninja ValidationError
        fields = validation_fields(exc.errors, body_params)
        return error_response(
            api, request, 422, "validation_error", "The request is invalid.", fields
        )

    def on_http_error(request: HttpRequest, exc) -> HttpResponse:  # ninja HttpError
        # ninja's own errors: a missing token, a body that is not JSON.
        if isinstance(exc, AuthenticationError):
            return error_response(
                api,
                request,
                401,
                "unauthorized",
                "Send an API token: Authorization: Bearer <token>.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if exc.status_code == 400:
            return error_response(api, request, 400, "bad_request", "The body is not valid JSON.")
        code = STATUS_CODES.get(exc.status_code, "bad_request")
        return error_response(api, request, exc.status_code, code, str(exc))

    def on_not_found(request: HttpRequest, exc) -> HttpResponse:
        return error_response(api, request, 404, "not_found", "Not found.")

    def on_unexpected(request: HttpRequest, exc) -> HttpResponse:
        logger.exception("API request failed: %s %s", request.method, request.path)
        return error_response(api, request, 500, "internal_error", "Something went wrong.")

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(NinjaValidationError, on_validation)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(Exception, on_unexpected)
