"""Every route of the handover surface (/api/v1), in one list for the app's router."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from finite.handover import account_endpoints as accounts

HANDOVER_ROUTES: list[ControllerRouterHandler] = [
    accounts.auth,
    accounts.me,
    accounts.list_keys,
    accounts.create_key,
    accounts.revoke_key,
]
