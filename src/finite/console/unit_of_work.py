"""The console's one unit of work: a page's change and its audit row (the member as actor)
commit together, and the workers the change left work for are woken after the commit — what
platform/unit_of_work.py does for an API call. Route modules never open a transaction
themselves (tests/platform/test_unit_of_work_rule.py).

- `console_change`: a signed-in member's change; `work` returns its result and the changes
  for the audit row.
- `console_write`: a change whose actor `work` itself finds out and audits (signing in, the
  second step, a one-time password link: pages before a session exists).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from finite.console.audit import record_console_change
from finite.console.principal import ConsoleUser
from finite.core.wakes import wakes_of
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of

T = TypeVar("T")
Changes = dict[str, Any] | None


async def console_write(request: AnyRequest, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` in one write transaction; it records its own audit rows."""
    platform = platform_of(request)
    async with platform.db.transaction() as session:
        result = await work(session)
        wakes = wakes_of(session)
    platform.nudge_worker(wakes)
    return result


async def console_change(
    request: AnyRequest,
    user: ConsoleUser,
    action: str,
    work: Callable[[AsyncSession], Awaitable[tuple[T, Changes]]],
    *,
    module: str,
    status: int = 200,
    record_id: int | None = None,
) -> T:
    """`work` and its audit row in one transaction: `work` answers (result, changes)."""

    async def audited(session: AsyncSession) -> T:
        result, changes = await work(session)
        await record_console_change(
            session,
            request.scope,
            user,
            action,
            module=module,
            status=status,
            record_id=record_id,
            changes=changes,
        )
        return result

    return await console_write(request, audited)
