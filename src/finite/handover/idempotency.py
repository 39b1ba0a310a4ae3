"""Idempotency-Key on handover POSTs: the first request acts and its whole envelope is saved in
the same transaction; a retry gets those exact bytes back with `Idempotent-Replayed: true`, the
same key with a different body gets 422, and a concurrent duplicate waits for the first or 409.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, TypeVar

import msgspec
from litestar import Request, Response
from sqlalchemy.exc import IntegrityError

from finite.core.audit.context import mark_written
from finite.core.audit.entries import audit_entry
from finite.core.auth.principal import Principal
from finite.core.idempotency import store
from finite.handover.envelope import ok
from finite.handover.writes import Work, audited_write
from finite.kit.errors import conflict
from finite.platform.changes import json_response
from finite.platform.state import Platform, platform_of

T = TypeVar("T")
AnyRequest = Request[Any, Any, Any]


class _KeyTaken(Exception):
    pass


async def idempotent_post(
    request: AnyRequest, principal: Principal, status: int, work: Work[T]
) -> Response[bytes]:
    key = request.headers.get(store.HEADER)
    if key is None:
        data = await audited_write(request, status, work)
        return json_response(msgspec.json.encode(ok(request, data)), status)
    platform = platform_of(request)
    scope = store.scope_for(
        principal.org_id,
        principal.key_id,
        key,
        request.method,
        request.url.path,
        _keyed_digest(platform, await request.body()),
    )
    async with platform.db.read() as session:
        replay = await store.find_replay(session, scope)
    if replay is not None:
        return _replayed(replay)
    try:
        async with platform.db.transaction() as session:
            try:
                await store.claim(session, scope)
            except IntegrityError:
                raise _KeyTaken from None
            written = await work(session)
            body = msgspec.json.encode(ok(request, written.data))
            await store.complete(session, scope, status, body)
            session.add(audit_entry(request.scope, status, written.diff or None))
    except _KeyTaken:
        async with platform.db.read() as session:
            replay = await store.find_replay(session, scope)
        if replay is None:
            raise conflict("A request with this Idempotency-Key is still in progress.") from None
        return _replayed(replay)
    mark_written(request.scope)
    return json_response(body, status)


def _keyed_digest(platform: Platform, body: bytes) -> bytes:
    """Bodies may carry credential passwords: the store keeps a hash of this keyed digest, never
    a plain hash that a short password could be guessed from."""
    return hmac.new(platform.peppers.current.key, body, hashlib.sha256).digest()


def _replayed(replay: store.Replay) -> Response[bytes]:
    return json_response(replay.body, replay.status, {"Idempotent-Replayed": "true"})
