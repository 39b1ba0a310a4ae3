"""The events outbox (written with each change) and the audit log (one row per API call)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base


class Event(Base):
    """A change, committed in the same transaction as the change itself.

    The CRM's events name a record by module and number (`record_id`, `version`). The handover's
    name a project by its string id in `subject_id` (module "projects"), with `record_id` and
    `version` 0; they are also the handover's event log that Zapier's polling triggers read.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_org_occurred", "org_id", "occurred_at"),
        # The webhook worker's queue: events not yet turned into deliveries.
        Index(
            "ix_events_unfanned",
            "occurred_at",
            postgresql_where=text("fanned_out_at IS NULL"),
            sqlite_where=text("fanned_out_at IS NULL"),
        ),
        # Retention (core/retention/) deletes the oldest first, a batch at a time.
        Index("ix_events_occurred", "occurred_at"),
        # The handover's event log, newest first per type (Zapier's polling triggers): only the
        # handover's rows, so the CRM's writes pay nothing for it.
        Index(
            "ix_events_handover_log",
            "org_id",
            "event",
            "id",
            postgresql_where=text("product = 'handover'"),
            sqlite_where=text("product = 'handover'"),
        ),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    product: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(32))
    module: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int] = mapped_column(BigInteger)
    subject_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class AuditEntry(Base):
    """Who called what and with which outcome. `org_id` is empty when the caller was unknown."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_org_occurred", "org_id", "occurred_at"),
        Index("ix_audit_log_org_record", "org_id", "module", "record_id"),
        Index("ix_audit_log_org_seq", "org_id", "seq"),
        # The rows waiting for the sealer, in its order (core/audit/chain.py).
        Index(
            "ix_audit_log_waiting",
            "org_id",
            "occurred_at",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    product: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    key_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    member_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[int] = mapped_column(Integer)
    module: Mapped[str | None] = mapped_column(String(40), nullable=True)
    record_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    action: Mapped[str | None] = mapped_column(String(32), nullable=True)
    request_id: Mapped[str] = mapped_column(String(128))
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(Text, nullable=True)
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), nullable=True)
    # The tamper-evident chain, sealed off the request path: seq counts 1, 2, … per organization
    # and hash = SHA-256(prev_hash + the row's canonical content).
    seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AuditChainHead(Base):
    """The last sealed link per organization: deleting rows at the chain's end is detected too."""

    __tablename__ = "audit_chain_heads"

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IdempotentRequest(Base):
    """A POST's answer kept for 24 hours under its Idempotency-Key, per organization and key."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_created", "created_at"),)  # for retention

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
