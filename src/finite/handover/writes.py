"""A change and its audit row (with the field diff) in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from litestar import Request
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import mark_written
from finite.core.audit.entries import audit_entry
from finite.platform.state import platform_of

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Written(Generic[T]):
    """What a service changed: the answer's data and the audit diff (never holding secrets)."""

    data: T
    diff: dict[str, Any]


Work = Callable[[AsyncSession], Awaitable[Written[T]]]


async def audited_write(request: Request[Any, Any, Any], status: int, work: Work[T]) -> T:
    async with platform_of(request).db.transaction() as session:
        written = await work(session)
        session.add(audit_entry(request.scope, status, written.diff or None))
    mark_written(request.scope)
    return written.data
