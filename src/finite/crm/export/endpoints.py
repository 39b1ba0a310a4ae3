"""CRM surface: GET /api/export/{module}.csv — a streamed CSV of a module's records."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Stream

from finite.core.audit.context import set_subject
from finite.core.auth.principal import Principal
from finite.crm.engines.chosen import crm_engine
from finite.crm.fields.service import load_schema
from finite.crm.query.grammar import parse_list_query
from finite.crm.records.service import require
from finite.kit.errors import not_found
from finite.platform.openapi.crm_shapes import FILTER_NOTE, LIST_FILTERS, csv_answer
from finite.platform.openapi.hints import documented
from finite.platform.state import platform_of


@get(
    "/export/{filename:str}",
    description="`filename` is `{module}.csv`. Same filters, search, sort and fields as the list; "
    "every match, never paged. " + FILTER_NOTE,
    responses={200: csv_answer("The records, one CSV row each, after a header row.")},
    opt=documented(params=LIST_FILTERS),
)
async def export_csv(
    request: Request[Any, Any, Any],
    principal: NamedDependency[Principal],
    filename: FromPath[str],
) -> Stream:
    """Same filters, search, sort and fields as the list; every match, never paged."""
    if not filename.endswith(".csv"):
        raise not_found("Exports are at /api/export/{module}.csv.")
    module = filename.removesuffix(".csv")
    set_subject(request.scope, module, action="export")
    db = platform_of(request).db
    async with db.read() as session:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
    require(principal, schema.name, "export")
    query = parse_list_query(schema, request.query_params.multi_items(), paged=False)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    body = crm_engine(db).export_csv(db, schema, principal.org_id, query)
    return Stream(
        body,
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
        headers={"Content-Disposition": f'attachment; filename="{schema.name}-{stamp}.csv"'},
    )
