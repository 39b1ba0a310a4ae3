"""CRM surface: the identity behind a key, and key management (GET/POST/DELETE /api/keys)."""

from __future__ import annotations

from litestar import Router, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.accounts import repository as accounts
from finite.core.keys import service as keys
from finite.core.webhooks import repository as webhook_repository
from finite.crm.accounts import service
from finite.crm.auth import ADMIN, PERMISSION
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
from finite.platform.http import ANY_KEY, AnyRequest, PrincipalDep
from finite.platform.rate_limits import decision_of
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change


@get("/me", opt={PERMISSION: ANY_KEY})
async def me(principal: PrincipalDep) -> MeOut:
    return me_out(principal)


@get("/keys", opt={PERMISSION: ANY_KEY})
async def list_keys(request: AnyRequest, principal: PrincipalDep) -> KeyListOut:
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


@post("/keys", status_code=HTTP_201_CREATED, opt={PERMISSION: ADMIN})
async def create_key(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[CreateKeyIn]
) -> CreatedKeyOut:
    peppers = platform_of(request).peppers

    async def work(session: AsyncSession) -> Changed[CreatedKeyOut]:
        return await service.create_key(session, peppers, principal, data)

    return await commit_change(request, HTTP_201_CREATED, work)


@delete("/keys/{key_id:str}", opt={PERMISSION: ANY_KEY})
async def revoke_key(request: AnyRequest, principal: PrincipalDep, key_id: FromPath[str]) -> None:
    """Admins revoke any CRM key of the organization; other members only their own."""

    async def work(session: AsyncSession) -> Changed[None]:
        return await service.revoke_key(session, principal, key_id)

    await commit_change(request, HTTP_204_NO_CONTENT, work)


router = Router("/", route_handlers=[me, list_keys, create_key, revoke_key])
