"""Handover surface: /projects — list, create (with the client and the pack), read, update."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.handover.envelope import Envelope, encode_ok, ok
from finite.handover.http import created
from finite.handover.paging import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from finite.handover.project_status import ProjectStatus
from finite.handover.projects import service
from finite.handover.projects.schemas import ProjectIn, ProjectOut, ProjectPatch
from finite.platform.http import NO_NUL, AnyRequest, PrincipalDep
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change, commit_idempotent

MODULE = "projects"
StatusFilter = Annotated[
    ProjectStatus | None, QueryParameter(description="Only projects in this status.")
]
ClientFilter = Annotated[
    str | None,
    QueryParameter(
        name="clientId", max_length=40, pattern=NO_NUL, description="Only this client's."
    ),
]
TypeFilter = Annotated[
    str | None,
    QueryParameter(
        name="projectType",
        max_length=100,
        pattern=NO_NUL,
        description="Only this type, any case.",
    ),
]


@get("/", opt={"scope": "read"})
async def list_projects(
    request: AnyRequest,
    principal: PrincipalDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: StatusFilter = None,
    client_id: ClientFilter = None,
    project_type: TypeFilter = None,
) -> Page[ProjectOut]:
    """List projects, newest first; filter by status, client or project type."""
    set_subject(request.scope, MODULE, action="list")
    before = decode_cursor(cursor, "project")
    async with platform_of(request).db.read() as session:
        items, found = await service.list_projects(
            session,
            principal.org_id,
            status=status,
            client_id=client_id,
            project_type=project_type,
            before=before,
            limit=limit,
        )
    return page_of(request, items, found)


@post(
    "/",
    status_code=201,
    responses=created(ProjectOut, "The new project with its client; its pack is ready."),
    opt={"scope": "write"},
)
async def create_project(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[ProjectIn]
) -> Response[bytes]:
    """Create a project for a client (by `clientId`, or `clientName` and `clientEmail`)."""
    set_subject(request.scope, MODULE, action="create")

    async def work(session: AsyncSession) -> Changed[ProjectOut]:
        return await service.create_project(session, principal.org_id, principal.entitlement, data)

    return await commit_idempotent(request, principal, 201, work, encode_ok)


@get("/{project_id:str}", opt={"scope": "read"})
async def get_project(
    request: AnyRequest, principal: PrincipalDep, project_id: FromPath[str]
) -> Envelope[ProjectOut]:
    """Read one project with its client."""
    set_subject(request.scope, MODULE, action="view")
    async with platform_of(request).db.read() as session:
        project = await service.get_project(session, principal.org_id, project_id)
    return ok(request, project)


@patch("/{project_id:str}", opt={"scope": "write"})
async def update_project(
    request: AnyRequest,
    principal: PrincipalDep,
    project_id: FromPath[str],
    data: JSONBody[ProjectPatch],
) -> Envelope[ProjectOut]:
    """Change a project's name, type, launch date or client; only the fields sent change."""
    set_subject(request.scope, MODULE, action="update")

    async def work(session: AsyncSession) -> Changed[ProjectOut]:
        return await service.update_project(session, principal.org_id, project_id, data)

    return ok(request, await commit_change(request, 200, work))


router = Router(
    "/projects", route_handlers=[list_projects, create_project, get_project, update_project]
)
