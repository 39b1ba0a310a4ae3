"""What a handler reads by hand, declared on its decorator for the OpenAPI documents only.

Litestar documents what a handler's signature declares (``data: JSONBody[X]``, ``FromPath``,
query parameters). A handler that reads the body, query or headers from ``request`` itself
declares them with ``opt=documented(...)``; nothing here changes how a request is handled::

    @post("/records/{module:str}", opt=documented(body=RecordInput, params=[IDEMPOTENCY_KEY]))
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

OPT_KEY = "finite_openapi"


@dataclass(frozen=True, slots=True)
class Param:
    """A query parameter or request header the handler reads; `schema` is a JSON Schema."""

    name: str
    where: Literal["query", "header"]
    description: str
    schema: dict[str, Any]
    required: bool = False


@dataclass(frozen=True, slots=True)
class Header:
    """A header of the handler's success answer."""

    name: str
    description: str
    schema: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Hints:
    body: Any = None  # the type of the JSON body read by hand (a msgspec Struct, dict[...])
    body_description: str | None = None
    body_media_type: str = "application/json"  # text/csv: a CSV upload (its type is `str`)
    params: tuple[Param, ...] = ()
    response_headers: tuple[Header, ...] = ()


def documented(
    *,
    body: Any = None,
    body_description: str | None = None,
    body_media_type: str = "application/json",
    params: Iterable[Param] = (),
    response_headers: Iterable[Header] = (),
) -> dict[str, Any]:
    """The `opt` of a route decorator carrying these hints."""
    return {
        OPT_KEY: Hints(
            body=body,
            body_description=body_description,
            body_media_type=body_media_type,
            params=tuple(params),
            response_headers=tuple(response_headers),
        )
    }


def hints_of(opt: dict[str, Any]) -> Hints:
    found = opt.get(OPT_KEY)
    return found if isinstance(found, Hints) else Hints()


def query(name: str, description: str, schema: dict[str, Any]) -> Param:
    return Param(name, "query", description, schema)


STRING: dict[str, Any] = {"type": "string"}

IDEMPOTENCY_KEY = Param(
    "Idempotency-Key",
    "header",
    "Makes the POST safe to retry for 24 hours: a retry with the same key gets the saved answer "
    "back (with `Idempotent-Replayed: true`); the same key with a different body is refused "
    "with 422, and while the first request is still running with 409.",
    # core/idempotency/store.py: printable (`str.isprintable`, over the Latin-1 of headers).
    {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "pattern": "^[^\\x00-\\x1f\\x7f-\\xa0\\xad]*$",
    },
)
IF_MATCH = Param(
    "If-Match",
    "header",
    'The version the change is based on, as the record\'s ETag (e.g. `"3"`); a stale version '
    "is refused with 409 VERSION_CONFLICT. Without it (or empty, or `*`) the change applies to "
    "the latest version.",
    # crm/http.py's `_IF_MATCH`, around the blanks a header may carry.
    {"type": "string", "pattern": r'^\s*(\*|(W/)?"?[0-9]{1,18}"?)?\s*$'},
)
ETAG = Header("ETag", 'The record\'s version, e.g. `"3"`; send it back as If-Match.', STRING)
IDEMPOTENT_REPLAYED = Header(
    "Idempotent-Replayed",
    "`true` when this is the saved answer to an earlier request with the same Idempotency-Key.",
    {"type": "string", "enum": ["true"]},
)
