"""CRM surface: /api/records/{module} — create, read, update, delete and list records."""

from __future__ import annotations

from typing import Any

from litestar import Response, Router, delete, get, post, put
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.crm.auth import AUDIT, PERMISSION, ModuleAction, require
from finite.crm.fields.service import load_schema
from finite.crm.http import encode_answer, etag, if_match_version, json_answer, json_object
from finite.crm.modules.schema import module_named
from finite.crm.openapi_shapes import (
    FILTER_NOTE,
    LIST_PARAMS,
    PARTIAL,
    BatchInput,
    BatchResult,
    Record,
    RecordInput,
    RecordPage,
)
from finite.crm.records import repository, service
from finite.crm.records.batch import apply_batch
from finite.crm.records.batch_body import actions_needed, batch_items
from finite.crm.records.query.grammar import parse_list_query
from finite.crm.records.query.stable_plans import has_value_independent_plan
from finite.kit.errors import invalid_field
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.openapi_hints import (
    ETAG,
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    IF_MATCH,
    documented,
)
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change, commit_idempotent


@post(
    "/{module:str}",
    status_code=201,
    responses={201: ResponseSpec(Record, generate_examples=False, description="The new record.")},
    opt={
        **documented(
            body=RecordInput, params=[IDEMPOTENCY_KEY], response_headers=[IDEMPOTENT_REPLAYED]
        ),
        PERMISSION: ModuleAction("create"),
        AUDIT: "create",
    },
)
async def create_record(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    body = await json_object(request)

    async def work(session: AsyncSession) -> service.RecordChange:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
        changed = await service.create_record(session, principal, schema, body)
        set_subject(request.scope, module, changed.data["id"], "create")
        return changed

    return await commit_idempotent(request, principal, 201, work, encode_answer)


@post(
    "/{module:str}/batch",
    status_code=200,
    description="Up to 100 records of the module created, updated by id (with versions) or "
    "upserted on `upsert_on`, in one transaction; one audit row and one event per record "
    "written. Needs the create permission on the module, and edit too when a record has an "
    "`id` or the batch upserts. Counts as one request against the rate limit.",
    responses={
        200: ResponseSpec(
            BatchResult, generate_examples=False, description="Each record's outcome."
        )
    },
    opt={
        **documented(
            body=BatchInput,
            params=[PARTIAL, IDEMPOTENCY_KEY],
            response_headers=[IDEMPOTENT_REPLAYED],
        ),
        PERMISSION: ModuleAction("create"),
        AUDIT: "batch",
    },
)
async def batch_records(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    items = batch_items(module_named(module), await json_object(request))
    for action in actions_needed(items):
        require(principal, module, action)
    partial = _flag(request, "partial")

    async def work(session: AsyncSession) -> Changed[dict[str, Any]]:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
        outcome = await apply_batch(session, principal, schema, items, partial=partial)
        return Changed(outcome.answer(), each=outcome.audited)

    return await commit_idempotent(request, principal, 200, work, encode_answer)


def _flag(request: AnyRequest, name: str) -> bool:
    value = request.query_params.get(name, "false")
    if value not in ("true", "false"):
        raise invalid_field(name, "must be true or false")
    return value == "true"


@get(
    "/{module:str}/{record_id:int}",
    responses={200: ResponseSpec(Record, generate_examples=False, description="The record.")},
    opt={**documented(response_headers=[ETAG]), PERMISSION: ModuleAction("view"), AUDIT: "view"},
)
async def get_record(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], record_id: FromPath[int]
) -> Response[bytes]:
    async with platform_of(request).db.raw_read(generic_plans=True) as connection:
        schema = await load_schema(
            connection, principal.org_id, module, principal.custom_fields_version
        )
        record = await service.get_record(connection, principal, schema, record_id)
    return json_answer(record, 200, {"ETag": etag(record["version"])})


@put(
    "/{module:str}/{record_id:int}",
    responses={200: ResponseSpec(Record, generate_examples=False, description="The record.")},
    opt={
        **documented(body=RecordInput, params=[IF_MATCH], response_headers=[ETAG]),
        PERMISSION: ModuleAction("edit"),
        AUDIT: "update",
    },
)
async def update_record(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], record_id: FromPath[int]
) -> Response[bytes]:
    body = await json_object(request)
    expected = if_match_version(request)

    async def work(session: AsyncSession) -> service.RecordChange:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
        return await service.update_record(session, principal, schema, record_id, body, expected)

    record = await commit_change(request, 200, work)
    return json_answer(record, 200, {"ETag": etag(record["version"])})


@delete(
    "/{module:str}/{record_id:int}",
    status_code=204,
    opt={**documented(params=[IF_MATCH]), PERMISSION: ModuleAction("delete"), AUDIT: "delete"},
)
async def delete_record(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], record_id: FromPath[int]
) -> None:
    expected = if_match_version(request)

    async def work(session: AsyncSession) -> service.RecordChange:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
        return await service.delete_record(session, principal, schema, record_id, expected)

    await commit_change(request, 204, work)


@get(
    "/{module:str}",
    description=FILTER_NOTE,
    responses={200: ResponseSpec(RecordPage, generate_examples=False, description="A page.")},
    opt={**documented(params=LIST_PARAMS), PERMISSION: ModuleAction("view"), AUDIT: "list"},
)
async def list_records(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    db = platform_of(request).db
    found: service.Page | None = None
    async with db.raw_read(generic_plans=True) as connection:
        schema = await load_schema(
            connection, principal.org_id, module, principal.custom_fields_version
        )
        query = parse_list_query(schema, request.query_params.multi_items())
        if has_value_independent_plan(repository.table(schema.name), query):
            found = await service.list_records(connection, principal, schema, query)
    if found is None:  # planned for its values (see stable_plans.py)
        async with db.raw_read() as connection:
            found = await service.list_records(connection, principal, schema, query)
    body = {
        "data": found.records,
        "page": found.page,
        "per_page": found.per_page,
        "total": found.total,
        "total_relation": found.total_relation,
        "has_more": found.has_more,
        "next_cursor": found.next_cursor,
    }
    return json_answer(body, 200)


router = Router(
    "/records",
    route_handlers=[
        create_record,
        batch_records,
        get_record,
        update_record,
        delete_record,
        list_records,
    ],
)
