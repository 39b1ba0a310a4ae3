"""Render every failure per surface: plain JSON by default (the CRM's /api/...), or the body a
product registered for its path prefix (the handover envelope on /api/v1/...).

Nothing internal reaches the caller: unexpected exceptions are logged with the request id and
answered with a generic INTERNAL error; a database outage (kit/db_errors.py) is 503 UNAVAILABLE
with Retry-After, logged as one warning line.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from litestar import MediaType, Response
from litestar.exceptions import HTTPException, ValidationException

from finite.kit import db_errors
from finite.kit.errors import AppError, ErrorDetail
from finite.kit.exact_json import exact_numbers
from finite.kit.request_id import request_id_of
from finite.platform.body_problems import body_problems
from finite.platform.http import AnyRequest
from finite.platform.validation_messages import field_and_reason

logger = logging.getLogger("finite.errors")

_CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
}
_MESSAGES = {
    404: "Not found.",
    405: "Method not allowed.",
    413: "The request body is too large.",
}

ErrorBodyOf = Callable[[AnyRequest, AppError], Any]
"""The JSON body of a failure on one surface (a msgspec Struct or plain data)."""

# Longest prefix first, so that a surface nested in another's prefix still gets its own.
_BODIES_BY_PREFIX: list[tuple[str, ErrorBodyOf]] = []


def register_error_body(prefix: str, body_of: ErrorBodyOf) -> None:
    """Failures under `prefix` (the path itself or below it) get the body `body_of` builds."""
    prefix = prefix.rstrip("/")
    entries = [entry for entry in _BODIES_BY_PREFIX if entry[0] != prefix] + [(prefix, body_of)]
    _BODIES_BY_PREFIX[:] = sorted(entries, key=lambda entry: len(entry[0]), reverse=True)


def _plain_body(request: AnyRequest, error: AppError) -> dict[str, Any]:
    return {
        "error": error.message,
        "code": error.code,
        "details": [{"field": d.field, "message": d.message} for d in error.details],
        "request_id": request_id_of(request.scope),
        **exact_numbers(error.extra),
    }


def _body_of(path: str) -> ErrorBodyOf:
    for prefix, body_of in _BODIES_BY_PREFIX:
        if path == prefix or path.startswith(prefix + "/"):
            return body_of
    return _plain_body


# Paths that carry a secret (the client page's /p/{token}): logged as their route template.
_SECRET_PATH_PREFIXES: set[str] = set()


def keep_out_of_logs(prefix: str) -> None:
    """Addresses under `prefix` hold a secret: error lines name their route, not the address."""
    _SECRET_PATH_PREFIXES.add(prefix)


def loggable_path(request: AnyRequest) -> str:
    path = request.url.path
    if any(path.startswith(prefix) for prefix in _SECRET_PATH_PREFIXES):
        return str(request.scope.get("path_template") or "(a secret path)")
    return path


MAX_DETAILS = 100
"""Problems listed in one answer: every bad field of any real body, while a body made of
thousands of bad entries cannot get an answer several times its own size."""


def _bounded(error: AppError) -> AppError:
    extra = len(error.details) - MAX_DETAILS
    if extra <= 0:
        return error
    listed = error.details[:MAX_DETAILS]
    more = ErrorDetail(None, f"and {extra} more problems like these, not listed")
    return replace(error, details=[*listed, more])


def render(request: AnyRequest, error: AppError) -> Response[Any]:
    error = _bounded(error)
    headers = {"X-Request-ID": request_id_of(request.scope), **error.headers}
    body = _body_of(request.url.path)(request, error)
    return Response(body, status_code=error.status, headers=headers, media_type=MediaType.JSON)


def handle_app_error(request: AnyRequest, exc: AppError) -> Response[Any]:
    return render(request, exc)


def handle_http_exception(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    details: list[ErrorDetail] = []
    message = _MESSAGES.get(status) or (exc.detail if status < 500 else "") or "Request failed."
    if isinstance(exc, ValidationException):
        details = _validation_details(exc.extra, body_problems(request))
        message = _summary(details)
    if status >= 500:
        logger.error("HTTP %s on %s %s", status, request.method, loggable_path(request))
    code = _CODES.get(status, "INTERNAL" if status >= 500 else "BAD_REQUEST")
    return render(request, AppError(status, code, message, details, dict(exc.headers or {})))


def handle_unexpected(request: AnyRequest, exc: Exception) -> Response[Any]:
    if db_errors.unavailable(exc):
        return _database_unavailable(request, exc)
    logger.exception(
        "unhandled error on %s %s (request %s)",
        request.method,
        loggable_path(request),
        request_id_of(request.scope),
    )
    message = "Something went wrong on our side; quote the request id when you contact support."
    return render(request, AppError(500, "INTERNAL", message))


def _database_unavailable(request: AnyRequest, exc: Exception) -> Response[Any]:
    """An outage, not a bug: 503 with Retry-After, and one warning line (no traceback)."""
    logger.warning(
        "database unavailable on %s %s (request %s): %s",
        request.method,
        loggable_path(request),
        request_id_of(request.scope),
        db_errors.reason(exc),
    )
    seconds = db_errors.RETRY_AFTER_SECONDS
    message = f"The service is briefly unavailable; retry in {seconds} seconds."
    headers = {"Retry-After": str(seconds)}
    return render(request, AppError(503, "UNAVAILABLE", message, headers=headers))


def _summary(details: list[ErrorDetail]) -> str:
    if len(details) == 1:
        only = details[0]
        return f"{only.field}: {only.message}" if only.field else only.message
    return "The request is not valid."


def _validation_details(extra: Any, body: list[ErrorDetail]) -> list[ErrorDetail]:
    """Litestar's problems, with the body's first one replaced by all of them (`body`)."""
    if not isinstance(extra, list):
        return body
    details = []
    for item in extra:
        if not isinstance(item, dict) or (body and item.get("source") == "body"):
            continue
        field, reason = field_and_reason(str(item.get("message", "is not valid")))
        key = item.get("key")
        if key and key != "data":  # Litestar names the whole body "data"
            # A nested missing or unknown field: Litestar keeps the parent's path in the key.
            field = f"{key}.{field}" if field else key
        details.append(ErrorDetail(field, reason))
    return [*details, *body]
