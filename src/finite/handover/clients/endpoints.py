"""Handover surface: /clients — list, create, read and update the agency's clients."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.handover.clients import service
from finite.handover.clients.schemas import ClientIn, ClientOut, ClientPatch, client_out
from finite.handover.envelope import Envelope, encode_ok, ok
from finite.handover.http import created
from finite.handover.paging import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change, commit_idempotent

MODULE = "clients"
Search = Annotated[
    str | None,
    QueryParameter(max_length=200, description="Part of the client's name or email, any case."),
]


@get("/", opt={"scope": "read"})
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
    "/",
    status_code=201,
    responses=created(ClientOut, "The new client."),
    opt={"scope": "write"},
)
async def create_client(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[ClientIn]
) -> Response[bytes]:
    """Create a client; its email (normalized) must be new to the organization."""
    set_subject(request.scope, MODULE, action="create")

    async def work(session: AsyncSession) -> Changed[ClientOut]:
        return await service.create_client(session, principal.org_id, data)

    return await commit_idempotent(request, principal, 201, work, encode_ok)


@get("/{client_id:str}", opt={"scope": "read"})
async def get_client(
    request: AnyRequest, principal: PrincipalDep, client_id: FromPath[str]
) -> Envelope[ClientOut]:
    """Read one client."""
    set_subject(request.scope, MODULE, action="view")
    async with platform_of(request).db.read() as session:
        client = await service.get_client(session, principal.org_id, client_id)
    return ok(request, client_out(client))


@patch("/{client_id:str}", opt={"scope": "write"})
async def update_client(
    request: AnyRequest,
    principal: PrincipalDep,
    client_id: FromPath[str],
    data: JSONBody[ClientPatch],
) -> Envelope[ClientOut]:
    """Change a client's name, email or company; only the fields sent change."""
    set_subject(request.scope, MODULE, action="update")

    async def work(session: AsyncSession) -> Changed[ClientOut]:
        return await service.update_client(session, principal.org_id, client_id, data)

    return ok(request, await commit_change(request, 200, work))


router = Router("/clients", route_handlers=[list_clients, create_client, get_client, update_client])
