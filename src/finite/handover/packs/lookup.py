"""Find the project and pack an edit is about: 404 outside the organization, 409 once signed."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.packs import repository
from finite.kit.errors import conflict, not_found
from finite.models import HandoverPack, HandoverProject
from finite.models.handover import PROJECT_SIGNED_OFF


async def project_or_404(session: AsyncSession, org_id: str, project_id: str) -> HandoverProject:
    project = await session.get(HandoverProject, (org_id, project_id))
    if project is None:
        raise not_found("No project with this id.")
    return project


async def pack_of(session: AsyncSession, project: HandoverProject) -> HandoverPack:
    pack = await repository.of_project(session, project.org_id, project.id)
    if pack is None:  # every project is created with its pack
        raise not_found("This project has no pack.")
    return pack


async def editable(
    session: AsyncSession, org_id: str, project_id: str
) -> tuple[HandoverProject, HandoverPack]:
    project = await project_or_404(session, org_id, project_id)
    if project.status == PROJECT_SIGNED_OFF:
        raise conflict("This project is signed off; its pack can no longer change.")
    return project, await pack_of(session, project)
