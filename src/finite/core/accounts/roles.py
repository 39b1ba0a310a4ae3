"""CRM roles: the built-in set every organization starts with, and permission checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from finite.crm.module_names import CRM_MODULES

Action = Literal["view", "create", "edit", "delete", "export"]
ACTIONS: tuple[Action, ...] = ("view", "create", "edit", "delete", "export")
Permissions = dict[str, list[str]]


@dataclass(frozen=True, slots=True)
class BuiltinRole:
    name: str
    is_admin: bool
    actions: tuple[Action, ...]
    description: str

    def permissions(self) -> Permissions:
        return {module: list(self.actions) for module in CRM_MODULES}


BUILTIN_ROLES: tuple[BuiltinRole, ...] = (
    BuiltinRole("Admin", True, ACTIONS, "Everything, plus keys, webhooks, roles and fields."),
    BuiltinRole("Manager", False, ACTIONS, "Every action on every module."),
    BuiltinRole(
        "Standard", False, ("view", "create", "edit"), "Works records; no delete, no export."
    ),
    BuiltinRole("Read-only", False, ("view",), "Views records only."),
)
ADMIN_ROLE = BUILTIN_ROLES[0].name


def allows(permissions: Permissions, module: str, action: Action) -> bool:
    return action in permissions.get(module, ())
