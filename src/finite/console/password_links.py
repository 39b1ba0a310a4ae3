"""One-time links that set a member's console password: an invitation (a new member) or a reset
(a forgotten password), both to /console/password/{token}.

- The token is random (256 bits) and exists only in the mail; the table keeps its SHA-256.
- A link works once, until it expires (invitation 72 hours, reset 2 hours), and only while the
  member is active. Using one sets the password (check_strength), which ends every console
  session of the member, and spends every other link of theirs.
- The mail is queued in the caller's transaction: it goes if and only if the change commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finite.config import public_base_url
from finite.core.accounts.passwords import set_password
from finite.core.mail.outbox import queue_mail
from finite.kit.errors import AppError
from finite.kit.mail.message import Mail
from finite.models import Member, Organization, PasswordLink
from finite.platform.state import Platform

Purpose = Literal["invite", "reset"]
LIFETIME: dict[Purpose, timedelta] = {"invite": timedelta(hours=72), "reset": timedelta(hours=2)}
PATH = "/console/password/"
MAX_TOKEN_LENGTH = 100


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True, slots=True)
class OpenLink:
    """A usable link: whom it is for."""

    org_id: str
    org_name: str
    member_id: str
    email: str
    name: str
    purpose: str


def link_gone() -> AppError:
    return AppError(
        410, "LINK_GONE", "This link has expired or was already used; ask for a new one."
    )


def _mail(platform: Platform, member: Member, org_name: str, purpose: Purpose, link: str) -> Mail:
    hours = int(LIFETIME[purpose].total_seconds() // 3600)
    if purpose == "invite":
        subject = f"You are invited to {org_name} on Finite"
        opening = f"You have been invited to {org_name}'s Finite console as {member.email}."
        step = "Choose your password here"
    else:
        subject = f"Reset your Finite password for {org_name}"
        opening = f"Someone asked to reset the console password of {member.email} in {org_name}."
        step = "Choose a new password here"
    text = (
        f"Hello {member.name},\n\n{opening}\n\n{step} (the link works once, for {hours} hours):\n"
        f"{link}\n\nIf you did not expect this mail, ignore it: nothing changes.\n"
    )
    return Mail(sender=platform.settings.mail_from, to=(member.email,), subject=subject, text=text)


async def send_link(
    session: AsyncSession,
    platform: Platform,
    member: Member,
    org_name: str,
    purpose: Purpose,
    now: datetime,
) -> str:
    """Within the caller's transaction: a new link for `member`, its mail queued. Returns the
    link's id (the token's hash)."""
    token = secrets.token_urlsafe(32)
    hashed = token_hash(token)
    session.add(
        PasswordLink(
            org_id=member.org_id,
            id=hashed,
            member_id=member.id,
            purpose=purpose,
            created_at=now,
            expires_at=now + LIFETIME[purpose],
        )
    )
    link = f"{public_base_url(platform.settings)}{PATH}{token}"
    await queue_mail(
        session,
        platform.secrets,
        org_id=member.org_id,
        purpose=f"console.{purpose}",
        reference=member.id,
        mail=_mail(platform, member, org_name, purpose, link),
        now=now,
    )
    return hashed


_USABLE = (
    select(PasswordLink, Member, Organization.name)
    .join(Member, (Member.org_id == PasswordLink.org_id) & (Member.id == PasswordLink.member_id))
    .join(Organization, Organization.id == PasswordLink.org_id)
)


async def _usable(
    session: AsyncSession, token: str, now: datetime
) -> tuple[PasswordLink, Member, str] | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    found = (await session.execute(_USABLE.where(PasswordLink.id == token_hash(token)))).first()
    if found is None:
        return None
    link, member, org_name = found
    if link.used_at is not None or link.expires_at <= now or member.deactivated_at is not None:
        return None
    return link, member, org_name


async def open_link(session: AsyncSession, token: str, now: datetime) -> OpenLink | None:
    """Whom a usable link is for, or None (unknown, used, expired, member deactivated)."""
    found = await _usable(session, token, now)
    if found is None:
        return None
    link, member, org_name = found
    return OpenLink(member.org_id, org_name, member.id, member.email, member.name, link.purpose)


async def use_link(session: AsyncSession, token: str, password: str, now: datetime) -> Member:
    """Within the caller's transaction: set the password (ending every session of the member)
    and spend this link and every other of theirs. A bad password raises its field's error and
    spends nothing; an unusable link raises 410."""
    found = await _usable(session, token, now)
    if found is None:
        raise link_gone()
    link, member, _ = found
    claimed = await session.execute(
        update(PasswordLink)
        .where(
            PasswordLink.org_id == link.org_id,
            PasswordLink.id == link.id,
            PasswordLink.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(claimed.rowcount) != 1:  # type: ignore[attr-defined]  # used by a request alongside
        raise link_gone()
    await set_password(session, member.org_id, member.id, password, now)
    await session.execute(
        update(PasswordLink)
        .where(
            PasswordLink.org_id == member.org_id,
            PasswordLink.member_id == member.id,
            PasswordLink.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    return member


async def active_members_by_email(
    session: AsyncSession, email: str, limit: int = 10
) -> list[tuple[Member, str]]:
    """The active members this email names, in every organization, with its name."""
    rows = await session.execute(
        select(Member, Organization.name)
        .join(Organization, Organization.id == Member.org_id)
        .where(Member.email == email, Member.deactivated_at.is_(None))
        .order_by(Member.org_id)
        .limit(limit)
    )
    return [(member, org_name) for member, org_name in rows.all()]
