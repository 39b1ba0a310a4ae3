"""A member's second factor for the console: a TOTP secret (sealed with the secret box, bound to
its row), the recovery codes (their SHA-256 only), and the sign-ins waiting for a code (by the
SHA-256 of the token the second step's form carries)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKeyConstraint, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base


class MemberTotp(Base):
    """`id` is the member's id. Until `confirmed_at` is set the secret is only being set up
    (a code from the app confirms it) and sign-in does not ask for a code."""

    __tablename__ = "member_totp"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "id"], ["members.org_id", "members.id"], ondelete="CASCADE"
        ),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    secret_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The time step of the last code taken: a code of that step or an earlier one is refused.
    last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class MemberRecoveryCode(Base):
    __tablename__ = "member_recovery_codes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
        ),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConsolePendingSignIn(Base):
    """The right password was given; the session starts only once a code is."""

    __tablename__ = "console_pending_sign_ins"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "member_id"], ["members.org_id", "members.id"], ondelete="CASCADE"
        ),
        Index("ix_console_pending_sign_ins_id", "id"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
