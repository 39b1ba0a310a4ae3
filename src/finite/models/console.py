"""The web console's tables: members' passwords and signed-in sessions.

Neither holds a secret in the clear: a password is stored as its argon2id hash, a session by the
SHA-256 of the id its cookie carries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base


class MemberCredential(Base):
    """A member's console password (argon2id; the hash string names its own parameters)."""

    __tablename__ = "member_credentials"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
        ),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsoleSession(Base):
    """A signed-in browser. `id` is the SHA-256 (hex) of the cookie's session id; the cookie is
    the only place the id itself exists. Found by that hash alone (the cookie names no
    organization), through its own index."""

    __tablename__ = "console_sessions"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
        ),
        Index("ix_console_sessions_id", "id"),
        Index("ix_console_sessions_org_member", "org_id", "member_id"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(40))
    # The session's forms carry it back (a hidden field): a page of another site cannot.
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    idle_expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())  # absolute, whatever the use
    client_ip: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(300), nullable=True)
