"""Reading an organization's audit log: filters, keyset pages newest first, JSON and CSV rows.

Pages are keyed on (occurred_at, id), descending: a cursor is the last row's position, so paging
stays cheap and stable however deep it goes, and rows written meanwhile never shift a page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.kit import paging
from finite.kit.db import Database
from finite.kit.paging import Window
from finite.models.events import AuditEntry

CSV_BATCH = 500

COLUMNS: tuple[str, ...] = (
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
    "seq",
    "hash",
)

# A spreadsheet runs a cell beginning with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_JSON = msgspec.json.Encoder(decimal_format="number")
_TAG = "audit"  # the cursors' order: newest first, by (occurred_at, id)


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the newest-first order: the last row a page showed."""

    occurred_at: datetime
    id: str

    def encode(self) -> str:
        return paging.encode_cursor(_TAG, self.occurred_at.astimezone(UTC).isoformat(), self.id)

    @classmethod
    def decode(cls, token: str) -> Cursor | None:
        """None when the token is not one this server handed out."""
        match paging.decode_cursor(token, _TAG):
            case [str() as at, str() as row_id] if row_id and len(row_id) <= 40:
                try:
                    moment = datetime.fromisoformat(at)
                    if moment.tzinfo is not None:
                        return cls(moment.astimezone(UTC), row_id)
                except (ValueError, OverflowError):
                    pass
        return None

    @classmethod
    def after(cls, row: AuditEntry) -> Cursor:
        return cls(row.occurred_at, row.id)


@dataclass(frozen=True, slots=True)
class StatusFilter:
    low: int
    high: int  # inclusive


@dataclass(frozen=True, slots=True)
class AuditFilter:
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    key_id: str | None = None
    member_id: str | None = None
    module: str | None = None
    record_id: int | None = None
    status: StatusFilter | None = None
    action: str | None = None  # the console's filter (the API does not offer it)
    changes_only: bool = False  # a record's history: the rows that changed it


def _filtered(org_id: str, wanted: AuditFilter) -> Select[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.org_id == org_id)
    if wanted.since is not None:
        query = query.where(AuditEntry.occurred_at >= wanted.since)
    if wanted.until is not None:
        query = query.where(AuditEntry.occurred_at < wanted.until)
    for column, value in (
        (AuditEntry.key_id, wanted.key_id),
        (AuditEntry.member_id, wanted.member_id),
        (AuditEntry.module, wanted.module),
        (AuditEntry.record_id, wanted.record_id),
        (AuditEntry.action, wanted.action),
    ):
        if value is not None:
            query = query.where(column == value)
    if wanted.status is not None:
        query = query.where(AuditEntry.status.between(wanted.status.low, wanted.status.high))
    if wanted.changes_only:
        query = query.where(AuditEntry.changes.is_not(None))
    return query


async def audit_page(
    session: AsyncSession, org_id: str, wanted: AuditFilter, limit: int, after: Cursor | None
) -> Window[AuditEntry]:
    """Up to `limit` of the organization's rows, newest first, after the cursor."""
    query = _filtered(org_id, wanted)
    if after is not None:
        query = query.where(
            or_(
                AuditEntry.occurred_at < after.occurred_at,
                and_(AuditEntry.occurred_at == after.occurred_at, AuditEntry.id < after.id),
            )
        )
    query = query.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc()).limit(limit + 1)
    rows = (await session.scalars(query)).all()
    return paging.window(rows, limit, lambda row: Cursor.after(row).encode())


async def any_rows(session: AsyncSession, org_id: str, wanted: AuditFilter) -> bool:
    found = await session.execute(select(exists(_filtered(org_id, wanted))))
    return bool(found.scalar())


def entry_out(row: AuditEntry) -> dict[str, Any]:
    """One row as the API shows it (changes keep decimals as exact numbers when encoded)."""
    return {
        "id": row.id,
        "occurred_at": iso(row.occurred_at),
        "product": row.product,
        "key_id": row.key_id,
        "key_name": row.key_name,
        "member_id": row.member_id,
        "method": row.method,
        "path": row.path,
        "status": row.status,
        "module": row.module,
        "record_id": row.record_id,
        "action": row.action,
        "request_id": row.request_id,
        "client_ip": row.client_ip,
        "user_agent": row.user_agent,
        "changes": row.changes,
        "seq": row.seq,
        "hash": row.hash,
    }


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# --- CSV -------------------------------------------------------------------------------------


def csv_cell(value: Any) -> str:
    """RFC 4180 quoting is the csv module's; this adds the guard against formula injection."""
    if value is None:
        text = ""
    elif isinstance(value, dict | list):
        text = _JSON.encode(value).decode()
    elif isinstance(value, datetime):
        text = iso(value)
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_row(row: AuditEntry) -> list[str]:
    out = entry_out(row)
    return [csv_cell(out[name]) for name in COLUMNS]


async def csv_chunks(db: Database, org_id: str, wanted: AuditFilter) -> AsyncIterator[bytes]:
    """The header, then the rows newest first, read in keyset batches so memory stays flat
    however long the log; each batch is its own short read, never one long transaction."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: quotes when needed, doubled quotes, CRLF
    writer.writerow(COLUMNS)
    yield _drain(buffer)
    after: Cursor | None = None
    while True:
        async with db.read() as session:
            page = await audit_page(session, org_id, wanted, CSV_BATCH, after)
        writer.writerows(csv_row(row) for row in page.rows)
        if page.rows:
            yield _drain(buffer)
        if not page.has_more:
            return
        after = Cursor.after(page.rows[-1])


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


def member_ids(rows: Sequence[AuditEntry]) -> set[str]:
    return {row.member_id for row in rows if row.member_id}
