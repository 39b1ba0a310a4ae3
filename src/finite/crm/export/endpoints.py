"""CRM surface: GET /api/export/{module}.csv — a streamed CSV of a module's records."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Router, get
from litestar.params import FromPath
from litestar.response import Stream

from finite.crm.auth import AUDIT, PERMISSION, ModuleAction, module_of_csv
from finite.crm.engine import crm_engine
from finite.crm.fields.service import load_schema
from finite.crm.openapi_shapes import FILTER_NOTE, LIST_FILTERS, csv_answer
from finite.crm.records.query.grammar import parse_list_query
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.openapi_hints import documented
from finite.platform.state import platform_of


@get(
    "/{filename:str}",
    description="`filename` is `{module}.csv`. Same filters, search, sort and fields as the list; "
    "every match, never paged. " + FILTER_NOTE,
    responses={200: csv_answer("The records, one CSV row each, after a header row.")},
    opt={
        **documented(params=LIST_FILTERS),
        PERMISSION: ModuleAction("export", module_of=module_of_csv),
        AUDIT: "export",
    },
)
async def export_csv(
    request: AnyRequest, principal: PrincipalDep, filename: FromPath[str]
) -> Stream:
    """Same filters, search, sort and fields as the list; every match, never paged."""
    module = filename.removesuffix(".csv")  # the guard refused any other name
    db = platform_of(request).db
    async with db.read() as session:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
    query = parse_list_query(schema, request.query_params.multi_items(), paged=False)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    body = crm_engine(db).export_csv(db, schema, principal.org_id, query)
    return Stream(
        body,
        media_type="text/csv",  # Litestar adds "; charset=utf-8" to text types
        headers={"Content-Disposition": f'attachment; filename="{schema.name}-{stamp}.csv"'},
    )


router = Router("/export", route_handlers=[export_csv])
