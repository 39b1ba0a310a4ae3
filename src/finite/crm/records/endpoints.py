"""CRM surface: /api/records/{module} — create, read, update, delete and list records."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath

from finite.core.audit.context import set_subject
from finite.core.auth.principal import Principal
from finite.crm.fields.service import load_schema
from finite.crm.http import etag, if_match_version, json_object
from finite.crm.openapi_shapes import (
    FILTER_NOTE,
    LIST_PARAMS,
    Record,
    RecordInput,
    RecordPage,
)
from finite.crm.records import repository, service
from finite.crm.records.query.grammar import parse_list_query
from finite.crm.records.query.stable_plans import has_value_independent_plan
from finite.platform.changes import audited_change, encode, idempotent_create, json_response
from finite.platform.openapi_hints import (
    ETAG,
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    IF_MATCH,
    documented,
)
from finite.platform.state import platform_of

AnyRequest = Request[Any, Any, Any]
PrincipalDep = NamedDependency[Principal]


@post(
    "/records/{module:str}",
    status_code=201,
    responses={201: ResponseSpec(Record, generate_examples=False, description="The new record.")},
    opt=documented(
        body=RecordInput, params=[IDEMPOTENCY_KEY], response_headers=[IDEMPOTENT_REPLAYED]
    ),
)
async def create_record(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    set_subject(request.scope, module, action="create")
    body = await json_object(request)

    async def work(session: Any) -> service.Outcome:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
        outcome = await service.create_record(session, principal, schema, body)
        set_subject(request.scope, module, outcome.record["id"], "create")
        return outcome

    return await idempotent_create(request, principal, 201, work)


@get(
    "/records/{module:str}/{record_id:int}",
    responses={200: ResponseSpec(Record, generate_examples=False, description="The record.")},
    opt=documented(response_headers=[ETAG]),
)
async def get_record(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], record_id: FromPath[int]
) -> Response[bytes]:
    set_subject(request.scope, module, record_id, "view")
    async with platform_of(request).db.raw_read(generic_plans=True) as connection:
        schema = await load_schema(
            connection, principal.org_id, module, principal.custom_fields_version
        )
        record = await service.get_record(connection, principal, schema, record_id)
    return json_response(encode(record), 200, {"ETag": etag(record["version"])})


@put(
    "/records/{module:str}/{record_id:int}",
    responses={200: ResponseSpec(Record, generate_examples=False, description="The record.")},
    opt=documented(body=RecordInput, params=[IF_MATCH], response_headers=[ETAG]),
)
async def update_record(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], record_id: FromPath[int]
) -> Response[bytes]:
    set_subject(request.scope, module, record_id, "update")
    body = await json_object(request)
    expected = if_match_version(request)

    async def work(session: Any) -> service.Outcome:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
        return await service.update_record(session, principal, schema, record_id, body, expected)

    outcome = await audited_change(request, 200, work)
    return json_response(encode(outcome.record), 200, {"ETag": etag(outcome.record["version"])})


@delete("/records/{module:str}/{record_id:int}", status_code=204, opt=documented(params=[IF_MATCH]))
async def delete_record(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], record_id: FromPath[int]
) -> None:
    set_subject(request.scope, module, record_id, "delete")
    expected = if_match_version(request)

    async def work(session: Any) -> service.Outcome:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
        return await service.delete_record(session, principal, schema, record_id, expected)

    await audited_change(request, 204, work)


@get(
    "/records/{module:str}",
    description=FILTER_NOTE,
    responses={200: ResponseSpec(RecordPage, generate_examples=False, description="A page.")},
    opt=documented(params=LIST_PARAMS),
)
async def list_records(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    set_subject(request.scope, module, action="list")
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
    return json_response(encode(body), 200)
