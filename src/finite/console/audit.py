"""Console actions in the audit log, with the member as the actor.

An API call's row names its key (`key_id`, `key_name`) and the key's member; a console
action's row has no key: `product` is "console", `key_id` and `key_name` are empty and
`member_id` is the member who acted (empty for a failed sign-in no account matched). `module`
says what it acted on ("console" for signing in and out; a panel names its own: "api_keys",
"webhooks", …) and `action` what it did ("sign_in", "key.create", …).

- `audit_console_action`: an action that changed nothing, or whose change already committed:
  buffered by the platform's audit writer, sealed into the chain as it is written.
- `record_console_change`: inside the change's own transaction (one commit for both).
"""

from __future__ import annotations

from typing import Any

from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

from finite.console.principal import ConsoleUser
from finite.core.audit.entries import audit_values, insert_audit_rows
from finite.platform.state import Platform

PRODUCT = "console"
MODULE = "console"
ACTOR_TYPE = "member"  # every console row's actor: the member, never a key


def console_audit_values(
    scope: Scope,
    *,
    org_id: str,
    member_id: str | None,
    action: str,
    status: int = 200,
    module: str = MODULE,
    record_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row's columns: the request's (path, method, request id, address, user agent) with
    the member as actor."""
    values = audit_values(scope, status, changes)
    values.update(
        org_id=org_id,
        product=PRODUCT,
        key_id=None,
        key_name=None,
        member_id=member_id,
        module=module[:40],
        record_id=record_id,
        action=action[:32],
    )
    return values


def audit_console_action(
    platform: Platform,
    scope: Scope,
    user: ConsoleUser,
    action: str,
    *,
    status: int = 200,
    module: str = MODULE,
    changes: dict[str, Any] | None = None,
) -> None:
    platform.audit.add(
        console_audit_values(
            scope,
            org_id=user.org_id,
            member_id=user.member_id,
            action=action,
            status=status,
            module=module,
            changes=changes,
        )
    )


async def record_console_change(
    session: AsyncSession,
    scope: Scope,
    user: ConsoleUser,
    action: str,
    *,
    module: str,
    status: int = 200,
    record_id: int | None = None,
    changes: dict[str, Any] | None = None,
) -> None:
    values = console_audit_values(
        scope,
        org_id=user.org_id,
        member_id=user.member_id,
        action=action,
        status=status,
        module=module,
        record_id=record_id,
        changes=changes,
    )
    await insert_audit_rows(session, [values])
