"""PUT of a whole pack: sections and items rewritten, credentials updated in place so a password
not sent is kept. Never commits."""

from __future__ import annotations

from typing import Any

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover import diffs, inputs
from finite.handover.packs import audited, lookup, repository
from finite.handover.packs.assemble import pack_out
from finite.handover.packs.credentials import clean_username, seal_password
from finite.handover.packs.schemas import CredentialPut, PackOut, PackPut, SectionPut
from finite.handover.templates.content import clean_support
from finite.kit.clock import utcnow
from finite.kit.errors import Problems
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.models import HandoverPack, PackCredential, PackItem, PackSection
from finite.platform.unit_of_work import Changed


async def replace_pack(
    session: AsyncSession, box: SecretBox, org_id: str, project_id: str, data: PackPut
) -> Changed[PackOut]:
    project, pack = await lookup.editable(session, org_id, project_id)
    before = await pack_out(session, project, pack)
    problems = Problems()
    await _check_ids(session, pack, data, problems)
    _check_values(data, problems)
    problems.raise_any()  # every bad field named before anything is written
    password_diff = await _replace_credentials(session, box, pack, data.credentials)
    await repository.clear_sections(session, org_id, pack.id)
    await _insert_sections(session, pack, data.sections)
    support = clean_support(data.support_boundary, problems)
    pack.scope_summary = inputs.text("scopeSummary", data.scope_summary)
    pack.support_duration_days = support.duration_days
    pack.support_included, pack.support_excluded = support.included, support.excluded
    pack.updated_at = utcnow()
    await session.flush()
    after = await pack_out(session, project, pack)
    return Changed(
        after,
        {**diffs.changed(audited.pack_fields(before), audited.pack_fields(after)), **password_diff},
    )


def _check_values(data: PackPut, problems: Problems) -> None:
    problems.clean(inputs.text, "scopeSummary", data.scope_summary)
    clean_support(data.support_boundary, problems)
    for i, credential in enumerate(data.credentials):
        path = f"credentials[{i}]"
        problems.clean(inputs.title, f"{path}.platform", credential.platform)
        problems.clean(inputs.url, f"{path}.url", credential.url)
        problems.clean(clean_username, f"{path}.username", credential.username)
        problems.clean(inputs.text, f"{path}.notes", credential.notes)
    for i, section in enumerate(data.sections):
        path = f"sections[{i}]"
        problems.clean(inputs.title, f"{path}.title", section.title)
        problems.clean(inputs.text, f"{path}.description", section.description)
        for j, item in enumerate(section.items):
            where = f"{path}.items[{j}]"
            problems.clean(inputs.title, f"{where}.title", item.title)
            problems.clean(inputs.url, f"{where}.url", item.url)
            problems.clean(inputs.text, f"{where}.description", item.description)


async def _check_ids(
    session: AsyncSession, pack: HandoverPack, data: PackPut, problems: Problems
) -> None:
    """Ids sent with PUT must be this pack's own, each at most once."""
    known = {
        "section": await repository.section_ids(session, pack.org_id, pack.id),
        "item": await repository.item_ids(session, pack.org_id, pack.id),
        "credential": {c.id for c in await repository.credentials(session, pack.org_id, pack.id)},
    }
    sent: list[tuple[str, str, str | None]] = []
    for i, section in enumerate(data.sections):
        sent.append(("section", f"sections[{i}].id", section.id))
        sent.extend(
            ("item", f"sections[{i}].items[{j}].id", item.id)
            for j, item in enumerate(section.items)
        )
    sent.extend(
        ("credential", f"credentials[{i}].id", c.id) for i, c in enumerate(data.credentials)
    )
    seen: set[str] = set()
    for kind, field, value in sent:
        if value is None:
            continue
        if value not in known[kind]:
            problems.add(field, f"is not a {kind} of this pack")
        elif value in seen:
            problems.add(field, "is sent more than once")
        seen.add(value)


async def _replace_credentials(
    session: AsyncSession, box: SecretBox, pack: HandoverPack, sent: list[CredentialPut]
) -> dict[str, Any]:
    """Update the kept ones in place (their passwords stay unless sent), add the new, drop the
    rest; returns the password part of the audit diff, without any value."""
    existing = {row.id: row for row in await repository.credentials(session, pack.org_id, pack.id)}
    now = utcnow()
    diff: dict[str, Any] = {}
    kept: set[str] = set()
    for position, data in enumerate(sent):
        path = f"credentials[{position}]"
        row = existing.get(data.id) if data.id else None
        if row is None:
            row = PackCredential(
                org_id=pack.org_id, id=new_id("cred"), pack_id=pack.id, created_at=now
            )
            session.add(row)
        kept.add(row.id)
        had = row.password_sealed is not None
        fields = (
            position,
            inputs.title(f"{path}.platform", data.platform),
            inputs.url(f"{path}.url", data.url),
            clean_username(f"{path}.username", data.username),
            inputs.text(f"{path}.notes", data.notes),
        )
        if fields != (row.position, row.platform, row.url, row.username, row.notes):
            row.position, row.platform, row.url, row.username, row.notes = fields
            row.updated_at = now
        if data.password is not UNSET or data.id is None:
            seal_password(box, row, None if data.password is UNSET else data.password)
            row.updated_at = now
            if had or row.password_sealed is not None:
                has = row.password_sealed is not None
                diff[f"credentials.{row.id}.password"] = diffs.secret(had, has)
    for credential_id, row in existing.items():
        if credential_id not in kept:
            if row.password_sealed is not None:
                diff[f"credentials.{credential_id}.password"] = diffs.secret(True, False)
            await session.delete(row)
    await session.flush()
    return diff


async def _insert_sections(
    session: AsyncSession, pack: HandoverPack, sections: list[SectionPut]
) -> None:
    items: list[PackItem] = []
    for position, data in enumerate(sections):
        path = f"sections[{position}]"
        section = PackSection(
            org_id=pack.org_id,
            id=data.id or new_id("section"),
            pack_id=pack.id,
            position=position,
            kind=data.kind,
            title=inputs.title(f"{path}.title", data.title),
            description=inputs.text(f"{path}.description", data.description),
        )
        session.add(section)
        for index, item in enumerate(data.items):
            where = f"{path}.items[{index}]"
            items.append(
                PackItem(
                    org_id=pack.org_id,
                    id=item.id or new_id("item"),
                    pack_id=pack.id,
                    section_id=section.id,
                    position=index,
                    kind=item.kind,
                    title=inputs.title(f"{where}.title", item.title),
                    url=inputs.url(f"{where}.url", item.url),
                    description=inputs.text(f"{where}.description", item.description),
                )
            )
    await session.flush()
    session.add_all(items)
    await session.flush()
