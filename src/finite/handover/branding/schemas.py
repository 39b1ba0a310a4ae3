"""JSON shapes of /api/v1/branding."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import UNSET, UnsetType

from finite.handover.branding.accent import COLOUR_PATTERN
from finite.handover.branding.logo import MAX_BASE64, MAX_BYTES, MAX_SIDE
from finite.handover.schemas import Camel
from finite.kit.validate import OPTIONAL_TEXT_PATTERN

DisplayName = Annotated[
    str,
    msgspec.Meta(
        max_length=200,
        description="The name clients see instead of the organization's; blank or null: the "
        "organization's name.",
        extra_json_schema={"pattern": OPTIONAL_TEXT_PATTERN},
    ),
]
Colour = Annotated[
    str,
    msgspec.Meta(
        description="`#rrggbb`; null: the default blue (#2563eb).",
        extra_json_schema={"pattern": COLOUR_PATTERN},
    ),
]
LogoType = Annotated[
    str,
    msgspec.Meta(
        description="The image's type; the data itself must be of it (SVG is refused: it can "
        "carry scripts).",
        extra_json_schema={"enum": ["image/png", "image/jpeg"]},
    ),
]
LogoData = Annotated[
    str,
    msgspec.Meta(
        min_length=4,
        max_length=MAX_BASE64 + MAX_BASE64 // 76 * 2,  # line breaks of wrapped base64 allowed
        description=f"The image's bytes in base64: at most {MAX_BYTES} bytes (512 KiB) decoded, "
        f"{MAX_SIDE} pixels a side.",
        extra_json_schema={"pattern": "^[A-Za-z0-9+/=\\s]*$"},
    ),
]


class LogoIn(Camel, forbid_unknown_fields=True):
    content_type: LogoType
    data: LogoData


class BrandingIn(Camel, forbid_unknown_fields=True):
    """The whole branding: a field left out is reset to its default, but for `logo`, which is
    kept when left out (null removes it)."""

    display_name: DisplayName | None = None
    accent_color: Colour | None = None
    logo: LogoIn | UnsetType | None = UNSET


class LogoOut(Camel):
    content_type: str
    width: int
    height: int
    size: int  # bytes
    sha256: str
    url: str  # public and cacheable: it changes with the logo


class ShownOut(Camel):
    """What clients see now: the branding where the plan allows it, else the defaults."""

    name: str
    accent_color: str
    logo_url: str | None


class BrandingOut(Camel):
    display_name: str | None
    accent_color: str | None
    logo: LogoOut | None
    shown: ShownOut
    updated_at: datetime | None  # null: never set
