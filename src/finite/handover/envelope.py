"""The handover API's envelope: ``{data, meta: {request_id, timestamp}, error}`` on every answer."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import msgspec

from finite.kit.clock import iso_millis, utcnow
from finite.kit.errors import AppError
from finite.kit.request_id import request_id_of
from finite.platform.errors import register_error_body
from finite.platform.http import AnyRequest

T = TypeVar("T")

PREFIX = "/api/v1"


def is_handover_path(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


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


def error_envelope(request: AnyRequest, error: AppError) -> ErrorEnvelope:
    return ErrorEnvelope(
        data=None,
        meta=meta_for(request),
        error=ErrorBody(
            code=error.code,
            message=error.message,
            details=[ErrorItem(field=d.field, message=d.message) for d in error.details],
        ),
    )


# Every failure under /api/v1, unknown routes included, answers in the envelope.
register_error_body(PREFIX, error_envelope)
