"""Run a change in one transaction with its audit row, and make POSTs idempotent on request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import msgspec
from litestar import Request, Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import mark_written, set_subject, subject_of
from finite.core.audit.entries import audit_entry
from finite.core.auth.principal import Principal
from finite.core.idempotency import store
from finite.kit.errors import conflict
from finite.platform.state import platform_of

AnyRequest = Request[Any, Any, Any]


class Change(Protocol):
    @property
    def record(self) -> dict[str, Any]: ...

    @property
    def diff(self) -> dict[str, Any]: ...


Work = Callable[[AsyncSession], Awaitable[Change]]


class _KeyTaken(Exception):
    pass


async def audited_change(request: AnyRequest, status: int, work: Work) -> Change:
    """The change, its audit row (with the field diff) and its outbox event commit together."""
    platform = platform_of(request)
    async with platform.db.transaction() as session:
        outcome = await work(session)
        session.add(audit_entry(request.scope, status, outcome.diff or None))
    mark_written(request.scope)
    platform.nudge_worker()
    return outcome


def json_response(
    body: bytes, status: int, headers: dict[str, str] | None = None
) -> Response[bytes]:
    return Response(body, status_code=status, media_type="application/json", headers=headers)


_ENCODER = msgspec.json.Encoder(decimal_format="number")  # decimals as exact JSON numbers


def encode(record: dict[str, Any]) -> bytes:
    return _ENCODER.encode(record)


async def idempotent_create(
    request: AnyRequest, principal: Principal, status: int, work: Work
) -> Response[bytes]:
    """Without an Idempotency-Key, just the change. With one: the first request acts and its
    answer is saved in the same transaction; retries get that answer back, marked
    `Idempotent-Replayed: true`, and a different request under the same key gets 422."""
    key = request.headers.get(store.HEADER)
    if key is None:
        return json_response(encode((await audited_change(request, status, work)).record), status)
    scope = store.scope_for(
        principal.org_id,
        principal.key_id,
        key,
        request.method,
        request.url.path,
        await request.body(),
    )
    db = platform_of(request).db
    async with db.read() as session:
        replay = await store.find_replay(session, scope)
    if replay is not None:
        return _replayed(request, replay)
    try:
        async with db.transaction() as session:
            try:
                await store.claim(session, scope)
            except IntegrityError:
                raise _KeyTaken from None
            outcome = await work(session)
            body = encode(outcome.record)
            await store.complete(session, scope, status, body)
            session.add(audit_entry(request.scope, status, outcome.diff or None))
    except _KeyTaken:
        async with db.read() as session:
            replay = await store.find_replay(session, scope)
        if replay is None:
            raise conflict("A request with this Idempotency-Key is still in progress.") from None
        return _replayed(request, replay)
    mark_written(request.scope)
    platform_of(request).nudge_worker()
    return json_response(body, status)


def _replayed(request: AnyRequest, replay: store.Replay) -> Response[bytes]:
    """The saved answer, audited against the record it created."""
    created = msgspec.json.decode(replay.body)
    subject = subject_of(request.scope)
    if isinstance(created, dict) and isinstance(created.get("id"), int):
        set_subject(request.scope, subject.module, created["id"], subject.action)
    return json_response(replay.body, replay.status, {"Idempotent-Replayed": "true"})
