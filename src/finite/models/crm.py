"""CRM tables that are not per-module: custom fields, id counters and line items."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.kit.scaled_decimal import ScaledDecimal
from finite.models.base import Base


class CustomField(Base):
    """An organization's own field on a module; values live in the record's `custom` column."""

    __tablename__ = "crm_custom_fields"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    module: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    options: Mapped[list[str]] = mapped_column(JSON)
    target: Mapped[str | None] = mapped_column(String(40), nullable=True)
    max_length: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RecordCounter(Base):
    """Per organization and module: the last record id handed out (ids count from 1 per org) and
    how many records exist, so unfiltered list totals are exact without counting a million rows.

    On SQLite both move in the transactions of creates and deletes. On PostgreSQL ids are taken
    outside them (a rolled-back create leaves a gap, as a sequence does) and the count moves
    through RecordCountDelta rows (crm/records/pending_counts.py)."""

    __tablename__ = "crm_counters"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    module: Mapped[str] = mapped_column(String(40), primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    record_count: Mapped[int] = mapped_column(BigInteger, server_default="0")


class RecordCountDelta(Base):
    """PostgreSQL: a change to a RecordCounter's record_count (+n created, -1 deleted) written in
    the change's transaction and folded into the counter later, so that creates in one
    organization never wait for each other on the counter's row. The kept count is the
    counter's plus its deltas not yet folded."""

    __tablename__ = "crm_count_deltas"

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    module: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    delta: Mapped[int] = mapped_column(BigInteger)


class LineItem(Base):
    """One line of a quote, order or invoice; replaced as a whole with its parent record."""

    __tablename__ = "crm_line_items"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "product_id"],
            ["crm_products.org_id", "crm_products.id"],
            name="fk_crm_line_items_product",
        ),
    )

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    module: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    product_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    quantity: Mapped[Decimal] = mapped_column(ScaledDecimal(18, 4))
    list_price: Mapped[Decimal] = mapped_column(ScaledDecimal(18, 2))
    discount: Mapped[Decimal] = mapped_column(ScaledDecimal(18, 2))
    tax_rate: Mapped[Decimal] = mapped_column(ScaledDecimal(9, 4))
    amount: Mapped[Decimal] = mapped_column(ScaledDecimal(18, 2))
    tax: Mapped[Decimal] = mapped_column(ScaledDecimal(18, 2))
    total: Mapped[Decimal] = mapped_column(ScaledDecimal(18, 2))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
