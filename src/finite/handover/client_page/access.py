"""Which pack a client link opens, or why it opens none: unknown (404), replaced by a newer
sending or past its expiry (410). The lookup crosses organizations by nature: the token's hash
alone finds the link (models/handover.PackLink)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.packs.links import TOKEN_PREFIX, token_hash
from finite.models import HandoverPack, HandoverProject, PackLink
from finite.models.handover import PROJECT_SIGNED_OFF

Refusal = Literal["unknown", "replaced", "expired"]
MAX_TOKEN = 100


@dataclass(frozen=True, slots=True)
class Opened:
    link: PackLink
    project: HandoverProject
    pack: HandoverPack

    @property
    def signed_off(self) -> bool:
        return self.project.status == PROJECT_SIGNED_OFF

    @property
    def credentials_locked(self) -> bool:
        return self.pack.credentials_after_signoff and not self.signed_off


class Refused(Exception):
    def __init__(self, why: Refusal) -> None:
        super().__init__(why)
        self.why = why


# The link with its project and pack, in one statement built once (every client page request
# opens a link); outer joins, so a link whose pack is gone still answers why it opens nothing.
_LINK = (
    select(PackLink, HandoverProject, HandoverPack)
    .outerjoin(
        HandoverProject,
        and_(HandoverProject.org_id == PackLink.org_id, HandoverProject.id == PackLink.project_id),
    )
    .outerjoin(
        HandoverPack,
        and_(HandoverPack.org_id == PackLink.org_id, HandoverPack.id == PackLink.pack_id),
    )
    .where(PackLink.token_hash == bindparam("token_hash"))
)


async def open_link(session: AsyncSession, token: str, now: datetime) -> Opened:
    if not token.startswith(TOKEN_PREFIX) or len(token) > MAX_TOKEN:
        raise Refused("unknown")
    found = (await session.execute(_LINK, {"token_hash": token_hash(token)})).one_or_none()
    if found is None:
        raise Refused("unknown")
    link, project, pack = found
    if link.replaced_at is not None:
        raise Refused("replaced")
    if link.expires_at <= now:
        raise Refused("expired")
    if project is None or pack is None:  # cascaded away with the pack
        raise Refused("unknown")
    return Opened(link, project, pack)
