"""Keyset paging for handover lists: ``?limit=`` and an opaque ``?cursor=``, newest first.

Ids are ULIDs, which sort by creation time, so "newest first" is ``id DESC`` and the cursor
(finite.kit.paging) holds simply the last id of the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter

from finite.handover.envelope import Meta, meta_for
from finite.kit import paging
from finite.kit.errors import invalid_field
from finite.kit.paging import Window
from finite.platform.http import AnyRequest

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_LIMIT = 25
MAX_LIMIT = 100

Limit = Annotated[
    int, QueryParameter(ge=1, le=MAX_LIMIT, description="Items per page, 1 to 100 (default 25).")
]
Cursor = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="The `nextCursor` of the previous page; empty or absent: the first page.",
    ),
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


_TAG = "id"  # the order of every handover list: id, newest first


def decode_cursor(cursor: str | None, prefix: str) -> str | None:
    """The id the page starts after (none: the first page, also for an empty cursor); a cursor
    from another list or a made-up one is a 400."""
    if not cursor:
        return None
    match paging.decode_cursor(cursor, _TAG):
        case [str() as last_id] if _ULID_ID.match(last_id) and last_id.startswith(f"{prefix}_"):
            return last_id
    raise invalid_field("cursor", "is not a cursor from this list; pass nextCursor unchanged")


def window(rows: Sequence[R], limit: int, id_of: Callable[[R], str]) -> Window[R]:
    """`rows` were fetched with ``limit + 1``: the extra one only says whether more follow."""
    return paging.window(rows, limit, lambda row: paging.encode_cursor(_TAG, id_of(row)))


def page_of(request: AnyRequest, items: list[T], found: Window[Any]) -> Page[T]:
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
