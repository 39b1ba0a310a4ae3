"""Every API call leaves an audit row: this hook takes the ones no handler wrote itself."""

from __future__ import annotations

from litestar.types import Message, Scope

from finite.core.audit.context import already_written
from finite.core.audit.entries import audit_values, is_api_call
from finite.platform.state import Platform


async def audit_api_calls(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start" or not is_api_call(scope) or already_written(scope):
        return
    platform = scope["app"].state.platform
    assert isinstance(platform, Platform)
    platform.audit.add(audit_values(scope, message["status"]))
