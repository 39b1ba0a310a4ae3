"""Idempotency-Key (Stripe's semantics): a retried POST replays its first answer instead of acting
twice. Keys are scoped to the organization and the API key and kept for 24 hours.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.kit.clock import utcnow
from finite.kit.errors import AppError, invalid_field
from finite.models.events import IdempotentRequest

RETENTION = timedelta(hours=24)
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"
_IN_PROGRESS = 0


@dataclass(frozen=True, slots=True)
class Scope:
    org_id: str
    key_id: str
    idempotency_key: str
    method: str
    path: str
    request_hash: str


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: bytes


def scope_for(
    org_id: str, key_id: str, idempotency_key: str, method: str, path: str, body: bytes
) -> Scope:
    if not 0 < len(idempotency_key) <= MAX_KEY_LENGTH or not idempotency_key.isprintable():
        raise invalid_field(HEADER, f"must be 1 to {MAX_KEY_LENGTH} printable characters")
    digest = hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
    return Scope(org_id, key_id, idempotency_key, method, path, digest)


async def find_replay(session: AsyncSession, scope: Scope) -> Replay | None:
    """The saved answer of an earlier request with this key; 422 if that request was different."""
    row = await session.get(IdempotentRequest, (scope.org_id, scope.key_id, scope.idempotency_key))
    if row is None or row.created_at < utcnow() - RETENTION or row.status == _IN_PROGRESS:
        return None
    if row.request_hash != scope.request_hash:
        raise AppError(
            422,
            "IDEMPOTENCY_KEY_REUSED",
            "This Idempotency-Key was used with a different request; use a new key.",
        )
    return Replay(row.status, row.body.encode())


async def claim(session: AsyncSession, scope: Scope) -> None:
    """Take the key inside the caller's transaction. A concurrent holder makes this raise
    IntegrityError (PostgreSQL first waits for the holder's transaction to end)."""
    await session.execute(
        delete(IdempotentRequest).where(
            IdempotentRequest.org_id == scope.org_id,
            IdempotentRequest.key_id == scope.key_id,
            IdempotentRequest.idempotency_key == scope.idempotency_key,
            IdempotentRequest.created_at < utcnow() - RETENTION,
        )
    )
    session.add(
        IdempotentRequest(
            org_id=scope.org_id,
            key_id=scope.key_id,
            idempotency_key=scope.idempotency_key,
            method=scope.method,
            path=scope.path,
            request_hash=scope.request_hash,
            status=_IN_PROGRESS,
            body="",
            created_at=utcnow(),
        )
    )
    await session.flush()


async def complete(session: AsyncSession, scope: Scope, status: int, body: bytes) -> None:
    await session.execute(
        update(IdempotentRequest)
        .where(
            IdempotentRequest.org_id == scope.org_id,
            IdempotentRequest.key_id == scope.key_id,
            IdempotentRequest.idempotency_key == scope.idempotency_key,
        )
        .values(status=status, body=body.decode())
    )
