"""Handover surface: /api/v1/branding — read the organization's branding (read scope), replace
it (admin scope); the Agency plan's REST API (Pro sets it in the console)."""

from __future__ import annotations

import asyncio

from litestar import Router, get, put
from litestar.params import JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from finite.config import public_base_url
from finite.core.audit.context import set_subject
from finite.handover.branding import service
from finite.handover.branding.schemas import BrandingIn, BrandingOut
from finite.handover.envelope import Envelope, ok
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest, PrincipalDep
from finite.platform.state import platform_of
from finite.platform.unit_of_work import Changed, commit_change

MODULE = "branding"


@get("/", opt={"scope": "read"})
async def get_branding(request: AnyRequest, principal: PrincipalDep) -> Envelope[BrandingOut]:
    """The organization's branding, and what its clients see now (`shown`)."""
    set_subject(request.scope, MODULE, action="view")
    platform = platform_of(request)
    async with platform.db.read() as session:
        found = await service.get_branding(
            session, principal.org_id, utcnow(), public_base_url(platform.settings)
        )
    return ok(request, found)


@put("/", opt={"scope": "admin"})
async def put_branding(
    request: AnyRequest, principal: PrincipalDep, data: JSONBody[BrandingIn]
) -> Envelope[BrandingOut]:
    """Replace the branding: the name, accent colour (`#rrggbb`) and logo (PNG or JPEG in
    base64, at most 512 KiB and 2000 pixels a side) on the pack's email, the client page, the
    certificate and the PDFs. `logo` left out keeps the stored one; null removes it."""
    set_subject(request.scope, MODULE, action="update")
    platform = platform_of(request)
    change = await asyncio.to_thread(service.checked_change, data)
    now = utcnow()

    async def work(session: AsyncSession) -> Changed[BrandingOut]:
        return await service.put_branding(
            session, principal.org_id, change, now, public_base_url(platform.settings)
        )

    return ok(request, await commit_change(request, 200, work))


router = Router("/branding", route_handlers=[get_branding, put_branding])
