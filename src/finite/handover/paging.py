"""Keyset paging for handover lists: ``?limit=`` and an opaque ``?cursor=``, newest first.

Ids are ULIDs, which sort by creation time, so "newest first" is ``id DESC`` and the cursor is
simply the last id of the page, encoded so callers treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar import Request
from litestar.params import QueryParameter

from finite.handover.envelope import Meta, meta_for
from finite.kit.errors import invalid_field

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 25
MAX_LIMIT = 100

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page, 1 to 100 (default 25).")
]
Cursor = Annotated[
    str | None,
    QueryParameter(max_length=200, description="The `nextCursor` of the previous page."),
]

_ULID_ID = re.compile(r"^[a-z]+_[0-9a-hjkmnp-tv-z]{26}$")


class ListMeta(Meta):
    next_cursor: str | None = msgspec.field(default=None, name="nextCursor")
    has_more: bool = msgspec.field(default=False, name="hasMore")


class Page(msgspec.Struct, Generic[T]):
    """The envelope of a list: the page's items, and in `meta` where the next page starts."""

    data: list[T]
    meta: ListMeta
    error: None = None


@dataclass(frozen=True, slots=True)
class Window(Generic[R]):
    rows: list[R]
    next_cursor: str | None

    @property
    def has_more(self) -> bool:
        return self.next_cursor is not None


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, prefix: str) -> str | None:
    """The id the page starts after; a cursor from another list or a made-up one is a 400."""
    if cursor is None:
        return None
    try:
        decoded = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if not _ULID_ID.match(decoded) or not decoded.startswith(f"{prefix}_"):
        raise invalid_field("cursor", "is not a cursor from this list; pass nextCursor unchanged")
    return decoded


def window(rows: Sequence[R], limit: int, id_of: Any) -> Window[R]:
    """`rows` were fetched with ``limit + 1``: the extra one only says whether more follow."""
    page = list(rows[:limit])
    more = len(rows) > limit
    return Window(page, encode_cursor(id_of(page[-1])) if more and page else None)


def page_of(request: Request[Any, Any, Any], items: list[T], found: Window[Any]) -> Page[T]:
    meta = meta_for(request)
    return Page(
        data=items,
        meta=ListMeta(
            request_id=meta.request_id,
            timestamp=meta.timestamp,
            next_cursor=found.next_cursor,
            has_more=found.has_more,
        ),
    )
