"""The request's id: the caller's X-Request-ID when it is sane, else a new ``req_…``, chosen
once and remembered in the ASGI scope (audit rows, errors and the response header all read it)."""

from __future__ import annotations

import re
import secrets
from contextvars import ContextVar
from typing import Any

from litestar.types import Scope

_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_STATE_KEY = "finite_request_id"

# The id of the request the current task serves, for log lines (platform/logs.py); set when a
# request arrives (platform/request_metrics.py), None outside requests.
current_request_id: ContextVar[str | None] = ContextVar("finite_request_id", default=None)


def request_id_of(scope: Scope) -> str:
    """The request's id, chosen once and remembered in the scope state."""
    state: dict[str, Any] = scope.setdefault("state", {})
    request_id = state.get(_STATE_KEY)
    if request_id is None:
        request_id = _from_headers(scope) or f"req_{secrets.token_hex(12)}"
        state[_STATE_KEY] = request_id
    return str(request_id)


def _from_headers(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"x-request-id":
            try:
                text = value.decode("ascii")
            except UnicodeDecodeError:
                return None
            return text if _SANE.match(text) else None
    return None
