"""What every handover endpoint module shares: request and caller types, and the OpenAPI
description of an idempotent POST's raw answer."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec

from finite.core.auth.principal import Principal
from finite.handover.envelope import Envelope

AnyRequest = Request[Any, Any, Any]
PrincipalDep = NamedDependency[Principal]


def created(model: Any, description: str) -> dict[int, ResponseSpec]:
    """`responses=` for a POST answering 201 with ``Envelope[model]`` as raw bytes."""
    return {201: ResponseSpec(data_container=Envelope[model], description=description)}
