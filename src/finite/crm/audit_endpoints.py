"""CRM surface: the organization's audit log for Admins — GET /api/audit (JSON, paged newest
first) and GET /api/audit.csv (the same filters, streamed)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.response import Stream

from finite.core.audit.context import set_subject
from finite.core.audit.listing import audit_page, csv_chunks, entry_out
from finite.core.auth.principal import Principal
from finite.crm.audit_params import audit_query
from finite.crm.auth import require_admin
from finite.crm.openapi_shapes import AUDIT_CSV_PARAMS, AUDIT_PARAMS, AuditPage, csv_answer
from finite.kit.clock import utcnow
from finite.platform.changes import encode, json_response
from finite.platform.openapi_hints import documented
from finite.platform.state import platform_of

AnyRequest = Request[Any, Any, Any]
PrincipalDep = NamedDependency[Principal]


@get(
    "/audit",
    responses={
        200: ResponseSpec(AuditPage, generate_examples=False, description="Entries, newest first.")
    },
    opt=documented(params=AUDIT_PARAMS),
)
async def list_audit(request: AnyRequest, principal: PrincipalDep) -> Response[bytes]:
    set_subject(request.scope, None, action="audit")
    require_admin(principal)
    wanted, paging = audit_query(request)
    async with platform_of(request).db.read() as session:
        page = await audit_page(session, principal.org_id, wanted, paging.limit, paging.cursor)
    body = {
        "data": [entry_out(row) for row in page.rows],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }
    return json_response(encode(body), 200)


@get(
    "/audit.csv",
    responses={200: csv_answer("Every matching entry, newest first.")},
    opt=documented(params=AUDIT_CSV_PARAMS),
)
async def export_audit(request: AnyRequest, principal: PrincipalDep) -> Stream:
    """Every row matching the filters, newest first; nothing is held in memory but one batch."""
    set_subject(request.scope, None, action="audit_export")
    require_admin(principal)
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
