"""The CRM surface's HTTP: reading a request (the JSON body, If-Match) and answering in bare
JSON, decimals as exact JSON numbers."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from litestar import Response

from finite.kit.errors import invalid_field
from finite.platform.http import AnyRequest, json_response

_IF_MATCH = re.compile(r'^(?:W/)?"?([0-9]{1,18})"?$')
_ENCODER = msgspec.json.Encoder(decimal_format="number")


async def json_object(request: AnyRequest) -> dict[str, Any]:
    """The body as a JSON object; the app's request class checks its type, syntax and nesting
    (platform/request_bodies.py)."""
    body = await request.json()
    if not isinstance(body, dict):
        raise invalid_field("body", "must be a JSON object")
    return body


def if_match_version(request: AnyRequest) -> int | None:
    """The version a change expects; none (no check) without the header, empty or `*`."""
    value = (request.headers.get("If-Match") or "").strip()
    if value in ("", "*"):
        return None
    match = _IF_MATCH.match(value)
    if not match:
        raise invalid_field("If-Match", 'must be the record\'s version as an ETag, e.g. "3"')
    return int(match.group(1))


def etag(version: int) -> str:
    return f'"{version}"'


def encode(value: Any) -> bytes:
    return _ENCODER.encode(value)


def encode_answer(_request: AnyRequest, data: Any) -> bytes:
    """The unit of work's encoder for this surface (platform/unit_of_work.Encode)."""
    return _ENCODER.encode(data)


def json_answer(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return json_response(_ENCODER.encode(data), status, headers)
