"""The accent colour: only `#rrggbb` is stored, so it can go into CSS and mail markup as it is;
text on it is white or ink, whichever reads better (WCAG contrast)."""

from __future__ import annotations

import re
from typing import Final

from finite.kit.errors import invalid_field

DEFAULT_ACCENT: Final = "#2563eb"
INK: Final = "#1f2328"
WHITE: Final = "#ffffff"
COLOUR_PATTERN: Final = "^#[0-9A-Fa-f]{6}$"
_COLOUR = re.compile(COLOUR_PATTERN)
HEX_DIGITS: Final = re.compile("^[0-9a-f]{6}$")  # a stored colour without its `#`


def accent_color(field: str, value: str | None) -> str | None:
    """`#rrggbb` (lower-cased), or None (null) for the default."""
    if value is None:
        return None
    if not _COLOUR.fullmatch(value):
        raise invalid_field(field, "must be a colour written #rrggbb, for example #2563eb")
    return value.lower()


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        value = int(hex_pair, 16) / 255
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def text_on(colour: str) -> str:
    """White or ink, whichever contrasts more with `colour` (a button's label on the accent)."""
    light = _luminance(colour)
    on_white = 1.05 / (light + 0.05)
    on_ink = (light + 0.05) / (_luminance(INK) + 0.05)
    return WHITE if on_white >= on_ink else INK


def rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
