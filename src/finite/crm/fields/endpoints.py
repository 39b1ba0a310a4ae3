"""CRM surface: /api/modules — describe modules and fields; Admins add and remove custom fields."""

from __future__ import annotations

from litestar import Response, Router, delete, get, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from finite.crm.auth import AUDIT, PERMISSION, Admin
from finite.crm.fields import service
from finite.crm.fields.service import describe_module, load_schema
from finite.crm.http import encode_answer, json_answer, json_object
from finite.crm.openapi_shapes import (
    CustomFieldInput,
    FieldDescription,
    ModuleDescription,
    ModuleList,
)
from finite.platform.http import ANY_KEY, AnyRequest, PrincipalDep
from finite.platform.openapi_hints import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, documented
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change, commit_idempotent

FIELDS_ADMIN = Admin("Managing modules, fields and roles needs the Admin role.")


@get(
    "/",
    responses={200: ResponseSpec(ModuleList, generate_examples=False, description="Every module.")},
    opt={PERMISSION: ANY_KEY},
)
async def list_modules(request: AnyRequest, principal: PrincipalDep) -> Response[bytes]:
    async with platform_of(request).db.read() as session:
        modules = await service.describe_all(session, principal)
    return json_answer({"modules": modules})


@get(
    "/{module:str}",
    responses={
        200: ResponseSpec(
            ModuleDescription, generate_examples=False, description="The module and its fields."
        )
    },
    opt={PERMISSION: ANY_KEY, AUDIT: "describe"},
)
async def describe(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    async with platform_of(request).db.read() as session:
        schema = await load_schema(
            session, principal.org_id, module, principal.custom_fields_version
        )
    return json_answer(describe_module(schema, principal))


@post(
    "/{module:str}/fields",
    status_code=201,
    responses={
        201: ResponseSpec(FieldDescription, generate_examples=False, description="The new field.")
    },
    opt={
        **documented(
            body=CustomFieldInput, params=[IDEMPOTENCY_KEY], response_headers=[IDEMPOTENT_REPLAYED]
        ),
        PERMISSION: FIELDS_ADMIN,
        AUDIT: "add_field",
    },
)
async def add_field(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str]
) -> Response[bytes]:
    body = await json_object(request)

    async def work(session: AsyncSession) -> Changed[dict[str, object]]:
        return await service.add_custom_field(session, principal.org_id, module, body)

    return await commit_idempotent(request, principal, 201, work, encode_answer)


@delete(
    "/{module:str}/fields/{key:str}",
    status_code=204,
    opt={PERMISSION: FIELDS_ADMIN, AUDIT: "remove_field"},
)
async def remove_field(
    request: AnyRequest, principal: PrincipalDep, module: FromPath[str], key: FromPath[str]
) -> None:
    async def work(session: AsyncSession) -> Changed[None]:
        return await service.remove_custom_field(session, principal.org_id, module, key)

    # Clears the field from every record of the module: many rows, off the event loop's thread.
    await commit_change(request, 204, work, bulk=True)


router = Router("/modules", route_handlers=[list_modules, describe, add_field, remove_field])
