"""Read and replace an organization's branding; the logo is checked before the transaction (it
decodes the image: CPU, no database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from msgspec import UNSET, UnsetType
from sqlalchemy.ext.asyncio import AsyncSession

from finite.handover import inputs
from finite.handover.branding.accent import accent_color
from finite.handover.branding.brand import brand_of
from finite.handover.branding.logo import Logo, checked_logo
from finite.handover.branding.schemas import BrandingIn, BrandingOut, LogoOut, ShownOut
from finite.kit.errors import Problems
from finite.models import HandoverBranding
from finite.platform.unit_of_work import Changed


@dataclass(frozen=True, slots=True)
class BrandingChange:
    display_name: str | None
    accent_color: str | None
    logo: Logo | UnsetType | None  # UNSET: keep the stored one


def checked_change(data: BrandingIn) -> BrandingChange:
    """Every bad field named at once (422); CPU-bound, for a worker thread."""
    problems = Problems()
    name = problems.clean(inputs.optional_title, "displayName", data.display_name)
    colour = problems.clean(accent_color, "accentColor", data.accent_color)
    logo: Logo | UnsetType | None = UNSET
    if data.logo is None:
        logo = None
    elif not isinstance(data.logo, UnsetType):
        logo = checked_logo(problems, "logo", data.logo.content_type, data.logo.data)
    problems.raise_any()
    return BrandingChange(name, colour, logo)


def _logo_out(row: HandoverBranding, public_url: str) -> LogoOut | None:
    if row.logo_sha256 is None:
        return None
    return LogoOut(
        content_type=row.logo_content_type or "",
        width=row.logo_width or 0,
        height=row.logo_height or 0,
        size=row.logo_size or 0,
        sha256=row.logo_sha256,
        url=f"{public_url.rstrip('/')}/branding/logos/{row.logo_sha256}",
    )


async def branding_out(
    session: AsyncSession, org_id: str, row: HandoverBranding | None, now: datetime, public_url: str
) -> BrandingOut:
    brand = await brand_of(session, org_id, now)
    return BrandingOut(
        display_name=row.display_name if row else None,
        accent_color=row.accent_color if row else None,
        logo=_logo_out(row, public_url) if row else None,
        shown=ShownOut(
            name=brand.name, accent_color=brand.accent, logo_url=brand.logo_url(public_url)
        ),
        updated_at=row.updated_at if row else None,
    )


async def get_branding(
    session: AsyncSession, org_id: str, now: datetime, public_url: str
) -> BrandingOut:
    row = await session.get(HandoverBranding, org_id)
    return await branding_out(session, org_id, row, now, public_url)


async def put_branding(
    session: AsyncSession, org_id: str, change: BrandingChange, now: datetime, public_url: str
) -> Changed[BrandingOut]:
    row = await session.get(HandoverBranding, org_id)
    if row is None:
        row = HandoverBranding(org_id=org_id, updated_at=now)
        session.add(row)
    before = {
        "displayName": row.display_name,
        "accentColor": row.accent_color,
        "logo": row.logo_sha256,  # the audit names the logo by its hash, never its bytes
    }
    row.display_name = change.display_name
    row.accent_color = change.accent_color
    if not isinstance(change.logo, UnsetType):
        _set_logo(row, change.logo)
    row.updated_at = now
    after = {
        "displayName": row.display_name,
        "accentColor": row.accent_color,
        "logo": row.logo_sha256,
    }
    diff: dict[str, Any] = {
        field: {"before": before[field], "after": after[field]}
        for field in before
        if before[field] != after[field]
    }
    await session.flush()
    return Changed(await branding_out(session, org_id, row, now, public_url), diff)


def _set_logo(row: HandoverBranding, logo: Logo | None) -> None:
    row.logo = logo.data if logo else None
    row.logo_content_type = logo.content_type if logo else None
    row.logo_sha256 = logo.sha256 if logo else None
    row.logo_size = len(logo.data) if logo else None
    row.logo_width = logo.width if logo else None
    row.logo_height = logo.height if logo else None
