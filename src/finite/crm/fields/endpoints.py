"""CRM surface: /api/modules — describe modules and fields; Admins add and remove custom fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.core.auth.principal import Principal
from finite.crm.fields import service
from finite.crm.fields.service import describe_field, describe_module, load_schema
from finite.crm.http import json_object
from finite.crm.openapi_shapes import (
    CustomFieldInput,
    FieldDescription,
    ModuleDescription,
    ModuleList,
)
from finite.platform.changes import encode, idempotent_create, json_response
from finite.platform.openapi_hints import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, documented
from finite.platform.state import platform_of

AnyRequest = Request[Any, Any, Any]
PrincipalDep = NamedDependency[Principal]


@get(
    "/modules",
    responses={200: ResponseSpec(ModuleList, generate_examples=False, description="Every module.")},
)
async def list_modules(request: AnyRequest, principal: PrincipalDep) -> Response[bytes]:
    async with platform_of(request).db.read() as session:
        modules = await service.describe_all(session, principal)
    return json_response(encode({"modules": modules}), 200)


@get(
    "/modules/{module:str}",
    responses={
        200: ResponseSpec(
            ModuleDescription, generate_examples=False, description="The module and its fields."
        )
    },
)
async def describe(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    set_subject(request.scope, module, action="describe")
    async with platform_of(request).db.read() as session:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
    return json_response(encode(describe_module(schema, principal)), 200)


@post(
    "/modules/{module:str}/fields",
    status_code=201,
    responses={
        201: ResponseSpec(FieldDescription, generate_examples=False, description="The new field.")
    },
    opt=documented(
        body=CustomFieldInput, params=[IDEMPOTENCY_KEY], response_headers=[IDEMPOTENT_REPLAYED]
    ),
)
async def add_field(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    set_subject(request.scope, module, action="add_field")
    body = await json_object(request)

    async def work(session: AsyncSession) -> FieldAdded:
        field = await service.add_custom_field(session, principal, module, body)
        description = describe_field(field, custom=True)
        return FieldAdded(description, {field.key: {"before": None, "after": description}})

    return await idempotent_create(request, principal, 201, work)


@dataclass(frozen=True, slots=True)
class FieldAdded:
    record: dict[str, Any]
    diff: dict[str, Any]


@delete("/modules/{module:str}/fields/{key:str}", status_code=204)
async def remove_field(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], key: FromPath[str]
) -> None:
    set_subject(request.scope, module, action="remove_field")
    # Clears the field from every record of the module: many rows, off the event loop's thread.
    async with platform_of(request).db.transaction(bulk=True) as session:
        await service.remove_custom_field(session, principal, module, key)
