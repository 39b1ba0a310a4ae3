"""CRM surface: GET /api/records/{module}/{id}/history — who changed a record, when, and each
field's before and after, newest first. Built from the audit log, so a deleted record keeps its
history; a record the organization never had (or another organization's) is 404."""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, get
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts.repository import members_by_id
from finite.core.audit.listing import AuditFilter, any_rows, audit_page, iso, member_ids
from finite.crm.audit.params import paging_only
from finite.crm.auth import AUDIT, PERMISSION, ModuleAction
from finite.crm.http import json_answer
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.openapi_shapes import PAGING, HistoryPage
from finite.kit.errors import not_found
from finite.models.accounts import Member
from finite.models.events import AuditEntry
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.openapi_hints import documented
from finite.platform.state import platform_of

_BIGINT = 2**63


@get(
    "/{module:str}/{record_id:int}/history",
    responses={
        200: ResponseSpec(
            HistoryPage, generate_examples=False, description="Changes, newest first."
        )
    },
    opt={**documented(params=PAGING), PERMISSION: ModuleAction("view"), AUDIT: "history"},
)
async def record_history(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], record_id: FromPath[int]
) -> Response[bytes]:
    paging = paging_only(request)
    if not -_BIGINT <= record_id < _BIGINT:
        raise not_found(f"No {module} record {record_id}.")
    wanted = AuditFilter(module=module, record_id=record_id, changes_only=True)
    async with platform_of(request).db.read() as session:
        page = await audit_page(session, principal.org_id, wanted, paging.limit, paging.cursor)
        if not page.rows and not (
            await any_rows(session, principal.org_id, wanted)
            or await _record_exists(session, principal.org_id, module, record_id)
        ):
            raise not_found(f"No {module} record {record_id}.")
        members = await members_by_id(session, principal.org_id, member_ids(page.rows))
    body = {
        "data": [_change_out(row, members.get(row.member_id or "")) for row in page.rows],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }
    return json_answer(body)


def _change_out(row: AuditEntry, member: Member | None) -> dict[str, Any]:
    return {
        "id": row.id,
        "occurred_at": iso(row.occurred_at),
        "action": row.action,
        "member_id": row.member_id,
        "member_name": member.name if member is not None else None,
        "key_id": row.key_id,
        "key_name": row.key_name,
        "request_id": row.request_id,
        "changes": {
            field: {"before": change.get("before"), "after": change.get("after")}
            if isinstance(change, dict)
            else {"before": None, "after": change}
            for field, change in (row.changes or {}).items()
        },
    }


async def _record_exists(session: AsyncSession, org_id: str, module: str, record_id: int) -> bool:
    source = MODULE_TABLES[module]
    found = await session.execute(
        select(source.c.id).where(source.c.org_id == org_id, source.c.id == record_id)
    )
    return found.first() is not None


router = Router("/records", route_handlers=[record_history])
