"""The handover API's envelope: ``{data, meta: {request_id, timestamp}, error}`` on every answer."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from finite.kit.clock import iso_millis, utcnow
from finite.platform.http import AnyRequest
from finite.platform.request_id import request_id_of

T = TypeVar("T")


class Meta(msgspec.Struct):
    request_id: str
    timestamp: str


class ErrorItem(msgspec.Struct):
    field: str | None
    message: str


class ErrorBody(msgspec.Struct):
    code: str
    message: str
    details: list[ErrorItem]


class Envelope(msgspec.Struct, Generic[T]):
    data: T
    meta: Meta
    error: None = None


class ErrorEnvelope(msgspec.Struct):
    data: None
    meta: Meta
    error: ErrorBody


def meta_for(request: AnyRequest) -> Meta:
    return Meta(request_id=request_id_of(request.scope), timestamp=iso_millis(utcnow()))


def ok(request: AnyRequest, data: T) -> Envelope[T]:
    return Envelope(data=data, meta=meta_for(request))


def encode_ok(request: AnyRequest, data: Any) -> bytes:
    """The unit of work's encoder for this surface (platform/unit_of_work.Encode)."""
    return msgspec.json.encode(ok(request, data))
