"""Handover surface: /clients — list, create, read and update the agency's clients."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.handover.clients import service
from finite.handover.clients.schemas import ClientIn, ClientOut, ClientPatch, client_out
from finite.handover.envelope import Envelope, ok
from finite.handover.http import AnyRequest, PrincipalDep, created
from finite.handover.idempotency import idempotent_post
from finite.handover.paging import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from finite.handover.writes import Written, audited_write
from finite.platform.state import platform_of

MODULE = "clients"
Search = Annotated[
    str | None,
    QueryParameter(max_length=200, description="Part of the client's name or email, any case."),
]


@get("/clients", opt={"scope": "read"})
async def list_clients(
    request: AnyRequest,
    principal: PrincipalDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    search: Search = None,
) -> Page[ClientOut]:
    """List clients, newest first; `search` matches name or email."""
    set_subject(request.scope, MODULE, action="list")
    before = decode_cursor(cursor, "client")
    async with platform_of(request).db.read() as session:
        found = await service.list_clients(session, principal.org_id, search, before, limit)
    return page_of(request, [client_out(row) for row in found.rows], found)


@post(
    "/clients",
    status_code=201,
    responses=created(ClientOut, "The new client."),
    opt={"scope": "write"},
)
async def create_client(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[ClientIn]
) -> Response[bytes]:
    """Create a client; its email (normalized) must be new to the organization."""
    set_subject(request.scope, MODULE, action="create")

    async def work(session: AsyncSession) -> Written[ClientOut]:
        return await service.create_client(session, principal.org_id, data)

    return await idempotent_post(request, principal, 201, work)


@get("/clients/{client_id:str}", opt={"scope": "read"})
async def get_client(
    request: AnyRequest, principal: PrincipalDep, client_id: FromPath[str]
) -> Envelope[ClientOut]:
    """Read one client."""
    set_subject(request.scope, MODULE, action="view")
    async with platform_of(request).db.read() as session:
        client = await service.get_client(session, principal.org_id, client_id)
    return ok(request, client_out(client))


@patch("/clients/{client_id:str}", opt={"scope": "write"})
async def update_client(
    request: AnyRequest,
    principal: PrincipalDep,
    client_id: FromPath[str],
    data: JSONBody[ClientPatch],
) -> Envelope[ClientOut]:
    """Change a client's name, email or company; only the fields sent change."""
    set_subject(request.scope, MODULE, action="update")

    async def work(session: AsyncSession) -> Written[ClientOut]:
        return await service.update_client(session, principal.org_id, client_id, data)

    return ok(request, await audited_write(request, 200, work))
