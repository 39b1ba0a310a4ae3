"""Read a pack back as the API shows it: sections with their items, masked credentials, sends."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.packs import history, repository
from finite.handover.packs.credentials import credential_out
from finite.handover.packs.schemas import ItemOut, PackAccessOut, PackOut, SectionOut
from finite.handover.templates.schemas import ItemKind, SectionKind, SupportBoundary
from finite.models import HandoverPack, HandoverProject, PackItem, PackSection


def item_out(row: PackItem) -> ItemOut:
    kind: ItemKind = row.kind  # type: ignore[assignment]  # written only from ItemKind
    return ItemOut(
        id=row.id,
        section_id=row.section_id,
        kind=kind,
        title=row.title,
        url=row.url,
        description=row.description,
    )


def section_out(row: PackSection, items: list[ItemOut]) -> SectionOut:
    kind: SectionKind = row.kind  # type: ignore[assignment]  # written only from SectionKind
    return SectionOut(
        id=row.id, kind=kind, title=row.title, description=row.description, items=items
    )


async def pack_out(
    session: AsyncSession,
    project: HandoverProject,
    pack: HandoverPack,
    *,
    with_sends: bool = True,
) -> PackOut:
    """`with_sends=False` leaves the send history empty: the client page and the sign-off never
    show it, and reading it (the mails' outbox rows) was a sixth of a page view's work."""
    org_id = pack.org_id
    by_section: dict[str, list[ItemOut]] = {}
    for item in await repository.items(session, org_id, pack.id):
        by_section.setdefault(item.section_id, []).append(item_out(item))
    sections = [
        section_out(row, by_section.get(row.id, []))
        for row in await repository.sections(session, org_id, pack.id)
    ]
    return PackOut(
        id=pack.id,
        project_id=project.id,
        template_id=pack.template_id,
        status=project.status,
        scope_summary=pack.scope_summary,
        sections=sections,
        credentials=[
            credential_out(c) for c in await repository.credentials(session, org_id, pack.id)
        ],
        support_boundary=SupportBoundary(
            duration_days=pack.support_duration_days,
            included=list(pack.support_included),
            excluded=list(pack.support_excluded),
        ),
        send_history=await history.send_history(session, org_id, pack.id) if with_sends else [],
        access=PackAccessOut(
            has_password=pack.password_hash is not None,
            credentials_after_sign_off=pack.credentials_after_signoff,
        ),
        created_at=pack.created_at,
        updated_at=pack.updated_at,
    )
