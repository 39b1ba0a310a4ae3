"""Keyset paging, one format for every list on both surfaces.

A cursor is opaque to callers: URL-safe base64 (unpadded) of a compact JSON array whose first
item is a tag naming the order it belongs to (a CRM sort such as ``-name``, ``audit``, ``id``),
then the last row's position in that order. Decoding checks the encoding and the tag; the list
checks the position's values and answers its own 400 when anything is wrong.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

R = TypeVar("R")


def encode_cursor(tag: str, *position: Any) -> str:
    """`position`: JSON values only (the list turns decimals, dates and times into text)."""
    raw = json.dumps([tag, *position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, tag: str) -> list[Any] | None:
    """The position a cursor of this order carries; None for anything else."""
    try:
        parts = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except Exception:  # noqa: BLE001 - whatever is wrong with a cursor, it is not one of ours
        return None
    if type(parts) is not list or not parts or parts[0] != tag:
        return None
    return parts[1:]


@dataclass(frozen=True, slots=True)
class Window(Generic[R]):
    """A page of rows, and the cursor of the page after it (None on the last page)."""

    rows: list[R]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def window(rows: Sequence[R], limit: int, cursor_after: Callable[[R], str]) -> Window[R]:
    """`rows` were fetched with ``limit + 1``: the extra one only says whether more follow."""
    page = list(rows[:limit])
    more = len(rows) > limit
    return Window(page, cursor_after(page[-1]) if more and page else None)
