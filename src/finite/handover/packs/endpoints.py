"""Handover surface: /projects/{id}/pack — read it (credentials masked), replace it whole, or
add, change and remove one credential or item; /projects/{id}/pack.pdf exports it."""

from __future__ import annotations

import asyncio

from litestar import Response, Router, delete, get, patch, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.handover.envelope import Envelope, encode_ok, ok
from finite.handover.http import answered, created
from finite.handover.packs import access, pack_pdf, replace, send, service
from finite.handover.packs.schemas import (
    CredentialIn,
    CredentialOut,
    CredentialPatch,
    ItemIn,
    ItemOut,
    ItemPatch,
    PackAccessOut,
    PackAccessPatch,
    PackOut,
    PackPut,
    SendIn,
    SentOut,
)
from finite.handover.templates.schemas import DeletedOut
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change, commit_idempotent

MODULE = "packs"
PACK = "/pack"  # the router is at /projects/{project_id}
CREDENTIAL = "/pack/credentials/{credential_id:str}"
ITEM = "/pack/items/{item_id:str}"


@get(PACK, opt={"scope": "read"})
async def get_pack(
    request: AnyRequest, principal: PrincipalDep, project_id: FromPath[str]
) -> Envelope[PackOut]:
    """Read a project's handover pack; credential passwords are masked."""
    set_subject(request.scope, MODULE, action="view")
    async with platform_of(request).db.read() as session:
        pack = await service.get_pack(session, principal.org_id, project_id)
    return ok(request, pack)


@put(PACK, opt={"scope": "write"})
async def replace_pack(
    request: AnyRequest, principal: PrincipalDep, project_id: FromPath[str], data: JSONBody[PackPut]
) -> Envelope[PackOut]:
    """Replace the whole pack; a credential sent with its `id` and no `password` keeps it."""
    set_subject(request.scope, MODULE, action="update")
    box = platform_of(request).secrets

    async def work(session: AsyncSession) -> Changed[PackOut]:
        return await replace.replace_pack(session, box, principal.org_id, project_id, data)

    return ok(request, await commit_change(request, 200, work))


@post(
    "/pack/credentials",
    status_code=201,
    responses=created(CredentialOut, "The new credential, its password masked."),
    opt={"scope": "write"},
)
async def add_credential(
    request: AnyRequest,
    principal: PrincipalDep,
    project_id: FromPath[str],
    data: JSONBody[CredentialIn],
) -> Response[bytes]:
    """Add a credential to the pack; the password is stored encrypted and never shown again."""
    set_subject(request.scope, MODULE, action="create")
    box = platform_of(request).secrets

    async def work(session: AsyncSession) -> Changed[CredentialOut]:
        return await service.add_credential(session, box, principal.org_id, project_id, data)

    return await commit_idempotent(request, principal, 201, work, encode_ok)


@patch(CREDENTIAL, opt={"scope": "write"})
async def update_credential(
    request: AnyRequest,
    principal: PrincipalDep,
    project_id: FromPath[str],
    credential_id: FromPath[str],
    data: JSONBody[CredentialPatch],
) -> Envelope[CredentialOut]:
    """Change a credential; without `password` it is kept, `password: null` clears it."""
    set_subject(request.scope, MODULE, action="update")
    box = platform_of(request).secrets

    async def work(session: AsyncSession) -> Changed[CredentialOut]:
        return await service.update_credential(
            session, box, principal.org_id, project_id, credential_id, data
        )

    return ok(request, await commit_change(request, 200, work))


@delete(CREDENTIAL, status_code=200, opt={"scope": "write"})
async def delete_credential(
    request: AnyRequest,
    principal: PrincipalDep,
    project_id: FromPath[str],
    credential_id: FromPath[str],
) -> Envelope[DeletedOut]:
    """Remove a credential from the pack."""
    set_subject(request.scope, MODULE, action="delete")

    async def work(session: AsyncSession) -> Changed[DeletedOut]:
        return await service.delete_credential(session, principal.org_id, project_id, credential_id)

    return ok(request, await commit_change(request, 200, work))


@post(
    "/pack/items",
    status_code=201,
    responses=created(ItemOut, "The new item."),
    opt={"scope": "write"},
)
async def add_item(
    request: AnyRequest, principal: PrincipalDep, project_id: FromPath[str], data: JSONBody[ItemIn]
) -> Response[bytes]:
    """Add a link, training resource or document (as a link) at the end of a section."""
    set_subject(request.scope, MODULE, action="create")

    async def work(session: AsyncSession) -> Changed[ItemOut]:
        return await service.add_item(session, principal.org_id, project_id, data)

    return await commit_idempotent(request, principal, 201, work, encode_ok)


@patch(ITEM, opt={"scope": "write"})
async def update_item(
    request: AnyRequest,
    principal: PrincipalDep,
    project_id: FromPath[str],
    item_id: FromPath[str],
    data: JSONBody[ItemPatch],
) -> Envelope[ItemOut]:
    """Change an item, or move it to another section; only the fields sent change."""
    set_subject(request.scope, MODULE, action="update")

    async def work(session: AsyncSession) -> Changed[ItemOut]:
        return await service.update_item(session, principal.org_id, project_id, item_id, data)

    return ok(request, await commit_change(request, 200, work))


@delete(ITEM, status_code=200, opt={"scope": "write"})
async def delete_item(
    request: AnyRequest, principal: PrincipalDep, project_id: FromPath[str], item_id: FromPath[str]
) -> Envelope[DeletedOut]:
    """Remove an item from the pack."""
    set_subject(request.scope, MODULE, action="delete")

    async def work(session: AsyncSession) -> Changed[DeletedOut]:
        return await service.delete_item(session, principal.org_id, project_id, item_id)

    return ok(request, await commit_change(request, 200, work))


@post(
    "/pack/send",
    status_code=200,
    responses=answered(SentOut, "This sending: one entry per recipient, its mail queued."),
    opt={"scope": "write"},
)
async def send_pack(
    request: AnyRequest,
    principal: PrincipalDep,
    project_id: FromPath[str],
    data: JSONBody[SendIn | None] = None,
) -> Response[bytes]:
    """Send the pack: a link for each recipient (the project's client unless `recipients` are
    given), by email after the commit; the project becomes `pack_sent`. Sending again replaces
    every earlier link. The mail's progress shows in the pack's `sendHistory`."""
    set_subject(request.scope, MODULE, action="send")
    platform = platform_of(request)
    mailer = send.Mailer.of(platform)

    async def work(session: AsyncSession) -> Changed[SentOut]:
        wanted = data or SendIn()  # no body: every default
        return await send.send_pack(session, mailer, principal.org_id, project_id, wanted, utcnow())

    return await commit_idempotent(request, principal, 200, work, encode_ok)


@patch("/pack/access", opt={"scope": "write"})
async def update_access(
    request: AnyRequest,
    principal: PrincipalDep,
    project_id: FromPath[str],
    data: JSONBody[PackAccessPatch],
) -> Envelope[PackAccessOut]:
    """The client page's options: a pack password the client must enter first (write-only;
    null removes it) and whether credentials stay locked until the client has signed off."""
    set_subject(request.scope, MODULE, action="update")

    async def work(session: AsyncSession) -> Changed[PackAccessOut]:
        return await access.update_access(session, principal.org_id, project_id, data)

    return ok(request, await commit_change(request, 200, work))


@get(
    "/pack.pdf",
    opt={"scope": "read"},
    responses={
        200: ResponseSpec(
            None,
            description="The pack as a PDF, under the organization's branding; credential "
            "passwords are never in it.",
            media_type="application/pdf",
        )
    },
)
async def export_pack(
    request: AnyRequest, principal: PrincipalDep, project_id: FromPath[str]
) -> Response[bytes]:
    """The handover pack as a PDF: project, client, scope, credentials (passwords masked),
    training, documents, links and the support terms."""
    set_subject(request.scope, MODULE, action="export")
    async with platform_of(request).db.read() as session:
        export = await pack_pdf.pack_export(session, principal.org_id, project_id, utcnow())
    return Response(
        await asyncio.to_thread(pack_pdf.pack_pdf, export),
        media_type="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="handover-pack.pdf"'},
    )


router = Router(
    "/projects/{project_id:str}",
    route_handlers=[
        get_pack,
        export_pack,
        send_pack,
        update_access,
        replace_pack,
        add_credential,
        update_credential,
        delete_credential,
        add_item,
        update_item,
        delete_item,
    ],
)
