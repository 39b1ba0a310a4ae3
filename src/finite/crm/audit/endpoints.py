"""CRM surface: the organization's audit log for Admins — GET /api/audit (JSON, paged newest
first) and GET /api/audit.csv (the same filters, streamed)."""

from __future__ import annotations

from litestar import Response, Router, get
from litestar.openapi import ResponseSpec
from litestar.response import Stream

from finite.core.audit.listing import audit_page, csv_chunks, entry_out
from finite.crm.audit.params import audit_query
from finite.crm.auth import ADMIN, AUDIT, PERMISSION
from finite.crm.http import json_answer
from finite.crm.openapi_shapes import AUDIT_CSV_PARAMS, AUDIT_PARAMS, AuditPage, csv_answer
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.openapi_hints import documented
from finite.platform.state import platform_of


@get(
    "/audit",
    responses={
        200: ResponseSpec(AuditPage, generate_examples=False, description="Entries, newest first.")
    },
    opt={**documented(params=AUDIT_PARAMS), PERMISSION: ADMIN, AUDIT: "audit"},
)
async def list_audit(request: AnyRequest, principal: PrincipalDep) -> Response[bytes]:
    wanted, paging = audit_query(request)
    async with platform_of(request).db.read() as session:
        page = await audit_page(session, principal.org_id, wanted, paging.limit, paging.cursor)
    body = {
        "data": [entry_out(row) for row in page.rows],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }
    return json_answer(body)


@get(
    "/audit.csv",
    responses={200: csv_answer("Every matching entry, newest first.")},
    opt={**documented(params=AUDIT_CSV_PARAMS), PERMISSION: ADMIN, AUDIT: "audit_export"},
)
async def export_audit(request: AnyRequest, principal: PrincipalDep) -> Stream:
    """Every row matching the filters, newest first; nothing is held in memory but one batch."""
    wanted, _ = audit_query(request, paged=False)  # checked before the first byte is sent
    filename = f"audit-{principal.org_id}-{utcnow().date().isoformat()}.csv"
    return Stream(
        csv_chunks(platform_of(request).db, principal.org_id, wanted),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


router = Router("/", route_handlers=[list_audit, export_audit])
