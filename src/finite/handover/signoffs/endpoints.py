"""Handover surface: sign-offs — one project's, and all of them newest first."""

from __future__ import annotations

import asyncio
from typing import Annotated

from litestar import Response, Router, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, QueryParameter

from finite.config import public_base_url
from finite.core.audit.context import set_subject
from finite.handover.envelope import Envelope, ok
from finite.handover.paging import DEFAULT_LIMIT, Cursor, Limit, Page, decode_cursor, page_of
from finite.handover.signoffs import service
from finite.handover.signoffs.certificate import certificate_of, certificate_pdf
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
    platform = platform_of(request)
    async with platform.db.read() as session:
        found = await service.get_for_project(
            session, principal.org_id, project_id, public_base_url(platform.settings)
        )
    return ok(request, found)


@get(
    "/projects/{project_id:str}/signoff/certificate.pdf",
    opt={"scope": "read"},
    responses={200: ResponseSpec(None, description="The completion certificate as a PDF.")},
)
async def get_signoff_certificate(
    request: AnyRequest, principal: PrincipalDep, project_id: FromPath[str]
) -> Response[bytes]:
    """The project's completion certificate (PDF); 404 until the client has signed off."""
    set_subject(request.scope, MODULE, action="view")
    platform = platform_of(request)
    async with platform.db.read() as session:
        row = await service.signoff_of_project(session, principal.org_id, project_id)
        certificate = await certificate_of(
            session, row, public_base_url(platform.settings), with_logo=True
        )
    return Response(
        await asyncio.to_thread(certificate_pdf, certificate),
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="completion-certificate.pdf"'},
    )


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
    platform = platform_of(request)
    async with platform.db.read() as session:
        found = await service.list_signoffs(session, principal.org_id, project_id, before, limit)
    base_url = public_base_url(platform.settings)
    return page_of(request, [signoff_out(row, base_url) for row in found.rows], found)


router = Router("/", route_handlers=[get_project_signoff, get_signoff_certificate, list_signoffs])
