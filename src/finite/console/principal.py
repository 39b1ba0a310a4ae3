"""Who is signed in to the console: the member, their organization and CRM role, and the
session's hash and CSRF token (what a page's forms carry back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.di import NamedDependency

from finite.core.accounts.roles import Action, allows


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    org_id: str
    member_id: str
    email: str
    name: str
    role_id: str
    role_name: str
    is_admin: bool
    is_owner: bool
    permissions: dict[str, Any]  # the role's module → actions, as keys of that role get them
    session_hash: str  # SHA-256 of the cookie's id: the console_sessions row, never the id
    csrf_token: str
    org_name: str = ""

    def may(self, module: str, action: Action) -> bool:
        """The role's permission, exactly as the member's API keys have it."""
        return allows(self.permissions, module, action)


# How a console handler asks for the signed-in member: `user: UserDep` (the router provides it).
UserDep = NamedDependency[ConsoleUser]
