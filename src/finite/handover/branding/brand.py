"""The brand an organization's clients see, as its plan allows: its display name, accent colour
and logo on Pro and Agency (when set), else the organization's name and the default accent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from finite.core.plans.catalog import HANDOVER_PLANS
from finite.core.plans.entitlement import entitlement_of
from finite.handover.branding.accent import DEFAULT_ACCENT, text_on
from finite.models import HandoverBranding, Organization, Subscription

LOGOS: Final = "/branding/logos/"  # + the logo's SHA-256
THEMES: Final = "/branding/theme/"  # + the accent's six hex digits


@dataclass(frozen=True, slots=True)
class Brand:
    name: str
    accent: str = DEFAULT_ACCENT  # `#rrggbb`
    logo_sha256: str | None = None
    branded: bool = False  # the organization's own branding, its plan allowing it
    logo_pixels: tuple[int, int] = (1, 1)  # the logo's width and height

    def logo_fit(self, width: float, height: float) -> tuple[float, float]:
        """The logo's size inside a `width` by `height` box, its proportions kept."""
        pixels_wide, pixels_high = self.logo_pixels
        scale = min(width / pixels_wide, height / pixels_high)
        return pixels_wide * scale, pixels_high * scale

    @property
    def on_accent(self) -> str:
        return text_on(self.accent)

    @property
    def logo_path(self) -> str | None:
        return f"{LOGOS}{self.logo_sha256}" if self.logo_sha256 else None

    @property
    def theme_path(self) -> str | None:
        """The stylesheet setting the accent; None for the default (page.css has it)."""
        return None if self.accent == DEFAULT_ACCENT else f"{THEMES}{self.accent[1:]}"

    def logo_url(self, public_url: str) -> str | None:
        """The logo's address from outside (mail clients fetch it)."""
        path = self.logo_path
        return f"{public_url.rstrip('/')}{path}" if path else None


_SHOWN = (
    HandoverBranding.display_name,
    HandoverBranding.accent_color,
    HandoverBranding.logo_sha256,
    HandoverBranding.logo_width,
    HandoverBranding.logo_height,
)


async def branding_allowed(session: AsyncSession, org_id: str, now: datetime) -> bool:
    subscription = await session.get(Subscription, (org_id, "handover"))
    if subscription is None:
        return False
    return HANDOVER_PLANS[entitlement_of(subscription, now).effective_plan].branding


async def brand_of(session: AsyncSession, org_id: str, now: datetime) -> Brand:
    """What the organization's clients see now (the logo's bytes are not read here)."""
    organization = await session.get(Organization, org_id)
    default = Brand(name=organization.name if organization else "")
    if not await branding_allowed(session, org_id, now):
        return default
    row = (
        await session.execute(select(*_SHOWN).where(HandoverBranding.org_id == org_id))
    ).one_or_none()
    if row is None:
        return default
    name, accent, logo, width, height = row
    return Brand(
        name=name or default.name,
        accent=accent or DEFAULT_ACCENT,
        logo_sha256=logo,
        branded=True,
        logo_pixels=(width or 1, height or 1),
    )


async def logo_by_hash(session: AsyncSession, sha256: str) -> tuple[str, bytes] | None:
    """A stored logo's type and bytes by its SHA-256 (any organization's: the hash names it)."""
    row = (
        await session.execute(
            select(HandoverBranding.logo_content_type, HandoverBranding.logo)
            .where(HandoverBranding.logo_sha256 == sha256)
            .limit(1)
        )
    ).one_or_none()
    if row is None or row[0] is None or row[1] is None:
        return None
    return str(row[0]), bytes(row[1])


async def logo_of(session: AsyncSession, brand: Brand) -> bytes | None:
    """The brand's logo bytes, for a PDF."""
    if brand.logo_sha256 is None:
        return None
    found = await logo_by_hash(session, brand.logo_sha256)
    return found[1] if found else None
