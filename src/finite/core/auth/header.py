"""Extract a bearer token from raw ASGI headers, refusing every malformed shape alike."""

from __future__ import annotations

from collections.abc import Iterable

from finite.core.keys.tokens import MAX_KEY_LENGTH
from finite.kit.errors import unauthorized

_MAX_HEADER_BYTES = len("Bearer ") + MAX_KEY_LENGTH + 16


def bearer_token(headers: Iterable[tuple[bytes, bytes]]) -> str:
    values = [value for name, value in headers if name.lower() == b"authorization"]
    if len(values) != 1:
        raise unauthorized()
    raw = values[0]
    if len(raw) > _MAX_HEADER_BYTES or not raw.isascii():
        raise unauthorized()
    parts = raw.decode("ascii").split()
    if len(parts) != 2 or parts[0].lower() != "bearer" or not parts[1].isprintable():
        raise unauthorized()
    return parts[1]
