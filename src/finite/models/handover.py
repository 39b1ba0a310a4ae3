"""Handover: clients, projects, their packs (sections, items, credentials, sends), custom
templates and sign-offs. `org_id` leads every key, as in the rest of the schema (Citus-ready).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from finite.kit.db_types import UTCDateTime
from finite.models.base import Base


class HandoverClient(Base):
    """A client of the agency; `email` is stored normalized (trimmed, lower-cased)."""

    __tablename__ = "handover_clients"
    __table_args__ = (Index("uq_handover_clients_org_email", "org_id", "email", unique=True),)

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    company: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


PROJECT_SIGNED_OFF = "signed_off"  # a project's last status: its pack can no longer change


class HandoverProject(Base):
    __tablename__ = "handover_projects"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "client_id"], ["handover_clients.org_id", "handover_clients.id"]
        ),
        CheckConstraint("status IN ('draft', 'pack_sent', 'viewed', 'signed_off')", name="status"),
        Index("ix_handover_projects_org_client", "org_id", "client_id", "id"),
        Index("ix_handover_projects_org_status", "org_id", "status", "id"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    project_type: Mapped[str] = mapped_column(String(100))
    launch_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HandoverPack(Base):
    """One per project, copied from a template when the project is created."""

    __tablename__ = "handover_packs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "project_id"],
            ["handover_projects.org_id", "handover_projects.id"],
            ondelete="CASCADE",
        ),
        Index("uq_handover_packs_org_project", "org_id", "project_id", unique=True),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40))
    template_id: Mapped[str | None] = mapped_column(String(40), nullable=True)  # its source
    scope_summary: Mapped[str] = mapped_column(Text)
    support_duration_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    support_included: Mapped[list[str]] = mapped_column(JSON)
    support_excluded: Mapped[list[str]] = mapped_column(JSON)
    # The client page's optional password (argon2id; handover/packs/pack_password.py).
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True, default=None)
    # Credentials stay locked on the client page until the client has signed off.
    credentials_after_signoff: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PackSection(Base):
    __tablename__ = "handover_pack_sections"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "pack_id"],
            ["handover_packs.org_id", "handover_packs.id"],
            ondelete="CASCADE",
        ),
        Index("ix_handover_pack_sections_org_pack", "org_id", "pack_id", "position"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)


class PackItem(Base):
    """A link, training resource or document (as a link) inside one section of a pack."""

    __tablename__ = "handover_pack_items"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "section_id"],
            ["handover_pack_sections.org_id", "handover_pack_sections.id"],
            ondelete="CASCADE",
        ),
        Index("ix_handover_pack_items_org_pack", "org_id", "pack_id", "position"),
        Index("ix_handover_pack_items_org_section", "org_id", "section_id"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(40))
    section_id: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    description: Mapped[str] = mapped_column(Text)


class PackCredential(Base):
    """A login handed over; the password is only ever stored sealed (AES-GCM, bound to the row)."""

    __tablename__ = "handover_pack_credentials"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "pack_id"],
            ["handover_packs.org_id", "handover_packs.id"],
            ondelete="CASCADE",
        ),
        Index("ix_handover_pack_credentials_org_pack", "org_id", "pack_id", "position"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    platform: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    username: Mapped[str | None] = mapped_column(String(320), nullable=True)
    password_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    notes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PackSend(Base):
    """One sending of a pack to its client (written by the send flow)."""

    __tablename__ = "handover_pack_sends"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "pack_id"],
            ["handover_packs.org_id", "handover_packs.id"],
            ondelete="CASCADE",
        ),
        Index("ix_handover_pack_sends_org_pack", "org_id", "pack_id", "sent_at"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    pack_id: Mapped[str] = mapped_column(String(40))
    recipient_email: Mapped[str] = mapped_column(String(320))
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PackLink(Base):
    """A client's way in to a pack: the link emailed to one recipient. Only the token's SHA-256
    is stored; sending the pack again replaces every earlier link of the project. The lookup
    by token crosses organizations by nature (the client has no key), so the hash is unique on
    its own."""

    __tablename__ = "handover_pack_links"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "pack_id"],
            ["handover_packs.org_id", "handover_packs.id"],
            ondelete="CASCADE",
        ),
        Index("uq_handover_pack_links_token", "token_hash", unique=True),
        Index("ix_handover_pack_links_org_project", "org_id", "project_id", "created_at"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40))
    pack_id: Mapped[str] = mapped_column(String(40))
    send_id: Mapped[str] = mapped_column(String(40))
    recipient_email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    first_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    views: Mapped[int] = mapped_column(Integer, default=0)


class HandoverTemplate(Base):
    """An organization's own template for one project type; `content` is the pack to copy."""

    __tablename__ = "handover_templates"
    __table_args__ = (
        Index("uq_handover_templates_org_type", "org_id", "project_type_key", unique=True),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    project_type: Mapped[str] = mapped_column(String(100))
    project_type_key: Mapped[str] = mapped_column(String(100))  # lower-cased, for matching
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Signoff(Base):
    """The client's sign-off: who, when, from where, the exact consent and what they saw."""

    __tablename__ = "handover_signoffs"
    __table_args__ = (
        ForeignKeyConstraint(
            ["org_id", "project_id"],
            ["handover_projects.org_id", "handover_projects.id"],
            ondelete="CASCADE",
        ),
        Index("uq_handover_signoffs_org_project", "org_id", "project_id", unique=True),
        # /verify/{hash} finds a certificate by its hash alone, across organizations.
        Index("uq_handover_signoffs_certificate", "certificate_sha256", unique=True),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    project_id: Mapped[str] = mapped_column(String(40))
    pack_id: Mapped[str] = mapped_column(String(40))
    signer_name: Mapped[str] = mapped_column(String(200))
    signer_email: Mapped[str] = mapped_column(String(320))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(Text, nullable=True)
    consent_text: Mapped[str] = mapped_column(Text)
    consent_sha256: Mapped[str] = mapped_column(String(64))
    pack_sha256: Mapped[str] = mapped_column(String(64))
    consent_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # SHA-256 of the canonical evidence record (handover/signoffs/canonical.py).
    certificate_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class HandoverBranding(Base):
    """An organization's look on what its clients see (Pro and Agency): the name shown, the
    accent colour (`#rrggbb`, lower-case) and a PNG or JPEG logo, checked when stored
    (handover/branding/logo.py). The logo is served by its SHA-256 (/branding/logos/{sha256}),
    so its address changes with it and may be cached for ever."""

    __tablename__ = "handover_branding"
    __table_args__ = (
        ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        Index("ix_handover_branding_logo", "logo_sha256"),
    )

    org_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    display_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    accent_color: Mapped[str | None] = mapped_column(String(7), nullable=True)
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    logo_content_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    logo_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    logo_size: Mapped[int | None] = mapped_column(Integer, nullable=True)  # bytes
    logo_width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    logo_height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
