"""CRM keys: an Admin creates them for any member; a member revokes only their own."""

from __future__ import annotations

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts import repository as accounts
from finite.core.accounts.service import resolve_member
from finite.core.auth.principal import Principal
from finite.core.keys import service as keys
from finite.crm.schemas import CreatedKeyOut, CreateKeyIn, key_out
from finite.kit.clock import utcnow
from finite.kit.derived_keys import Peppers
from finite.kit.errors import forbidden
from finite.platform.unit_of_work import Changed


async def create_key(
    session: AsyncSession, peppers: Peppers, principal: Principal, data: CreateKeyIn
) -> Changed[CreatedKeyOut]:
    """A key for `data.member` (the caller's own member by default); its token shown once."""
    assert principal.member is not None
    if data.member is None:
        member = await accounts.member_by_id(session, principal.org_id, principal.member.id)
        assert member is not None
    else:
        member = await resolve_member(session, principal.org_id, data.member)
    created = await keys.create_key(
        session,
        peppers,
        org_id=principal.org_id,
        product="crm",
        name=data.name,
        member_id=member.id,
        expires_at=data.expires_at,
    )
    listed = key_out(created.record, member, utcnow())
    return Changed(CreatedKeyOut(**msgspec.structs.asdict(listed), key=created.token))


async def revoke_key(session: AsyncSession, principal: Principal, key_id: str) -> Changed[None]:
    """Admins revoke any CRM key of the organization; other members only their own."""
    key = await keys.revoke_key(session, principal.org_id, key_id, "crm")
    own = principal.member is not None and key.member_id == principal.member.id
    if not (principal.is_admin or own):
        raise forbidden("Only an Admin can revoke another member's key.")
    return Changed(None)
