"""Handover surface: /templates — the built-in ones and the organization's own (``admin`` scope
to create, change or delete)."""

from __future__ import annotations

from litestar import Response, Router, delete, get, patch, post
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.handover.envelope import Envelope, encode_ok, ok
from finite.handover.http import created
from finite.handover.templates import service
from finite.handover.templates.schemas import DeletedOut, TemplateIn, TemplateOut, TemplatePatch
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change, commit_idempotent

MODULE = "templates"
ONE = "/{template_id:str}"


@get("/", opt={"scope": "read"})
async def list_templates(
    request: AnyRequest, principal: PrincipalDep
) -> Envelope[list[TemplateOut]]:
    """List the built-in templates, then the organization's custom ones."""
    set_subject(request.scope, MODULE, action="list")
    async with platform_of(request).db.read() as session:
        found = await service.list_templates(session, principal.org_id)
    return ok(request, found)


@post(
    "/",
    status_code=201,
    responses=created(TemplateOut, "The new template."),
    opt={"scope": "admin"},
)
async def create_template(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[TemplateIn]
) -> Response[bytes]:
    """Create a custom template; new projects of its type start from it."""
    set_subject(request.scope, MODULE, action="create")

    async def work(session: AsyncSession) -> Changed[TemplateOut]:
        return await service.create_template(session, principal.org_id, data)

    return await commit_idempotent(request, principal, 201, work, encode_ok)


@get(ONE, opt={"scope": "read"})
async def get_template(
    request: AnyRequest, principal: PrincipalDep, template_id: FromPath[str]
) -> Envelope[TemplateOut]:
    """Read one template, built-in or custom."""
    set_subject(request.scope, MODULE, action="view")
    async with platform_of(request).db.read() as session:
        found = await service.get_template(session, principal.org_id, template_id)
    return ok(request, found)


@patch(ONE, opt={"scope": "admin"})
async def update_template(
    request: AnyRequest,
    principal: PrincipalDep,
    template_id: FromPath[str],
    data: JSONBody[TemplatePatch],
) -> Envelope[TemplateOut]:
    """Change a custom template; packs already created do not change."""
    set_subject(request.scope, MODULE, action="update")

    async def work(session: AsyncSession) -> Changed[TemplateOut]:
        return await service.update_template(session, principal.org_id, template_id, data)

    return ok(request, await commit_change(request, 200, work))


@delete(ONE, status_code=200, opt={"scope": "admin"})
async def delete_template(
    request: AnyRequest, principal: PrincipalDep, template_id: FromPath[str]
) -> Envelope[DeletedOut]:
    """Delete a custom template; built-in templates cannot be deleted."""
    set_subject(request.scope, MODULE, action="delete")

    async def work(session: AsyncSession) -> Changed[DeletedOut]:
        return await service.delete_template(session, principal.org_id, template_id)

    return ok(request, await commit_change(request, 200, work))


router = Router(
    "/templates",
    route_handlers=[
        list_templates,
        create_template,
        get_template,
        update_template,
        delete_template,
    ],
)
