"""Pack rules for reading and piece-by-piece edits; passwords are write-only: sealed on the way
in, masked on the way out. Never commits."""

from __future__ import annotations

from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover import diffs, inputs
from finite.handover.packs import audited, lookup, repository
from finite.handover.packs.assemble import item_out, pack_out
from finite.handover.packs.credentials import clean_username, credential_out, seal_password
from finite.handover.packs.schemas import (
    CredentialIn,
    CredentialOut,
    CredentialPatch,
    ItemIn,
    ItemOut,
    ItemPatch,
    PackOut,
)
from finite.handover.templates.schemas import DeletedOut
from finite.kit.clock import utcnow
from finite.kit.errors import Problems, not_found
from finite.kit.ids import new_id
from finite.kit.secretbox import SecretBox
from finite.models import PackCredential, PackItem
from finite.platform.unit_of_work import Changed


async def get_pack(session: AsyncSession, org_id: str, project_id: str) -> PackOut:
    project = await lookup.project_or_404(session, org_id, project_id)
    return await pack_out(session, project, await lookup.pack_of(session, project))


async def add_credential(
    session: AsyncSession, box: SecretBox, org_id: str, project_id: str, data: CredentialIn
) -> Changed[CredentialOut]:
    _, pack = await lookup.editable(session, org_id, project_id)
    problems = Problems()
    platform = problems.clean(inputs.title, "platform", data.platform)
    url = problems.clean(inputs.url, "url", data.url)
    username = problems.clean(clean_username, "username", data.username)
    notes = problems.clean(inputs.text, "notes", data.notes)
    problems.raise_any()
    now = utcnow()
    row = PackCredential(
        org_id=org_id,
        id=new_id("cred"),
        pack_id=pack.id,
        position=await repository.next_credential_position(session, org_id, pack.id),
        platform=platform,
        url=url,
        username=username,
        notes=notes,
        created_at=now,
        updated_at=now,
    )
    seal_password(box, row, data.password)
    session.add(row)
    pack.updated_at = now
    await session.flush()
    out = credential_out(row)
    diff = diffs.created(audited.credential_fields(out))
    diff["password"] = diffs.secret(False, out.has_password)
    return Changed(out, diff)


async def update_credential(
    session: AsyncSession,
    box: SecretBox,
    org_id: str,
    project_id: str,
    credential_id: str,
    patch: CredentialPatch,
) -> Changed[CredentialOut]:
    _, pack = await lookup.editable(session, org_id, project_id)
    row = await repository.credential(session, org_id, pack.id, credential_id)
    if row is None:
        raise not_found("No credential with this id in this project's pack.")
    before = credential_out(row)
    problems = Problems()
    platform = (
        row.platform
        if patch.platform is UNSET
        else problems.clean(inputs.title, "platform", patch.platform)
    )
    url = row.url if patch.url is UNSET else problems.clean(inputs.url, "url", patch.url)
    username = (
        row.username
        if patch.username is UNSET
        else problems.clean(clean_username, "username", patch.username)
    )
    notes = row.notes if patch.notes is UNSET else problems.clean(inputs.text, "notes", patch.notes)
    problems.raise_any()
    row.platform, row.url, row.username, row.notes = platform, url, username, notes
    if patch.password is not UNSET:
        seal_password(box, row, patch.password)
    diff = diffs.changed(
        audited.credential_fields(before),
        audited.credential_fields(credential_out(row)),
    )
    if patch.password is not UNSET:
        diff["password"] = diffs.secret(before.has_password, row.password_sealed is not None)
    if diff:
        row.updated_at = pack.updated_at = utcnow()
    await session.flush()
    return Changed(credential_out(row), diff)


async def delete_credential(
    session: AsyncSession, org_id: str, project_id: str, credential_id: str
) -> Changed[DeletedOut]:
    _, pack = await lookup.editable(session, org_id, project_id)
    row = await repository.credential(session, org_id, pack.id, credential_id)
    if row is None:
        raise not_found("No credential with this id in this project's pack.")
    gone = audited.credential_fields(credential_out(row))
    had_password = row.password_sealed is not None
    await session.delete(row)
    pack.updated_at = utcnow()
    await session.flush()
    diff = diffs.deleted(gone)
    diff["password"] = diffs.secret(had_password, False)
    return Changed(DeletedOut(id=credential_id, deleted=True), diff)


async def add_item(
    session: AsyncSession, org_id: str, project_id: str, data: ItemIn
) -> Changed[ItemOut]:
    _, pack = await lookup.editable(session, org_id, project_id)
    section = await repository.section(session, org_id, pack.id, data.section_id)
    problems = Problems()
    if section is None:
        problems.add("sectionId", "is not a section of this project's pack")
    title = problems.clean(inputs.title, "title", data.title)
    url = problems.clean(inputs.url, "url", data.url)
    description = problems.clean(inputs.text, "description", data.description)
    problems.raise_any()
    assert section is not None  # or raise_any raised
    row = PackItem(
        org_id=org_id,
        id=new_id("item"),
        pack_id=pack.id,
        section_id=section.id,
        position=await repository.next_item_position(session, org_id, section.id),
        kind=data.kind,
        title=title,
        url=url,
        description=description,
    )
    session.add(row)
    pack.updated_at = utcnow()
    await session.flush()
    out = item_out(row)
    return Changed(out, diffs.created(audited.fields_of(out)))


async def update_item(
    session: AsyncSession, org_id: str, project_id: str, item_id: str, patch: ItemPatch
) -> Changed[ItemOut]:
    _, pack = await lookup.editable(session, org_id, project_id)
    row = await repository.item(session, org_id, pack.id, item_id)
    if row is None:
        raise not_found("No item with this id in this project's pack.")
    before = item_out(row)
    problems = Problems()
    section = None
    if patch.section_id is not UNSET and patch.section_id != row.section_id:
        section = await repository.section(session, org_id, pack.id, patch.section_id)
        if section is None:
            problems.add("sectionId", "is not a section of this project's pack")
    title = (
        row.title if patch.title is UNSET else problems.clean(inputs.title, "title", patch.title)
    )
    url = row.url if patch.url is UNSET else problems.clean(inputs.url, "url", patch.url)
    description = (
        row.description
        if patch.description is UNSET
        else problems.clean(inputs.text, "description", patch.description)
    )
    problems.raise_any()
    if section is not None:
        row.section_id = section.id
        row.position = await repository.next_item_position(session, org_id, section.id)
    if patch.kind is not UNSET:
        row.kind = patch.kind
    row.title, row.url, row.description = title, url, description
    after = item_out(row)
    diff = diffs.changed(audited.fields_of(before), audited.fields_of(after))
    if diff:
        pack.updated_at = utcnow()
    await session.flush()
    return Changed(after, diff)


async def delete_item(
    session: AsyncSession, org_id: str, project_id: str, item_id: str
) -> Changed[DeletedOut]:
    _, pack = await lookup.editable(session, org_id, project_id)
    row = await repository.item(session, org_id, pack.id, item_id)
    if row is None:
        raise not_found("No item with this id in this project's pack.")
    gone = audited.fields_of(item_out(row))
    await session.delete(row)
    pack.updated_at = utcnow()
    await session.flush()
    return Changed(DeletedOut(id=item_id, deleted=True), diffs.deleted(gone))
