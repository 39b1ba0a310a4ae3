"""Project rules: a project always has a client and a pack built from its type's template; Free
keeps at most its plan's number of active packs. Never commits."""

from __future__ import annotations

from datetime import date
from typing import Any

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.plans.entitlement import Entitlement
from finite.handover import diffs, inputs
from finite.handover.clients import repository as clients_repository
from finite.handover.clients import service as clients
from finite.handover.clients.schemas import client_out
from finite.handover.events import moment, prepare_handover_events, record_handover_event
from finite.handover.packs import build as packs
from finite.handover.packs import repository as packs_repository
from finite.handover.paging import window
from finite.handover.project_status import ProjectStatus
from finite.handover.projects import repository
from finite.handover.projects.schemas import ProjectIn, ProjectOut, ProjectPatch
from finite.handover.templates import service as templates
from finite.kit.clock import utcnow
from finite.kit.errors import (
    AppError,
    ErrorDetail,
    Problems,
    invalid_field,
    not_found,
    plan_limit,
)
from finite.kit.ids import new_id
from finite.kit.paging import Window
from finite.models import HandoverClient, HandoverProject
from finite.platform.unit_of_work import Changed

TYPE_LENGTH = 100


def project_out(project: HandoverProject, client: HandoverClient, pack_id: str) -> ProjectOut:
    status: ProjectStatus = project.status  # type: ignore[assignment]  # checked by the table
    return ProjectOut(
        id=project.id,
        name=project.name,
        project_type=project.project_type,
        launch_date=project.launch_date,
        status=status,
        client=client_out(client),
        pack_id=pack_id,
        created_at=project.created_at,
        updated_at=project.updated_at,
    )


async def create_project(
    session: AsyncSession, org_id: str, entitlement: Entitlement, data: ProjectIn
) -> Changed[ProjectOut]:
    """The client (found by id, or by email and else created), the project, its pack from the
    template for its type — all in the caller's one transaction."""
    problems = Problems()
    name = problems.clean(inputs.title, "name", data.name)
    project_type = problems.clean(inputs.title, "projectType", data.project_type, TYPE_LENGTH)
    new_client = None
    with problems.check():
        new_client = _new_client_fields(data)
    if new_client is not None:
        clients.check_details(
            problems,
            *new_client,
            data.client_company,
            name_field="clientName",
            email_field="clientEmail",
            company_field="clientCompany",
        )
    problems.raise_any()
    await prepare_handover_events(session, org_id)
    await _check_active_packs(session, org_id, entitlement)
    client_created = False
    if new_client is None:
        client = await _client(session, org_id, str(data.client_id))
    else:
        found = await clients.find_or_create(
            session,
            org_id,
            *new_client,
            data.client_company,
            name_field="clientName",
            email_field="clientEmail",
            company_field="clientCompany",
        )
        client, client_created = found.client, found.created
    now = utcnow()
    project = HandoverProject(
        org_id=org_id,
        id=new_id("project"),
        client_id=client.id,
        name=name,
        project_type=project_type,
        launch_date=data.launch_date,
        status="draft",
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    await session.flush()
    template_id, content = await templates.content_for_type(session, org_id, project_type)
    pack = await packs.create_from_template(session, org_id, project.id, template_id, content)
    out = project_out(project, client, pack.id)
    await record_handover_event(
        session,
        org_id=org_id,
        event="project.created",
        project_id=project.id,
        data={"packId": pack.id, "launchDate": _date(data.launch_date), "createdAt": moment(now)},
    )
    diff = diffs.created(_audited(out))
    diff["templateId"] = {"before": None, "after": template_id}
    if client_created:
        diff["client.created"] = {"before": None, "after": True}
    return Changed(out, diff)


async def get_project(session: AsyncSession, org_id: str, project_id: str) -> ProjectOut:
    project = await _project(session, org_id, project_id)
    return await _out(session, project)


async def list_projects(
    session: AsyncSession,
    org_id: str,
    *,
    status: str | None,
    client_id: str | None,
    project_type: str | None,
    before: str | None,
    limit: int,
) -> tuple[list[ProjectOut], Window[HandoverProject]]:
    rows = await repository.newest_first(
        session,
        org_id,
        status=status,
        client_id=client_id,
        project_type=project_type.strip() if project_type else None,
        before=before,
        limit=limit + 1,
    )
    found = window(rows, limit, lambda row: row.id)
    owners = await clients_repository.many(session, org_id, {p.client_id for p in found.rows})
    pack_ids = await packs_repository.pack_ids_of(session, org_id, [p.id for p in found.rows])
    items = [project_out(p, owners[p.client_id], pack_ids[p.id]) for p in found.rows]
    return items, found


async def update_project(
    session: AsyncSession, org_id: str, project_id: str, patch: ProjectPatch
) -> Changed[ProjectOut]:
    project = await _project(session, org_id, project_id)
    before = await _out(session, project)
    problems = Problems()
    name = project.name if patch.name is UNSET else problems.clean(inputs.title, "name", patch.name)
    project_type = (
        project.project_type
        if patch.project_type is UNSET
        else problems.clean(inputs.title, "projectType", patch.project_type, TYPE_LENGTH)
    )
    problems.raise_any()
    project.name, project.project_type = name, project_type
    if patch.launch_date is not UNSET:
        project.launch_date = patch.launch_date
    if patch.client_id is not UNSET:
        project.client_id = (await _client(session, org_id, patch.client_id)).id
    after = await _out(session, project)
    diff = diffs.changed(_audited(before), _audited(after))
    if diff:
        project.updated_at = after.updated_at = utcnow()
        await session.flush()
    return Changed(after, diff)


async def _out(session: AsyncSession, project: HandoverProject) -> ProjectOut:
    client = await clients.get_client(session, project.org_id, project.client_id)
    pack = await packs_repository.of_project(session, project.org_id, project.id)
    if pack is None:  # every project is created with its pack
        raise not_found("This project has no pack.")
    return project_out(project, client, pack.id)


async def _project(session: AsyncSession, org_id: str, project_id: str) -> HandoverProject:
    project = await repository.get(session, org_id, project_id)
    if project is None:
        raise not_found("No project with this id.")
    return project


async def _client(session: AsyncSession, org_id: str, client_id: str) -> HandoverClient:
    client = await clients_repository.get(session, org_id, client_id)
    if client is None:
        raise AppError(
            404,
            "NOT_FOUND",
            "No client with this clientId.",
            [ErrorDetail("clientId", "does not name a client of this organization")],
        )
    return client


def _new_client_fields(data: ProjectIn) -> tuple[str, str] | None:
    """(clientName, clientEmail) for a client found or created by email; None with clientId."""
    by_details = (data.client_name, data.client_email, data.client_company)
    if data.client_id is not None:
        if any(value is not None for value in by_details):
            raise invalid_field(
                "clientId", "send either clientId or clientName and clientEmail, not both"
            )
        return None
    if data.client_name is None and data.client_email is None:
        raise invalid_field("clientId", "send clientId, or clientName and clientEmail")
    if data.client_name is None:
        raise invalid_field("clientName", "is required with clientEmail")
    if data.client_email is None:
        raise invalid_field("clientEmail", "is required with clientName")
    return data.client_name, data.client_email


async def _check_active_packs(session: AsyncSession, org_id: str, entitlement: Entitlement) -> None:
    """A project's pack is active until the project is signed off."""
    limit = entitlement.active_packs
    if limit is None:
        return
    await repository.lock_org(session, org_id)
    if await repository.count_active(session, org_id) >= limit:
        plan = entitlement.effective_plan
        raise plan_limit(
            f"The {plan} plan allows {limit} active packs; finish one (client sign-off) or "
            "upgrade to Pro for unlimited packs."
        )


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _audited(out: ProjectOut) -> dict[str, Any]:
    return {
        "id": out.id,
        "name": out.name,
        "projectType": out.project_type,
        "launchDate": out.launch_date,
        "status": out.status,
        "clientId": out.client.id,
        "packId": out.pack_id,
    }
