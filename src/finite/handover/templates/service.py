"""Template rules: built-ins are read-only code data; an organization's custom template for a
project type takes precedence over the built-in one. Never commits."""

from __future__ import annotations

from typing import Any

import msgspec
from msgspec import UNSET
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover import diffs, inputs
from finite.handover.templates import repository
from finite.handover.templates.builtin import BY_ID, BY_TYPE, GENERIC, BuiltinTemplate, type_key
from finite.handover.templates.content import clean_content
from finite.handover.templates.schemas import (
    DeletedOut,
    TemplateContent,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
)
from finite.handover.unique import change_unique, insert_unique
from finite.kit.clock import utcnow
from finite.kit.errors import AppError, ErrorDetail, Problems, conflict, not_found
from finite.kit.ids import new_id
from finite.models import HandoverTemplate
from finite.platform.unit_of_work import Changed

MAX_CUSTOM_TEMPLATES = 100


def builtin_out(template: BuiltinTemplate) -> TemplateOut:
    content = template.content
    return TemplateOut(
        id=template.id,
        name=template.name,
        project_type=template.project_type,
        built_in=True,
        scope_summary=content.scope_summary,
        sections=content.sections,
        credentials=content.credentials,
        support_boundary=content.support_boundary,
        created_at=None,
        updated_at=None,
    )


def custom_out(row: HandoverTemplate) -> TemplateOut:
    content = content_of(row)
    return TemplateOut(
        id=row.id,
        name=row.name,
        project_type=row.project_type,
        built_in=False,
        scope_summary=content.scope_summary,
        sections=content.sections,
        credentials=content.credentials,
        support_boundary=content.support_boundary,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def content_of(row: HandoverTemplate) -> TemplateContent:
    return msgspec.convert(row.content, TemplateContent)


async def list_templates(session: AsyncSession, org_id: str) -> list[TemplateOut]:
    custom = await repository.all_of(session, org_id)
    return [*(builtin_out(t) for t in BY_ID.values()), *(custom_out(row) for row in custom)]


async def get_template(session: AsyncSession, org_id: str, template_id: str) -> TemplateOut:
    if template_id in BY_ID:
        return builtin_out(BY_ID[template_id])
    return custom_out(await _custom(session, org_id, template_id))


async def content_for_type(
    session: AsyncSession, org_id: str, project_type: str
) -> tuple[str, TemplateContent]:
    """The template a new project of this type starts from: custom, built-in, else generic."""
    key = type_key(project_type)
    custom = await repository.for_type(session, org_id, key)
    if custom is not None:
        return custom.id, content_of(custom)
    builtin = BY_TYPE.get(key, GENERIC)
    return builtin.id, builtin.content


async def create_template(
    session: AsyncSession, org_id: str, data: TemplateIn
) -> Changed[TemplateOut]:
    if await repository.count(session, org_id) >= MAX_CUSTOM_TEMPLATES:
        raise conflict(f"An organization keeps at most {MAX_CUSTOM_TEMPLATES} custom templates.")
    problems = Problems()
    name = problems.clean(inputs.title, "name", data.name)
    project_type = problems.clean(inputs.title, "projectType", data.project_type, 100)
    content = clean_content(
        data.scope_summary, data.sections, data.credentials, data.support_boundary, problems
    )
    problems.raise_any()
    now = utcnow()
    row = HandoverTemplate(
        org_id=org_id,
        id=new_id("template"),
        name=name,
        project_type=project_type,
        project_type_key=type_key(project_type),
        content=msgspec.to_builtins(content),
        created_at=now,
        updated_at=now,
    )
    if not await insert_unique(session, row):
        raise _type_taken(project_type)
    out = custom_out(row)
    return Changed(out, diffs.created(_audited(out)))


async def update_template(
    session: AsyncSession, org_id: str, template_id: str, patch: TemplatePatch
) -> Changed[TemplateOut]:
    row = await _custom(session, org_id, template_id)
    before = custom_out(row)
    problems = Problems()
    name = before.name if patch.name is UNSET else problems.clean(inputs.title, "name", patch.name)
    project_type = (
        before.project_type
        if patch.project_type is UNSET
        else problems.clean(inputs.title, "projectType", patch.project_type, 100)
    )
    content = clean_content(
        before.scope_summary if patch.scope_summary is UNSET else patch.scope_summary,
        before.sections if patch.sections is UNSET else patch.sections,
        before.credentials if patch.credentials is UNSET else patch.credentials,
        before.support_boundary if patch.support_boundary is UNSET else patch.support_boundary,
        problems,
    )
    problems.raise_any()

    def apply() -> None:
        row.name, row.project_type = name, project_type
        row.project_type_key = type_key(project_type)
        row.content = msgspec.to_builtins(content)
        row.updated_at = utcnow()

    if not await change_unique(session, apply):
        raise _type_taken(project_type)
    after = custom_out(row)
    return Changed(after, diffs.changed(_audited(before), _audited(after)))


async def delete_template(
    session: AsyncSession, org_id: str, template_id: str
) -> Changed[DeletedOut]:
    """Projects already created keep their packs: a pack is a copy, not a reference."""
    row = await _custom(session, org_id, template_id)
    gone = _audited(custom_out(row))
    await session.delete(row)
    await session.flush()
    return Changed(DeletedOut(id=template_id, deleted=True), diffs.deleted(gone))


async def _custom(session: AsyncSession, org_id: str, template_id: str) -> HandoverTemplate:
    if template_id in BY_ID:
        raise conflict(
            "Built-in templates cannot be changed; create a custom template for the same "
            "project type instead, and new projects of that type will use it."
        )
    row = await repository.get(session, org_id, template_id)
    if row is None:
        raise not_found("No template with this id.")
    return row


def _audited(out: TemplateOut) -> dict[str, Any]:
    fields = msgspec.to_builtins(out)
    assert isinstance(fields, dict)
    return {name: value for name, value in fields.items() if name not in ("createdAt", "updatedAt")}


def _type_taken(project_type: str) -> AppError:
    return AppError(
        409,
        "CONFLICT",
        f"This organization already has a custom template for {project_type!r}.",
        [ErrorDetail("projectType", "already has a custom template")],
    )
