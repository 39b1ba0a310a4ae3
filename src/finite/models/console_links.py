"""One-time links that let a member set their console password: an invitation or a reset.

The link's token exists only in the mail; the table keeps its SHA-256.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base


class PasswordLink(Base):
    """`id` is the SHA-256 (hex) of the token in the mailed link; found by it alone."""

    __tablename__ = "console_password_links"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
        ),
        Index("ix_console_password_links_id", "id"),
        Index("ix_console_password_links_org_member", "org_id", "member_id"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(16))  # "invite" or "reset"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, default=None)
