"""CSV import jobs: the job, its uploaded rows in chunks, and the report of rows that failed.

The uploaded file lives in the database, so any server or worker process can run the job and
none holds more than one chunk in memory. Each chunk is processed in one transaction that also
moves the job's `next_chunk` (the resume point): a process killed between chunks loses nothing
and repeats nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base

IMPORT_STATUSES = ("queued", "running", "done", "failed", "cancelled")
IMPORT_FINISHED_STATUSES = ("done", "failed", "cancelled")


class ImportJob(Base):
    __tablename__ = "crm_import_jobs"
    __table_args__ = (
        Index("ix_crm_import_jobs_org_created", "org_id", "created_at"),
        Index("ix_crm_import_jobs_status", "status", "lease_until"),
        Index("ix_crm_import_jobs_created", "created_at"),  # retention
    )

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    module: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    filename: Mapped[str] = mapped_column(String(200))
    # Who asked: the job writes as this key (revoked or stripped of the permission: it stops).
    key_id: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    request_id: Mapped[str] = mapped_column(String(128))  # the upload's: every audit row has it
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # Options
    upsert_on: Mapped[str | None] = mapped_column(String(64), nullable=True)
    dry_run: Mapped[bool] = mapped_column(Boolean)
    stop_on_error: Mapped[bool] = mapped_column(Boolean)
    # The header and what became of each column: [{"column", "field"}] / [{"column", "reason"}]
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    ignored_columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Progress: chunks below next_chunk are committed, with their counts
    total_rows: Mapped[int] = mapped_column(BigInteger)
    total_chunks: Mapped[int] = mapped_column(Integer)
    next_chunk: Mapped[int] = mapped_column(Integer, default=0)
    last_row: Mapped[int] = mapped_column(BigInteger, default=1)  # the last row committed
    rows_done: Mapped[int] = mapped_column(BigInteger, default=0)
    created: Mapped[int] = mapped_column(BigInteger, default=0)
    updated: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)  # why it failed
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_token: Mapped[str | None] = mapped_column(String(40), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims: > 1 after a resume
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ImportChunk(Base):
    """Up to CHUNK_ROWS rows of the file, as msgpack (a list of rows of cells)."""

    __tablename__ = "crm_import_chunks"
    __table_args__ = (Index("ix_crm_import_chunks_created", "created_at"),)  # retention

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_row: Mapped[int] = mapped_column(BigInteger)  # the file's row number of its first row
    rows: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the upload's


class ImportProblem(Base):
    """One reason one row failed: the error report's line."""

    __tablename__ = "crm_import_problems"
    __table_args__ = (Index("ix_crm_import_problems_created", "created_at"),)  # retention

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    job_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    row: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    field: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reason: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())  # the job's
