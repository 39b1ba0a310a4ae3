"""CRM surface: the identity behind a key, and key management (GET/POST/DELETE /api/keys)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from finite.core.accounts import repository as accounts
from finite.core.accounts.service import resolve_member
from finite.core.auth.principal import Principal
from finite.core.keys import service as keys
from finite.core.webhooks import repository as webhook_repository
from finite.crm.auth import require_admin
from finite.crm.schemas import (
    CreatedKeyOut,
    CreateKeyIn,
    KeyListOut,
    MeOut,
    key_out,
    limits_out,
    me_out,
)
from finite.kit.clock import utcnow
from finite.kit.errors import forbidden
from finite.platform.rate_limits import decision_of
from finite.platform.state import platform_of

AnyRequest = Request[Any, Any, Any]


@get("/me")
async def me(principal: NamedDependency[Principal]) -> MeOut:
    return me_out(principal)


@get("/keys")
async def list_keys(request: AnyRequest, principal: NamedDependency[Principal]) -> KeyListOut:
    """Admins see every CRM key of the organization; other members see their own."""
    assert principal.member is not None
    only_member = None if principal.is_admin else principal.member.id
    async with platform_of(request).db.read() as session:
        found = await keys.list_keys(session, principal.org_id, "crm", only_member)
        member_ids = {key.member_id for key in found if key.member_id}
        members = await accounts.members_by_id(session, principal.org_id, member_ids)
        webhooks_used = await webhook_repository.count_endpoints(session, principal.org_id, "crm")
    now = utcnow()
    return KeyListOut(
        keys=[key_out(key, members.get(key.member_id or ""), now) for key in found],
        limits=limits_out(principal.entitlement, decision_of(request.scope), webhooks_used),
    )


@post("/keys", status_code=HTTP_201_CREATED)
async def create_key(
    request: AnyRequest, principal: NamedDependency[Principal], data: JSONBody[CreateKeyIn]
) -> CreatedKeyOut:
    require_admin(principal)
    assert principal.member is not None
    platform = platform_of(request)
    async with platform.db.transaction() as session:
        if data.member is None:
            member = await accounts.member_by_id(session, principal.org_id, principal.member.id)
            assert member is not None
        else:
            member = await resolve_member(session, principal.org_id, data.member)
        created = await keys.create_key(
            session,
            platform.peppers,
            org_id=principal.org_id,
            product="crm",
            name=data.name,
            member_id=member.id,
            expires_at=data.expires_at,
        )
    listed = key_out(created.record, member, utcnow())
    return CreatedKeyOut(**msgspec.structs.asdict(listed), key=created.token)


@delete("/keys/{key_id:str}")
async def revoke_key(
    request: AnyRequest, principal: NamedDependency[Principal], key_id: FromPath[str]
) -> None:
    """Admins revoke any CRM key of the organization; other members only their own."""
    async with platform_of(request).db.transaction() as session:
        key = await keys.revoke_key(session, principal.org_id, key_id, "crm")
        own = principal.member is not None and key.member_id == principal.member.id
        if not (principal.is_admin or own):
            raise forbidden("Only an Admin can revoke another member's key.")
