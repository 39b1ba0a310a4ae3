"""Audit rows of what a client does on the page, in the link's organization. The row names the
route, never the address itself: the token in it is the client's key to the pack."""

from __future__ import annotations

from typing import Any

from litestar.types import Scope

from finite.core.audit.entries import audit_values
from finite.models.events import AuditEntry

MODULE = "client_page"


def client_entry(
    scope: Scope, org_id: str, path: str, action: str, status: int, changes: dict[str, Any]
) -> AuditEntry:
    values = audit_values(scope, status, changes)
    values.update(org_id=org_id, product="handover", path=path, module=MODULE, action=action)
    return AuditEntry(**values)
