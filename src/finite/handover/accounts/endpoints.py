"""Handover surface: /auth, /me and key management under /api/v1/keys (``admin`` scope)."""

from __future__ import annotations

from litestar import Router, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.keys import service as keys
from finite.core.webhooks import repository as webhook_repository
from finite.handover.accounts import service
from finite.handover.envelope import Envelope, ok
from finite.handover.plan_gate import PLAN, ZAPIER
from finite.handover.schemas import (
    AuthOut,
    CreatedKeyOut,
    CreateKeyIn,
    KeyOut,
    MeOut,
    RevokedKeyOut,
    auth_out,
    key_out,
    me_out,
)
from finite.kit.clock import utcnow
from finite.platform.http import ANY_KEY, AnyRequest, PrincipalDep
from finite.platform.rate_limits import decision_of
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change


@get("/auth", opt={"scope": ANY_KEY, PLAN: ZAPIER})
async def auth(request: AnyRequest, principal: PrincipalDep) -> Envelope[AuthOut]:
    """Check a key before wiring automations: 200 when it works on this plan."""
    return ok(request, auth_out(principal))


@get("/me", opt={"scope": ANY_KEY, PLAN: ZAPIER})
async def me(request: AnyRequest, principal: PrincipalDep) -> Envelope[MeOut]:
    async with platform_of(request).db.read() as session:
        used = await webhook_repository.count_endpoints(session, principal.org_id, "handover")
    return ok(request, me_out(principal, decision_of(request.scope), used))


@get("/keys", opt={"scope": "admin"})
async def list_keys(request: AnyRequest, principal: PrincipalDep) -> Envelope[list[KeyOut]]:
    async with platform_of(request).db.read() as session:
        found = await keys.list_keys(session, principal.org_id, "handover")
    now = utcnow()
    return ok(request, [key_out(key, now) for key in found])


@post("/keys", status_code=HTTP_201_CREATED, opt={"scope": "admin"})
async def create_key(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[CreateKeyIn]
) -> Envelope[CreatedKeyOut]:
    """A key never gets a scope its creator lacks."""
    peppers = platform_of(request).peppers

    async def work(session: AsyncSession) -> Changed[CreatedKeyOut]:
        return await service.create_key(session, peppers, principal, data)

    return ok(request, await commit_change(request, HTTP_201_CREATED, work))


@delete("/keys/{key_id:str}", status_code=HTTP_200_OK, opt={"scope": "admin"})
async def revoke_key(
    request: AnyRequest, principal: PrincipalDep, key_id: FromPath[str]
) -> Envelope[RevokedKeyOut]:
    async def work(session: AsyncSession) -> Changed[RevokedKeyOut]:
        return await service.revoke_key(session, principal.org_id, key_id)

    return ok(request, await commit_change(request, HTTP_200_OK, work))


router = Router("/", route_handlers=[auth, me, list_keys, create_key, revoke_key])
