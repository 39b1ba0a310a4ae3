"""Finite Accounts: organizations, CRM roles, members and per-product subscriptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Bumped by a database trigger on every change to the organization's custom fields
    # (migration 0008), whoever writes them: read with the key on every request, it tells
    # whether a process's cached record schemas are still current.
    custom_fields_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Role(Base):
    """A CRM role; ``permissions`` maps each module to the actions the role may take on it."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_builtin: Mapped[bool] = mapped_column(Boolean, default=False)
    permissions: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("org_id", "email"),
        ForeignKeyConstraint(["org_id", "role_id"], ["roles.org_id", "roles.id"]),
    )

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role_id: Mapped[str] = mapped_column(String(40))
    is_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the member is deactivated: their console sessions stop on the next request.
    deactivated_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, default=None
    )


class Subscription(Base):
    """One per organization and product; the plan and its status decide limits and access."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint("product IN ('crm', 'handover')", name="product"),
        CheckConstraint("status IN ('trial', 'active', 'expired', 'suspended')", name="status"),
    )

    org_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    product: Mapped[str] = mapped_column(String(16), primary_key=True)
    plan: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    trial_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    rpm_override: Mapped[int | None] = mapped_column(Integer, nullable=True)
    webhooks_override: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
