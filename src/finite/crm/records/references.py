"""Check that lookups, line-item products and owners point at things in the same organization."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts import repository as accounts
from finite.crm.modules.schema import RecordSchema
from finite.crm.records import repository
from finite.crm.records.validation import Changes
from finite.kit.errors import ErrorDetail


async def check_references(
    session: AsyncSession, org_id: str, schema: RecordSchema, changes: Changes
) -> None:
    """Add an error for every id that does not exist in this organization."""
    wanted: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for spec in schema.lookups:
        value = changes.values.get(spec.key, changes.custom.get(spec.key))
        if isinstance(value, int) and spec.target:
            wanted[spec.target].append((spec.key, value))
    wanted["products"].extend(changes.line_products)
    for target, references in wanted.items():
        found = await repository.existing_ids(session, org_id, target, (i for _, i in references))
        for field_name, record_id in references:
            if record_id not in found:
                changes.errors.append(
                    ErrorDetail(field_name, f"no {target} record with id {record_id}")
                )
    owner = changes.owner
    if owner is not None and await accounts.member_by_id(session, org_id, owner) is None:
        changes.errors.append(
            ErrorDetail("owner", "must be the id of a member of this organization")
        )
