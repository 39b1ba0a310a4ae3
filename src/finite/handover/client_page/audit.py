"""What a client does on the page, recorded in the link's organization: an audit row and the
handover event (webhooks, Zapier), in the caller's transaction. The audit row names the route,
never the address itself: the token in it is the client's key to the pack."""

from __future__ import annotations

from typing import Any

from litestar.types import Scope
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.entries import audit_values
from finite.handover.events import HandoverEvent, record_handover_event
from finite.models import PackLink
from finite.models.events import AuditEntry

MODULE = "client_page"


def _client_entry(
    scope: Scope, org_id: str, path: str, action: str, changes: dict[str, Any]
) -> AuditEntry:
    values = audit_values(scope, 200, changes)
    values.update(org_id=org_id, product="handover", path=path, module=MODULE, action=action)
    return AuditEntry(**values)


async def record_client_action(
    session: AsyncSession,
    scope: Scope,
    link: PackLink,
    path: str,
    event: HandoverEvent,
    *,
    audited: dict[str, Any],
    data: dict[str, Any],
) -> None:
    """`event` as the audit row's action (its changes: the link's id, then `audited`) and as
    the project's event (`data`, as record_handover_event takes it)."""
    session.add(_client_entry(scope, link.org_id, path, event, {"linkId": link.id, **audited}))
    await record_handover_event(
        session, org_id=link.org_id, event=event, project_id=link.project_id, data=data
    )
