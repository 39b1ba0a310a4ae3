"""Who is calling: the key, its organization, member and role, scopes and plan entitlement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from finite.core.accounts.roles import Action, allows
from finite.core.plans.catalog import Product
from finite.core.plans.entitlement import Entitlement


@dataclass(frozen=True, slots=True)
class MemberInfo:
    id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class RoleInfo:
    id: str
    name: str
    is_admin: bool
    permissions: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Principal:
    product: Product
    org_id: str
    org_name: str
    key_id: str
    key_name: str
    scopes: frozenset[str]
    member: MemberInfo | None
    role: RoleInfo | None
    entitlement: Entitlement
    # The organization's custom-fields version when the key was read (see load_schema).
    custom_fields_version: int

    @property
    def is_admin(self) -> bool:
        return self.role is not None and self.role.is_admin

    def may(self, module: str, action: Action) -> bool:
        return self.role is not None and allows(self.role.permissions, module, action)
