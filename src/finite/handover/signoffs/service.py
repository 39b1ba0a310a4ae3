"""Sign-offs: recorded once per project with the hashes that make them verifiable; read by the
API. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.packs import repository as packs
from finite.handover.paging import window
from finite.handover.project_status import advance
from finite.handover.projects import repository as projects
from finite.handover.signoffs import repository
from finite.handover.signoffs.canonical import certificate_hash, sha256_hex
from finite.handover.signoffs.schemas import SignoffOut, signoff_out
from finite.handover.unique import insert_unique
from finite.kit.errors import conflict, not_found
from finite.kit.ids import new_id
from finite.kit.paging import Window
from finite.models import Signoff
from finite.models.handover import PROJECT_SIGNED_OFF


@dataclass(frozen=True, slots=True)
class SignoffInput:
    """What the client page collects; `pack_snapshot` is the exact bytes of the pack shown."""

    name: str
    email: str
    signed_at: datetime
    ip_address: str | None
    user_agent: str | None
    consent_text: str
    consent_version: str
    pack_snapshot: bytes  # canonical.pack_snapshot of the pack shown


async def record_signoff(
    session: AsyncSession, org_id: str, project_id: str, signed: SignoffInput
) -> Signoff:
    """The sign-off row, and the project becomes signed off (its pack no longer counts as
    active). A second sign-off of the same project is a conflict."""
    project = await projects.get(session, org_id, project_id)
    pack = await packs.of_project(session, org_id, project_id)
    if project is None or pack is None:
        raise not_found("No project with this id.")
    row = Signoff(
        org_id=org_id,
        id=new_id("signoff"),
        project_id=project_id,
        pack_id=pack.id,
        signer_name=signed.name,
        signer_email=signed.email,
        # Milliseconds, as the evidence record writes the time: it recomputes from the row.
        signed_at=signed.signed_at.replace(microsecond=signed.signed_at.microsecond // 1000 * 1000),
        ip_address=signed.ip_address,
        user_agent=signed.user_agent,
        consent_text=signed.consent_text,
        consent_sha256=sha256_hex(signed.consent_text.encode()),
        pack_sha256=sha256_hex(signed.pack_snapshot),
        consent_version=signed.consent_version,
    )
    row.certificate_sha256 = certificate_hash(row)
    if project.status == PROJECT_SIGNED_OFF or not await insert_unique(session, row):
        raise conflict("This project is already signed off.")
    advance(project, "signed_off", signed.signed_at)
    await session.flush()
    return row


async def signoff_of_project(session: AsyncSession, org_id: str, project_id: str) -> Signoff:
    if await projects.get(session, org_id, project_id) is None:
        raise not_found("No project with this id.")
    row = await repository.of_project(session, org_id, project_id)
    if row is None:
        raise not_found("This project has not been signed off yet.")
    return row


async def get_for_project(
    session: AsyncSession, org_id: str, project_id: str, base_url: str
) -> SignoffOut:
    return signoff_out(await signoff_of_project(session, org_id, project_id), base_url)


async def list_signoffs(
    session: AsyncSession, org_id: str, project_id: str | None, before: str | None, limit: int
) -> Window[Signoff]:
    rows = await repository.newest_first(session, org_id, project_id, before, limit + 1)
    return window(rows, limit, lambda row: row.id)
