"""A client link opened from a browser's request: the pack, its agency's brand and whether the
pack password lets this browser in; or, for a link that opens nothing, the page saying why."""

from __future__ import annotations

import time
from dataclasses import dataclass

from litestar import Response
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover.branding.brand import Brand, brand_of
from finite.handover.client_page.access import Opened, Refused, open_link
from finite.handover.client_page.replies import refused_page
from finite.handover.packs import pack_password
from finite.kit.clock import utcnow
from finite.platform.http import AnyRequest
from finite.platform.state import platform_of


@dataclass(frozen=True, slots=True)
class Entered:
    opened: Opened
    brand: Brand
    admitted: bool  # see admitted()


def admitted(request: AnyRequest, opened: Opened) -> bool:
    """No pack password, or this browser entered it (its cookie)."""
    stored = opened.pack.password_hash
    if stored is None:
        return True
    return pack_password.cookie_admits(
        platform_of(request).settings.secret_key,
        opened.link.id,
        stored,
        request.cookies.get(pack_password.COOKIE),
        int(time.time()),
    )


async def opened_or_refused(
    request: AnyRequest, session: AsyncSession, token: str
) -> Entered | Response[str]:
    """Reads in the caller's session, which goes on to read what its page needs."""
    now = utcnow()
    try:
        opened = await open_link(session, token, now)
    except Refused as refused:
        return refused_page(refused)
    brand = await brand_of(session, opened.link.org_id, now)
    return Entered(opened, brand, admitted(request, opened))
