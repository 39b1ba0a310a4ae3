"""Handover surface: /auth, /me and key management under /api/v1/keys (``admin`` scope)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from finite.core.auth.principal import Principal
from finite.core.keys import service as keys
from finite.core.webhooks import repository as webhook_repository
from finite.handover.envelope import Envelope, ok
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
from finite.kit.errors import forbidden
from finite.platform.rate_limits import decision_of
from finite.platform.state import platform_of

AnyRequest = Request[Any, Any, Any]


@get("/auth")
async def auth(request: AnyRequest, principal: NamedDependency[Principal]) -> Envelope[AuthOut]:
    """Check a key before wiring automations: 200 when it works on this plan."""
    return ok(request, auth_out(principal))


@get("/me")
async def me(request: AnyRequest, principal: NamedDependency[Principal]) -> Envelope[MeOut]:
    async with platform_of(request).db.read() as session:
        used = await webhook_repository.count_endpoints(session, principal.org_id, "handover")
    return ok(request, me_out(principal, decision_of(request.scope), used))


@get("/keys", opt={"scope": "admin"})
async def list_keys(
    request: AnyRequest, principal: NamedDependency[Principal]
) -> Envelope[list[KeyOut]]:
    async with platform_of(request).db.read() as session:
        found = await keys.list_keys(session, principal.org_id, "handover")
    now = utcnow()
    return ok(request, [key_out(key, now) for key in found])


@post("/keys", status_code=HTTP_201_CREATED, opt={"scope": "admin"})
async def create_key(
    request: AnyRequest, principal: NamedDependency[Principal], data: JSONBody[CreateKeyIn]
) -> Envelope[CreatedKeyOut]:
    """A key never gets a scope its creator lacks."""
    scopes = keys.normalize_scopes(data.scopes if data.scopes is not None else principal.scopes)
    beyond = sorted(set(scopes) - principal.scopes)
    if beyond:
        raise forbidden(f"A key cannot grant the {beyond[0]!r} scope, which it does not hold.")
    platform = platform_of(request)
    async with platform.db.transaction() as session:
        created = await keys.create_key(
            session,
            platform.peppers,
            org_id=principal.org_id,
            product="handover",
            name=data.name,
            member_id=None,
            scopes=scopes,
            expires_at=data.expires_at,
        )
    listed = key_out(created.record, utcnow())
    return ok(request, CreatedKeyOut(**msgspec.structs.asdict(listed), key=created.token))


@delete("/keys/{key_id:str}", status_code=200, opt={"scope": "admin"})
async def revoke_key(
    request: AnyRequest, principal: NamedDependency[Principal], key_id: FromPath[str]
) -> Envelope[RevokedKeyOut]:
    async with platform_of(request).db.transaction() as session:
        key = await keys.revoke_key(session, principal.org_id, key_id, "handover")
    return ok(request, RevokedKeyOut(id=key.id, revoked_at=key.revoked_at))
