"""Roles: the built-in set every organization starts with, and permission checks.

A role's permissions are actions per record module; the modules are the CRM's, which it
registers here when it is imported (core knows no product).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Action = Literal["view", "create", "edit", "delete", "export"]
ACTIONS: tuple[Action, ...] = ("view", "create", "edit", "delete", "export")
Permissions = dict[str, list[str]]

_GOVERNED_MODULES: list[str] = []


def register_modules(modules: Iterable[str]) -> None:
    """A product names the record modules that roles grant actions on."""
    _GOVERNED_MODULES.extend(m for m in modules if m not in _GOVERNED_MODULES)


def governed_modules() -> tuple[str, ...]:
    if not _GOVERNED_MODULES:
        raise RuntimeError("no record modules registered for roles: import finite.crm first")
    return tuple(_GOVERNED_MODULES)


@dataclass(frozen=True, slots=True)
class BuiltinRole:
    name: str
    is_admin: bool
    actions: tuple[Action, ...]
    description: str

    def permissions(self) -> Permissions:
        return {module: list(self.actions) for module in governed_modules()}


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
