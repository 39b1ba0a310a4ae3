"""Reading a request's JSON body, the same way on both surfaces: the app's request class.

Every JSON body is read through ``request.json()``: Litestar's ``data: JSONBody[X]`` parameters
call it, and so does the CRM's ``json_object``. Reading it here checks, before any handler runs
its work:

- the type: a non-empty body must say it is JSON (``application/json`` or ``application/*+json``,
  any parameters such as ``charset``), else 415 UNSUPPORTED_MEDIA_TYPE. A request without a body
  needs no Content-Type, and a route that takes no body never reads one (it ignores it);
- the syntax: malformed JSON is a 400 naming ``body``;
- the nesting: at most ``MAX_JSON_DEPTH`` levels of arrays and objects (400 naming ``body``),
  so that no deeply nested value reaches msgspec's conversion, the services or the encoders,
  where it would exhaust Python's recursion limit;
- NUL characters: none in any string or key (400 naming each), since PostgreSQL can store none
  in text or JSON and would answer 500 wherever a service let one through;
- (a CSV upload, read by ``streamed_csv_body`` instead: its type is text/csv, its size is
  counted as it streams, and each part must arrive in time);
- the time it takes to arrive: at most ``body_timeout_seconds`` (FINITE_BODY_TIMEOUT_SECONDS)
  for the whole body, else 408 REQUEST_TIMEOUT and the connection closed; a client that
  disconnects part-way gets a 400 nobody reads, not a 500 logged as a bug.

A request that reads no JSON body (every GET) pays nothing.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from litestar import Request
from litestar.exceptions import InternalServerException, SerializationException

from finite.kit.errors import AppError, ErrorDetail, invalid_field, validation_error
from finite.platform.state import platform_of

MAX_JSON_DEPTH = 32
"""Arrays and objects inside one another; the deepest body either API takes needs 5."""

_JSON_TYPE = "application/json"
_CSV_TYPE = "text/csv"


def is_json_media_type(content_type: str) -> bool:
    """``application/json`` or ``application/<anything>+json``, parameters ignored."""
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == _JSON_TYPE:
        return True
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and subtype.endswith("+json") and len(subtype) > len("+json")


def unsupported_media_type(content_type: str | None) -> AppError:
    reason = (
        "is missing: a request body must be JSON (application/json)"
        if not content_type
        else "must be application/json (or an application/*+json type) for a request body"
    )
    return AppError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "The request body must be JSON, sent with Content-Type: application/json.",
        [ErrorDetail("Content-Type", reason)],
    )


def nested_too_deeply() -> AppError:
    return invalid_field(
        "body", f"is nested too deeply (at most {MAX_JSON_DEPTH} levels of arrays and objects)"
    )


def deeper_than(limit: int, raw: bytes, value: Any) -> bool:
    """Whether the decoded `value` of the JSON text `raw` nests arrays and objects more than
    `limit` levels deep. A text with no more than `limit` brackets cannot: answered by counting
    them (most bodies), else by walking the value level by level, without recursion."""
    if raw.count(b"[") + raw.count(b"{") <= limit or not isinstance(value, (dict, list)):
        return False
    level: list[Any] = [value]  # the arrays and objects one level deeper each round
    for _ in range(limit):
        inner: list[Any] = []
        for container in level:
            items = container.values() if isinstance(container, dict) else container
            inner += [item for item in items if isinstance(item, (dict, list))]
        if not inner:
            return False
        level = inner
    return True


def body_too_slow(seconds: int) -> AppError:
    return AppError(
        408,
        "REQUEST_TIMEOUT",
        f"The request body did not arrive within {seconds} seconds.",
        [ErrorDetail("body", f"must arrive whole within {seconds} seconds")],
        headers={"Connection": "close"},
    )


def body_cut_short() -> AppError:
    return invalid_field("body", "ended early: the client closed the connection")


def nul_paths(value: Any) -> list[str]:
    """The path of every string or key holding a NUL (``sections[0].title``; ``body`` for the
    whole), walked without recursion; the body's nesting is already bounded."""
    found: list[str] = []
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                found.append(path or "body")
        elif isinstance(item, dict):
            for key, inner in item.items():
                child = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    found.append(child)
                pending.append((child, inner))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", inner) for index, inner in enumerate(item))
    return sorted(found)


def nul_characters(paths: list[str]) -> AppError:
    return validation_error(
        [ErrorDetail(path, "must not contain a NUL character") for path in paths]
    )


def is_csv_media_type(content_type: str | None) -> bool:
    return (content_type or "").partition(";")[0].strip().lower() == _CSV_TYPE


def unsupported_csv_type(content_type: str | None) -> AppError:
    reason = "is missing" if not content_type else "must be text/csv"
    return AppError(
        415,
        "UNSUPPORTED_MEDIA_TYPE",
        "The request body must be CSV, sent with Content-Type: text/csv.",
        [ErrorDetail("Content-Type", reason)],
    )


async def streamed_csv_body(
    request: Request[Any, Any, Any], max_bytes: int
) -> AsyncIterator[bytes]:
    """A CSV upload as it arrives, never whole in memory (the one route that takes a body
    other than JSON; its handler declares no size cap, this counts the bytes instead): 415
    unless it says text/csv, 413 past `max_bytes`, 408 when no part arrives within
    ``body_timeout_seconds`` (a slow upload is fine as long as it keeps coming), 400 when the
    client goes away."""
    content_type = request.headers.get("content-type")
    if not is_csv_media_type(content_type):
        raise unsupported_csv_type(content_type)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    seconds = platform_of(request).settings.body_timeout_seconds
    parts = request.stream()
    received = 0
    while True:
        try:
            async with asyncio.timeout(seconds):
                part = await anext(parts)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise body_too_slow(seconds) from None
        except InternalServerException as exc:
            if "disconnected" not in exc.detail:
                raise
            raise body_cut_short() from None
        received += len(part)
        if received > max_bytes:
            raise _too_large(max_bytes)
        if part:
            yield part


def _too_large(max_bytes: int) -> AppError:
    return AppError(
        413,
        "PAYLOAD_TOO_LARGE",
        f"The CSV file is larger than {max_bytes // (1024 * 1024):,} MiB (FINITE_IMPORT_MAX_MB).",
    )


class JsonBodyRequest(Request[Any, Any, Any]):
    """The app's request class (``request_class`` in app.py): ``json()`` checks the body's type,
    nesting and arrival and names the body in its errors."""

    async def json(self) -> Any:
        seconds = platform_of(self).settings.body_timeout_seconds
        try:
            async with asyncio.timeout(seconds):
                raw = await self.body()
        except TimeoutError:
            raise body_too_slow(seconds) from None
        except InternalServerException as exc:
            if "disconnected" not in exc.detail:  # Litestar's answer to http.disconnect
                raise
            raise body_cut_short() from None
        if raw:
            content_type = self.headers.get("content-type")
            if not content_type or not is_json_media_type(content_type):
                raise unsupported_media_type(content_type)
        try:
            value = await super().json()
        except SerializationException:
            raise invalid_field("body", "must be valid JSON") from None
        except RecursionError:
            raise nested_too_deeply() from None
        if deeper_than(MAX_JSON_DEPTH, raw, value):
            raise nested_too_deeply()
        if b"\\u0000" in raw:  # JSON can only carry a NUL escaped
            paths = nul_paths(value)
            if paths:
                raise nul_characters(paths)
        return value
