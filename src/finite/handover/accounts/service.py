"""Handover keys: scoped, and never granting a scope their creator lacks."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.auth.principal import Principal
from finite.core.keys import service as keys
from finite.handover.schemas import CreatedKeyOut, CreateKeyIn, RevokedKeyOut, key_out
from finite.kit.clock import utcnow
from finite.kit.derived_keys import Peppers
from finite.kit.errors import Problems, forbidden
from finite.platform.unit_of_work import Changed


async def create_key(
    session: AsyncSession, peppers: Peppers, principal: Principal, data: CreateKeyIn
) -> Changed[CreatedKeyOut]:
    """A key with `data.scopes` (the creator's own by default); its token shown once."""
    problems = Problems()
    scopes: list[str] = []
    with problems.check():
        scopes = keys.normalize_scopes(data.scopes if data.scopes is not None else principal.scopes)
    beyond = sorted(set(scopes) - principal.scopes)
    if beyond:
        raise forbidden(f"A key cannot grant the {beyond[0]!r} scope, which it does not hold.")
    created = await keys.create_key(
        session,
        peppers,
        org_id=principal.org_id,
        product="handover",
        name=data.name,
        member_id=None,
        scopes=scopes,
        expires_at=data.expires_at,
        problems=problems,
        expires_field="expiresAt",
    )
    listed = key_out(created.record, utcnow())
    return Changed(CreatedKeyOut(**msgspec.structs.asdict(listed), key=created.token))


async def revoke_key(session: AsyncSession, org_id: str, key_id: str) -> Changed[RevokedKeyOut]:
    key = await keys.revoke_key(session, org_id, key_id, "handover")
    return Changed(RevokedKeyOut(id=key.id, revoked_at=key.revoked_at))
