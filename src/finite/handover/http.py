"""The OpenAPI description of a handover POST's raw (idempotent) answer."""

from __future__ import annotations

from typing import Any

from litestar.openapi import ResponseSpec

from finite.handover.envelope import Envelope


def created(model: Any, description: str) -> dict[int, ResponseSpec]:
    """`responses=` for a POST answering 201 with ``Envelope[model]`` as raw bytes."""
    return {201: ResponseSpec(data_container=Envelope[model], description=description)}


def answered(model: Any, description: str) -> dict[int, ResponseSpec]:
    """`responses=` for a POST answering 200 with ``Envelope[model]`` as raw bytes."""
    return {200: ResponseSpec(data_container=Envelope[model], description=description)}
