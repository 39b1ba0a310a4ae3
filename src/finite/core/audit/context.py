"""What a request tells the audit log about itself, kept in the ASGI scope's state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar.types import Scope

from finite.core.auth.principal import Principal

_PRINCIPAL = "finite_principal"
_SUBJECT = "finite_audit_subject"
_WRITTEN = "finite_audit_written"


@dataclass(frozen=True, slots=True)
class Subject:
    module: str | None
    record_id: int | None
    action: str | None


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def remember_principal(scope: Scope, principal: Principal) -> None:
    _state(scope)[_PRINCIPAL] = principal


def principal_of(scope: Scope) -> Principal | None:
    found = _state(scope).get(_PRINCIPAL)
    return found if isinstance(found, Principal) else None


def set_subject(
    scope: Scope, module: str | None, record_id: int | None = None, action: str | None = None
) -> None:
    _state(scope)[_SUBJECT] = Subject(module, record_id, action)


def subject_of(scope: Scope) -> Subject:
    found = _state(scope).get(_SUBJECT)
    return found if isinstance(found, Subject) else Subject(None, None, None)


def mark_written(scope: Scope) -> None:
    """The handler wrote this call's audit row inside its own transaction."""
    _state(scope)[_WRITTEN] = True


def already_written(scope: Scope) -> bool:
    return bool(_state(scope).get(_WRITTEN))
