"""Every response carries X-Request-ID: the request's id (finite.kit.request_id)."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from finite.kit.request_id import request_id_of


async def add_request_id_header(message: Message, scope: Scope) -> None:
    """A before_send hook: it sees every response, errors and unknown routes included."""
    if message["type"] == "http.response.start":
        headers = MutableScopeHeaders.from_message(message)
        headers["X-Request-ID"] = request_id_of(scope)
