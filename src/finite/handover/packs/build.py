"""A new project's pack: a copy of its template's content (sections, items, credentials)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.templates.schemas import TemplateContent
from finite.kit.clock import utcnow
from finite.kit.ids import new_id
from finite.models import HandoverPack, PackCredential, PackItem, PackSection


async def create_from_template(
    session: AsyncSession,
    org_id: str,
    project_id: str,
    template_id: str,
    content: TemplateContent,
) -> HandoverPack:
    now = utcnow()
    support = content.support_boundary
    pack = HandoverPack(
        org_id=org_id,
        id=new_id("pack"),
        project_id=project_id,
        template_id=template_id,
        scope_summary=content.scope_summary,
        support_duration_days=support.duration_days,
        support_included=list(support.included),
        support_excluded=list(support.excluded),
        created_at=now,
        updated_at=now,
    )
    session.add(pack)
    await session.flush()
    items: list[PackItem] = []
    for position, section in enumerate(content.sections):
        row = PackSection(
            org_id=org_id,
            id=new_id("section"),
            pack_id=pack.id,
            position=position,
            kind=section.kind,
            title=section.title,
            description=section.description,
        )
        session.add(row)
        items.extend(
            PackItem(
                org_id=org_id,
                id=new_id("item"),
                pack_id=pack.id,
                section_id=row.id,
                position=index,
                kind=item.kind,
                title=item.title,
                url=item.url,
                description=item.description,
            )
            for index, item in enumerate(section.items)
        )
    session.add_all(
        PackCredential(
            org_id=org_id,
            id=new_id("cred"),
            pack_id=pack.id,
            position=position,
            platform=credential.platform,
            url=credential.url,
            username=None,
            password_sealed=None,
            notes=credential.notes,
            created_at=now,
            updated_at=now,
        )
        for position, credential in enumerate(content.credentials)
    )
    await session.flush()
    session.add_all(items)
    await session.flush()
    return pack
