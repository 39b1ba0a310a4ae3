"""Handover surface: sign-offs — one project's, and all of them newest first."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.params import FromPath, QueryParameter

from finite.core.audit.context import set_subject
from finite.handover.envelope import Envelope, ok
from finite.handover.paging import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from finite.handover.signoffs import service
from finite.handover.signoffs.schemas import SignoffOut, signoff_out
from finite.platform.http import NO_NUL, AnyRequest, PrincipalDep
from finite.platform.state import platform_of

MODULE = "signoffs"
ProjectFilter = Annotated[
    str | None,
    QueryParameter(
        name="projectId", max_length=40, pattern=NO_NUL, description="Only this project's."
    ),
]


@get("/projects/{project_id:str}/signoff", opt={"scope": "read"})
async def get_project_signoff(
    request: AnyRequest, principal: PrincipalDep, project_id: FromPath[str]
) -> Envelope[SignoffOut]:
    """Read a project's sign-off; 404 until the client has signed off."""
    set_subject(request.scope, MODULE, action="view")
    async with platform_of(request).db.read() as session:
        found = await service.get_for_project(session, principal.org_id, project_id)
    return ok(request, found)


@get("/signoffs", opt={"scope": "read"})
async def list_signoffs(
    request: AnyRequest,
    principal: PrincipalDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    project_id: ProjectFilter = None,
) -> Page[SignoffOut]:
    """List sign-offs, newest first."""
    set_subject(request.scope, MODULE, action="list")
    before = decode_cursor(cursor, "signoff")
    async with platform_of(request).db.read() as session:
        found = await service.list_signoffs(session, principal.org_id, project_id, before, limit)
    return page_of(request, [signoff_out(row) for row in found.rows], found)


router = Router("/", route_handlers=[get_project_signoff, list_signoffs])
