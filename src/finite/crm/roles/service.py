"""CRM roles as the API shows and changes them: module permissions per role."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts.service import update_role_permissions
from finite.kit.errors import ErrorDetail, invalid_field, validation_error
from finite.models import Role
from finite.platform.unit_of_work import Changed


def role_out(role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "name": role.name,
        "is_admin": role.is_admin,
        "built_in": role.is_builtin,
        "permissions": role.permissions,
    }


async def update_role(
    session: AsyncSession, org_id: str, role: str, body: dict[str, Any]
) -> Changed[dict[str, Any]]:
    """Body: {"permissions": {"leads": ["view", "create"], ...}} — modules not named keep theirs."""
    unknown = sorted(set(body) - {"permissions"})
    if unknown:  # name each one: a role's name, id or admin flag is not changed here
        raise validation_error([ErrorDetail(name, "is not a known field") for name in unknown])
    permissions = body.get("permissions")
    if not isinstance(permissions, dict):
        raise invalid_field("permissions", 'send {"permissions": {module: [actions]}}')
    updated = await update_role_permissions(session, org_id, role, permissions)
    return Changed(role_out(updated))
