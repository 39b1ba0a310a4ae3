"""Zapier actions (POST /api/v1/zapier/actions/…): create a project, send a pack. Each takes the
seed's snake_case fields and answers one object with an `id`, through the same services,
rules, scopes and Idempotency-Key as the REST API; the Pro plan may call them (plan_gate.py)."""

from __future__ import annotations

from litestar import Response, Router, post
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import set_subject
from finite.handover.envelope import encode_ok
from finite.handover.http import answered, created
from finite.handover.packs import send
from finite.handover.packs.schemas import SendIn
from finite.handover.plan_gate import PLAN, ZAPIER
from finite.handover.projects import service as projects
from finite.handover.projects.schemas import ProjectIn
from finite.handover.zapier.fields import snake_case_errors
from finite.handover.zapier.schemas import (
    CreateProjectIn,
    SendPackIn,
    ZapierProjectOut,
    ZapierSentOut,
)
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_idempotent


@post(
    "/create-project",
    status_code=201,
    responses=created(ZapierProjectOut, "The new project; its pack is ready to send."),
    opt={"scope": "write", PLAN: ZAPIER},
)
async def create_project(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[CreateProjectIn]
) -> Response[bytes]:
    """Create a project for a client (by `client_id`, or `client_name` and `client_email`)."""
    set_subject(request.scope, "projects", action="create")
    wanted = ProjectIn(
        name=data.project_name,
        project_type=data.project_type,
        launch_date=data.launch_date,
        client_id=data.client_id,
        client_name=data.client_name,
        client_email=data.client_email,
    )

    async def work(session: AsyncSession) -> Changed[ZapierProjectOut]:
        with snake_case_errors():
            changed = await projects.create_project(
                session, principal.org_id, principal.entitlement, wanted
            )
        made = changed.data
        out = ZapierProjectOut(
            id=made.id,
            name=made.name,
            project_type=made.project_type,
            launch_date=made.launch_date,
            status=made.status,
            client_id=made.client.id,
            client_name=made.client.name,
            client_email=made.client.email,
            pack_id=made.pack_id,
            created_at=made.created_at,
        )
        return Changed(out, changed.diff)

    return await commit_idempotent(request, principal, 201, work, encode_ok)


@post(
    "/send-pack",
    status_code=200,
    responses=answered(ZapierSentOut, "This sending to the project's client, its mail queued."),
    opt={"scope": "write", PLAN: ZAPIER},
)
async def send_pack(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[SendPackIn]
) -> Response[bytes]:
    """Send the project's pack to its client by email (after the commit); the project becomes
    `pack_sent`, and sending again replaces the earlier link."""
    set_subject(request.scope, "packs", action="send")
    platform = platform_of(request)
    mailer = send.Mailer.of(platform)
    wanted = SendIn(personal_message=data.personal_message)

    async def work(session: AsyncSession) -> Changed[ZapierSentOut]:
        with snake_case_errors():
            changed = await send.send_pack(
                session, mailer, principal.org_id, data.project_id, wanted, utcnow()
            )
        sent = changed.data
        only = sent.sends[0]  # the project's client: no recipients given
        out = ZapierSentOut(
            id=only.id,
            project_id=sent.project_id,
            status=sent.status,
            recipient_email=only.recipient_email,
            personal_message=only.message,
            sent_at=only.sent_at,
            mail_status=only.mail_status,
        )
        return Changed(out, changed.diff)

    return await commit_idempotent(request, principal, 200, work, encode_ok)


router = Router("/zapier/actions", route_handlers=[create_project, send_pack])
