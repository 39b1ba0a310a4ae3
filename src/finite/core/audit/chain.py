"""The tamper-evident audit chain: each organization's rows linked by SHA-256, sealed off the
request path.

A row's link is ``hash = SHA-256(prev_hash + canonical content)``, where the canonical content is
every column but the chain's own (seq, prev_hash, hash) as JSON with sorted keys, compact
separators, the timestamp as ISO 8601 UTC and numbers exactly as stored. The first row of a chain
links to GENESIS. Rows are numbered 1, 2, … per organization, in (occurred_at, id) order among
those sealed together, and the organization's head moves in the same transaction, so editing,
deleting or reordering a sealed row, or cutting the chain's end, breaks a link that `verify`
reports. The rows of changes are written unsealed (seq NULL) inside the change's transaction and
sealed by the background sealer or with the audit writer's next batch; the writer seals the
calls that changed nothing as it inserts them (`seal_arriving`): one write per row where an
insert and the sealer's later update were two (lists ~20 % faster, performance.md).

Several server processes may seal at once: on PostgreSQL the head row is locked (SELECT … FOR
UPDATE, created first under INSERT … ON CONFLICT DO NOTHING when missing); on SQLite the write
transaction (BEGIN IMMEDIATE) already serializes them.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import AsyncGenerator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

import msgspec
from sqlalchemy import Integer, Table, and_, bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.kit.clock import utcnow
from finite.kit.db import Database, engine_of
from finite.models.accounts import Organization
from finite.models.events import AuditChainHead, AuditEntry

GENESIS = "0" * 64
SEAL_BATCH = 1000
VERIFY_BATCH = 2000

# Fixed on purpose: a column added later must not change the hashes of rows sealed before it.
# tests/core/audit/test_chain.py fails when the table grows a column this list does not decide on.
CONTENT_COLUMNS: tuple[str, ...] = (
    "org_id",
    "id",
    "occurred_at",
    "product",
    "key_id",
    "key_name",
    "member_id",
    "method",
    "path",
    "status",
    "module",
    "record_id",
    "action",
    "request_id",
    "client_ip",
    "user_agent",
    "changes",
)
CHAIN_COLUMNS: tuple[str, ...] = ("seq", "prev_hash", "hash")

_TABLE = cast(Table, AuditEntry.__table__)
_CONTENT = tuple(_TABLE.c[name] for name in CONTENT_COLUMNS)
# Sorted keys at every depth; decimals (JSON numbers come back as Decimal) written as numbers,
# digit for digit, so a number and a string that looks like it never hash alike.
_ENCODER = msgspec.json.Encoder(decimal_format="number", order="sorted")

Reason = Literal["edited", "missing", "reordered", "head mismatch"]

# Statements built once: building them per round cost more than running them.
_KEY_COLUMNS = ("org_id", "id")
_HEADS = cast(Table, AuditChainHead.__table__)


def _waiting_for(org_id: Any) -> Any:
    return exists().where(_TABLE.c.org_id == org_id, _TABLE.c.seq.is_(None))


_ORGS_WAITING = select(Organization.id).where(_waiting_for(Organization.id))
_KEYLESS_WAITING = select(_waiting_for(""))
# Served by the partial index of unsealed rows (ix_audit_log_waiting): without it SQLite read
# every row of the organization in occurred_at order to find the few waiting.
_WAITING = (
    select(*_CONTENT)
    .where(_TABLE.c.org_id == bindparam("org_id"), _TABLE.c.seq.is_(None))
    .order_by(_TABLE.c.occurred_at, _TABLE.c.id)
    .limit(bindparam("limit", type_=Integer))
)
_LOCKED_HEAD = (
    select(_HEADS.c.last_seq, _HEADS.c.last_hash)
    .where(_HEADS.c.org_id == bindparam("org_id"))
    .with_for_update()
)
_MOVE_HEAD = (
    update(_HEADS)
    .where(_HEADS.c.org_id == bindparam("b_org"))
    .values(
        last_seq=bindparam("b_seq", type_=_HEADS.c.last_seq.type),
        last_hash=bindparam("b_hash", type_=_HEADS.c.last_hash.type),
        sealed_at=bindparam("b_at", type_=_HEADS.c.sealed_at.type),
    )
)


class SealingError(Exception):
    """A sealing round found its rows changed under it; it rolls back, the rows stay waiting."""


def canonical(row: Mapping[Any, Any]) -> bytes:
    """The row's content, byte for byte the same whenever it is read back unchanged."""
    content: dict[str, Any] = {}
    for name in CONTENT_COLUMNS:
        value = row[name]
        if isinstance(value, datetime):
            value = value.astimezone(UTC).isoformat(timespec="microseconds")
        content[name] = value
    return _ENCODER.encode(content)


def link_hash(prev_hash: str, content: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii", "replace") + content).hexdigest()


# --- sealing ---------------------------------------------------------------------------------


async def seal_pending(db: Database, *, batch: int = SEAL_BATCH) -> int:
    """Seal every row waiting, one transaction per organization and batch; returns the count."""
    async with db.read() as session:
        org_ids = await _orgs_waiting(session)
    sealed = 0
    for org_id in org_ids:
        while True:
            async with db.transaction(bulk=True) as session:  # a batch, in the background
                count = await seal_org(session, org_id, limit=batch)
            sealed += count
            if count < batch:
                break
    return sealed


async def _orgs_waiting(session: AsyncSession) -> list[str]:
    """The organizations with unsealed rows, plus "" (calls no key vouched for) when it has some.

    Driven by the organizations table, one (org_id, seq) index probe each, rather than by a
    DISTINCT over the whole log: this runs every second, however long the log grows.
    """

    org_ids = sorted((await session.scalars(_ORGS_WAITING)).all())
    if (await session.execute(_KEYLESS_WAITING)).scalar():
        org_ids.append("")
    return org_ids


async def seal_org(
    session: AsyncSession,
    org_id: str,
    *,
    limit: int = SEAL_BATCH,
    arriving: Sequence[dict[str, Any]] = (),
) -> int:
    """Within the caller's write transaction: extend the organization's chain by up to `limit`
    waiting rows and by `arriving` (rows about to be inserted: their chain columns are set here),
    together in (occurred_at, id) order, and move its head. Returns how many rows were sealed."""
    last_seq, last_hash = await _locked_head(session, org_id)
    # Read after taking the lock: a sealer that went first has committed, and this statement
    # sees its rows sealed.
    found = await session.execute(_WAITING, {"org_id": org_id, "limit": limit})
    waiting = found.mappings().all()
    rows: list[Mapping[Any, Any]] = [*waiting, *arriving]
    if arriving:
        rows.sort(key=lambda row: (row["occurred_at"], row["id"]))
    if not rows:
        return 0
    new = {id(row): row for row in arriving}
    links: list[tuple[str, str, int, str, str]] = []
    for row in rows:
        last_seq += 1
        digest = link_hash(last_hash, canonical(row))
        if id(row) in new:
            new[id(row)].update(seq=last_seq, prev_hash=last_hash, hash=digest)
        else:
            links.append((org_id, row["id"], last_seq, last_hash, digest))
        last_hash = digest
    if links:
        # One statement for the round, only on rows still unsealed: under the head's lock
        # nothing else seals them, so a row that did not change means the chain would skip it.
        changed = await engine_of(session).update_rows(
            session, _TABLE, _KEY_COLUMNS, CHAIN_COLUMNS, links, unset="seq"
        )
        if changed != len(links):
            raise SealingError(
                f"{len(links) - changed} of {len(links)} waiting audit rows of {org_id!r} "
                "changed while being sealed; the round is rolled back"
            )
    await session.execute(
        _MOVE_HEAD,
        {"b_org": org_id, "b_seq": last_seq, "b_hash": last_hash, "b_at": utcnow()},
    )
    return len(rows)


async def seal_arriving(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Within the caller's write transaction, before it inserts `rows` (every column present):
    chain them with their organizations' waiting rows, so that they are inserted sealed. Rows
    that carry `changes` are left for the sealer, which hashes what the database gives back:
    JSON read back need not be byte for byte what was written."""
    by_org: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["changes"] is None:
            by_org[row["org_id"]].append(row)
    for org_id in sorted(by_org):  # every writer locks heads in one order: no deadlock
        await seal_org(session, org_id, arriving=by_org[org_id])


async def _locked_head(session: AsyncSession, org_id: str) -> tuple[int, str]:
    """The head's (last_seq, last_hash), locked until the transaction ends; created when
    missing, race-free: of two sealers inserting it at once, one waits and then finds it."""
    found = (await session.execute(_LOCKED_HEAD, {"org_id": org_id})).first()
    if found is None:
        await session.execute(
            engine_of(session)
            .upsert(AuditChainHead)
            .values(org_id=org_id, last_seq=0, last_hash=GENESIS, sealed_at=utcnow())
            .on_conflict_do_nothing(index_elements=["org_id"])
        )
        found = (await session.execute(_LOCKED_HEAD, {"org_id": org_id})).one()
    return int(found.last_seq), str(found.last_hash)


# --- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken link: where, which row (None when it is gone), and why."""

    seq: int
    id: str | None
    reason: Reason
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    org_id: str
    rows: int  # sealed rows checked
    head_seq: int
    pending: int  # rows not sealed yet (not part of the chain so far)
    broken: Break | None

    @property
    def intact(self) -> bool:
        return self.broken is None


async def verify_chain(db: Database, org_id: str) -> Verdict:
    """`verify` on one consistent snapshot, so a sealer at work meanwhile cannot confuse it."""
    async with db.read(snapshot=True) as session:
        await engine_of(session).snapshot(session)
        return await verify(session, org_id)


async def verify(session: AsyncSession, org_id: str) -> Verdict:
    """Walk seq 1..head: contiguous numbers, each prev_hash the previous row's hash, each hash
    recomputed from the row's content, and the head at the last row. Flat memory: batches."""
    head = await session.get(AuditChainHead, org_id)
    head_seq = head.last_seq if head is not None else 0
    pending = await _pending(session, org_id)
    expected_seq, expected_prev = 1, GENESIS
    last_id: str | None = None
    checked = 0

    def verdict(broken: Break | None) -> Verdict:
        return Verdict(org_id, checked, head_seq, pending, broken)

    async with aclosing(_sealed_rows(session, org_id)) as batches:
        async for batch in batches:
            for row in batch:
                seq = int(row["seq"])
                if seq < expected_seq:
                    where = "held by more than one row" if seq >= 1 else "not a chain position"
                    return verdict(Break(seq, row["id"], "reordered", f"seq {seq} is {where}"))
                if seq > head_seq:
                    return verdict(
                        Break(
                            seq,
                            row["id"],
                            "head mismatch",
                            f"a row is sealed at seq {seq} but the head ends at seq {head_seq}",
                        )
                    )
                if seq > expected_seq:
                    return verdict(_missing(expected_seq, last_id))
                broken = _check_link(row, expected_prev)
                if broken is not None:
                    return verdict(broken)
                expected_seq, expected_prev, last_id = seq + 1, str(row["hash"]), str(row["id"])
                checked += 1
    if expected_seq <= head_seq:
        return verdict(_missing(expected_seq, last_id))
    if head is not None and head.last_hash != expected_prev:
        return verdict(
            Break(
                head_seq,
                last_id,
                "head mismatch",
                f"the head's hash is not the hash of the row at seq {head_seq}",
            )
        )
    return verdict(None)


def _missing(seq: int, previous_id: str | None) -> Break:
    after = f" (the row before it is {previous_id})" if previous_id else ""
    return Break(seq, None, "missing", f"no row holds seq {seq}{after}")


def _check_link(row: Mapping[Any, Any], expected_prev: str) -> Break | None:
    seq, prev_hash, stored = int(row["seq"]), row["prev_hash"] or "", row["hash"]
    recomputed = link_hash(prev_hash, canonical(row))
    if prev_hash != expected_prev:
        if recomputed == stored:
            return Break(
                seq,
                row["id"],
                "reordered",
                f"the row is intact but links to another row than seq {seq - 1}: "
                "a row before it was removed, or rows were moved",
            )
        return Break(seq, row["id"], "edited", "the row's link and content do not match its hash")
    if recomputed != stored:
        return Break(seq, row["id"], "edited", "the row's content does not match its hash")
    return None


async def _pending(session: AsyncSession, org_id: str) -> int:
    count = await session.execute(
        select(func.count())
        .select_from(_TABLE)
        .where(_TABLE.c.org_id == org_id, _TABLE.c.seq.is_(None))
    )
    return int(count.scalar_one())


async def _sealed_rows(
    session: AsyncSession, org_id: str
) -> AsyncGenerator[Sequence[Mapping[Any, Any]], None]:
    """The sealed rows in (seq, id) order, a batch at a time (keyset paging)."""
    columns = (*_CONTENT, _TABLE.c.seq, _TABLE.c.prev_hash, _TABLE.c.hash)
    after: tuple[int, str] | None = None
    while True:
        query = select(*columns).where(_TABLE.c.org_id == org_id, _TABLE.c.seq.is_not(None))
        if after is not None:
            query = query.where(
                or_(
                    _TABLE.c.seq > after[0],
                    and_(_TABLE.c.seq == after[0], _TABLE.c.id > after[1]),
                )
            )
        query = query.order_by(_TABLE.c.seq, _TABLE.c.id).limit(VERIFY_BATCH)
        batch: Sequence[Mapping[Any, Any]] = (await session.execute(query)).mappings().all()
        if not batch:
            return
        yield batch
        if len(batch) < VERIFY_BATCH:
            return
        after = (int(batch[-1]["seq"]), str(batch[-1]["id"]))
