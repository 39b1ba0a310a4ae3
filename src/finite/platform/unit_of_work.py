"""The one place a write commits: the service's change, its audit row (with the field diff),
its outbox events and, under an Idempotency-Key, the saved answer commit together or roll back
together; the background workers the change left work for are nudged after the commit
(core/wakes.py).

Idempotency-Key (Stripe's semantics): the first request acts and its answer's bytes are saved in
its transaction; a retry gets those bytes back marked `Idempotent-Replayed: true`, the same key
with a different body gets 422, and a concurrent duplicate waits for the first or gets 409.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec
from litestar import Response
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.audit.context import Subject, mark_written, set_subject, subject_of
from finite.core.audit.entries import audit_values, insert_audit_entry, insert_audit_rows
from finite.core.auth.principal import Principal
from finite.core.idempotency import store
from finite.core.wakes import wakes_of
from finite.kit.derived_keys import Peppers
from finite.kit.errors import conflict
from finite.platform.http import AnyRequest, json_response
from finite.platform.state import platform_of

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Audited:
    """One record of a call that changes several (a batch): it gets the audit row a single
    write of it would have (its module, id, action, status and field diff)."""

    module: str
    record_id: int
    action: str
    status: int
    diff: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Changed(Generic[T]):
    """What a service changed: the answer's data and the audit diff (field → {"before",
    "after"}, JSON-safe, never holding a secret). `each`: the records a call changing several
    changed, one audit row each in place of the call's one (none changed: the call's row)."""

    data: T
    diff: dict[str, Any] = field(default_factory=dict)
    each: tuple[Audited, ...] = ()


Work = Callable[[AsyncSession], Awaitable[Changed[T]]]
# A surface's answer as bytes: the CRM's bare JSON, the handover envelope.
Encode = Callable[[AnyRequest, Any], bytes]


class _KeyTaken(Exception):
    pass


async def commit_change(
    request: AnyRequest, status: int, work: Work[T], *, bulk: bool = False
) -> T:
    """Run `work` in one transaction with the call's audit row; `bulk` for changes touching
    many rows (on SQLite they run off the event loop's thread)."""
    platform = platform_of(request)
    async with platform.db.transaction(bulk=bulk) as session:
        changed = await work(session)
        if changed.each:
            await insert_audit_rows(session, [_row_of(request, each) for each in changed.each])
        else:
            await insert_audit_entry(session, request.scope, status, changed.diff or None)
        wakes = wakes_of(session)
    mark_written(request.scope)
    platform.nudge_worker(wakes)
    return changed.data


async def commit_idempotent(
    request: AnyRequest, principal: Principal, status: int, work: Work[T], encode: Encode
) -> Response[bytes]:
    """A create that honours Idempotency-Key; answers the `encode`d data with `status`."""
    key = request.headers.get(store.HEADER)
    if key is None:
        return json_response(encode(request, await commit_change(request, status, work)), status)
    platform = platform_of(request)
    scope = store.scope_for(
        principal.org_id,
        principal.key_id,
        key,
        request.method,
        request.url.path,
        keyed_digest(platform.peppers, _query_and_body(request, await request.body())),
    )
    async with platform.db.read() as session:
        replay = await store.find_replay(session, scope)
    if replay is not None:
        return _replayed(request, replay)

    async def claimed(session: AsyncSession) -> Changed[bytes]:
        try:
            await store.claim(session, scope)
        except IntegrityError:
            raise _KeyTaken from None
        changed = await work(session)
        body = encode(request, changed.data)
        await store.complete(session, scope, status, body)
        return Changed(body, changed.diff, changed.each)

    try:
        body = await commit_change(request, status, claimed)
    except _KeyTaken:
        async with platform.db.read() as session:
            replay = await store.find_replay(session, scope)
        if replay is None:
            raise conflict("A request with this Idempotency-Key is still in progress.") from None
        return _replayed(request, replay)
    return json_response(body, status)


def _row_of(request: AnyRequest, each: Audited) -> dict[str, Any]:
    subject = Subject(each.module, each.record_id, each.action)
    return audit_values(request.scope, each.status, each.diff or None, subject)


def _query_and_body(request: AnyRequest, body: bytes) -> bytes:
    """What a retry must repeat: the body, and the query when there is one (a batch's
    `?partial=true` changes what the same body does)."""
    query = request.url.query
    return body if not query else query.encode() + b"\n" + body


def keyed_digest(peppers: Peppers, body: bytes) -> bytes:
    """Bodies may carry passwords: the store keeps a hash of this keyed digest, never a plain
    hash that a short password could be guessed from. A key saved before the pepper changed
    (or, for the CRM, before this digest replaced a plain SHA-256) no longer matches its
    retry, which gets 422 as if its body differed; keys expire after a day (store.RETENTION),
    and retries come within minutes, so only requests in flight across that change see it."""
    return hmac.new(peppers.current.key, body, hashlib.sha256).digest()


def _replayed(request: AnyRequest, replay: store.Replay) -> Response[bytes]:
    """The saved answer; when it is a record with a numeric id, audited against that record."""
    created = msgspec.json.decode(replay.body)
    if isinstance(created, dict) and isinstance(created.get("id"), int):
        subject = subject_of(request.scope)
        set_subject(request.scope, subject.module, created["id"], subject.action)
    return json_response(replay.body, replay.status, {"Idempotent-Replayed": "true"})
