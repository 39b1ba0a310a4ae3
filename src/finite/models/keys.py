"""API keys of both products. Only an HMAC of the key is stored, tagged with its pepper's id."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base


class ApiKey(Base):
    # The lookup by hash crosses organizations by nature, so this table is keyed by its own id;
    # under Citus it is a small reference table rather than a distributed one.
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("product IN ('crm', 'handover')", name="product"),
        CheckConstraint("product <> 'crm' OR member_id IS NOT NULL", name="crm_key_has_member"),
        ForeignKeyConstraint(
            ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
        ),
        Index("ix_api_keys_org_product_created", "org_id", "product", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    product: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    member_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pepper_id: Mapped[str] = mapped_column(String(16))
    last_four: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
