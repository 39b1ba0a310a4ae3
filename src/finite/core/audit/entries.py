"""Build audit rows from a request: who, what, the outcome, and for changes the field diff."""

from __future__ import annotations

from typing import Any, cast

from litestar.enums import ScopeType
from litestar.types import Scope
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import Subject, principal_of, subject_of
from finite.core.auth.principal import Principal
from finite.kit.clock import utcnow
from finite.kit.db import engine_of
from finite.kit.fast_write import execute_write
from finite.kit.ids import new_id
from finite.kit.request_id import request_id_of
from finite.models.events import AuditEntry

MAX_PATH = 500
MAX_USER_AGENT = 1000


# On the table, not the ORM class: insert(AuditEntry) would go through the ORM's bulk insert.
_INSERT = insert(cast(Table, AuditEntry.__table__))


def audit_entry(scope: Scope, status: int, changes: dict[str, Any] | None = None) -> AuditEntry:
    """The row as an ORM object, for a change's own transaction."""
    return AuditEntry(**audit_values(scope, status, changes))


async def insert_audit_entry(
    session: AsyncSession, scope: Scope, status: int, changes: dict[str, Any] | None = None
) -> None:
    """Write the row in a change's own transaction now, by a Core insert built once, on the
    driver's connection (kit/fast_write.py; an ORM object and the flush at commit cost ~0.2 ms
    more of every change, SQLAlchemy's execution ~0.3 ms more). It waits unsealed for the
    chain (chain.py), as the ORM object did."""
    await execute_write(session, _INSERT, audit_values(scope, status, changes))


def audit_values(
    scope: Scope,
    status: int,
    changes: dict[str, Any] | None = None,
    subject: Subject | None = None,
) -> dict[str, Any]:
    """The row's column values: what the batch writer inserts (no ORM object per request).
    `subject`: one of the records a call changed, when it changed several (a batch)."""
    principal = principal_of(scope)
    subject = subject or subject_of(scope)
    path = scope.get("path", "")
    return dict(
        org_id=principal.org_id if principal else "",
        id=new_id("aud"),
        occurred_at=utcnow(),
        product=principal.product if principal else _product_of_path(path),
        key_id=principal.key_id if principal else None,
        key_name=principal.key_name[:100] if principal else None,
        member_id=principal.member.id if principal and principal.member else None,
        method=str(scope.get("method", ""))[:10],
        path=path[:MAX_PATH],
        status=status,
        module=subject.module[:40] if subject.module else None,
        record_id=subject.record_id if _fits_bigint(subject.record_id) else None,
        action=subject.action[:32] if subject.action else None,
        request_id=request_id_of(scope),
        client_ip=_client_ip(scope),
        user_agent=_header(scope, b"user-agent"),
        changes=changes,
    )


def job_audit_values(
    principal: Principal,
    *,
    method: str,
    path: str,
    status: int,
    module: str,
    record_id: int | None,
    action: str,
    request_id: str,
    client_ip: str | None,
    changes: dict[str, Any] | None,
) -> dict[str, Any]:
    """The row of one change a background job makes for the call that asked for it (a CSV
    import's record): the same columns as a request's row, the caller and the call's request
    id given rather than read from a request."""
    return dict(
        org_id=principal.org_id,
        id=new_id("aud"),
        occurred_at=utcnow(),
        product=principal.product,
        key_id=principal.key_id,
        key_name=principal.key_name[:100],
        member_id=principal.member.id if principal.member else None,
        method=method[:10],
        path=path[:MAX_PATH],
        status=status,
        module=module[:40],
        record_id=record_id if _fits_bigint(record_id) else None,
        action=action[:32],
        request_id=request_id,
        client_ip=client_ip,
        user_agent=None,
        changes=changes,
    )


def is_api_call(scope: Scope) -> bool:
    path = scope.get("path", "")
    return scope["type"] == ScopeType.HTTP and (path == "/api" or path.startswith("/api/"))


def _fits_bigint(value: int | None) -> bool:
    return value is not None and -(2**63) <= value < 2**63


def _product_of_path(path: str) -> str:
    return "handover" if path == "/api/v1" or path.startswith("/api/v1/") else "crm"


def _client_ip(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0])[:64] if client else None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")[:MAX_USER_AGENT]
    return None


_TABLE = cast(Table, AuditEntry.__table__)
_COLUMNS = tuple(_TABLE.columns.keys())


async def insert_audit_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Rows of changes (audit_values), unsealed, inside the change's own transaction, at once
    (COPY on PostgreSQL, as the audit writer inserts)."""
    complete = [{**dict.fromkeys(_COLUMNS), **row} for row in rows]
    await engine_of(session).insert_rows(session, _TABLE, _COLUMNS, complete)
