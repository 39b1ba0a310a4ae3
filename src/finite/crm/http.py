"""How the CRM surface answers: bare JSON, decimals as exact JSON numbers."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response

from finite.platform.http import AnyRequest, json_response

_ENCODER = msgspec.json.Encoder(decimal_format="number")


def encode(value: Any) -> bytes:
    return _ENCODER.encode(value)


def encode_answer(_request: AnyRequest, data: Any) -> bytes:
    """The unit of work's encoder for this surface (platform/unit_of_work.Encode)."""
    return _ENCODER.encode(data)


def json_answer(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return json_response(_ENCODER.encode(data), status, headers)
