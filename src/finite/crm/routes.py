"""The CRM surface (/api): its domain routers, the caller as `principal`, and the permission
guard every route declares for (crm/auth.py)."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from finite.crm.accounts import endpoints as accounts
from finite.crm.audit import endpoints as audit
from finite.crm.auth import crm_principal, permission_guard
from finite.crm.export import endpoints as export
from finite.crm.fields import endpoints as fields
from finite.crm.history import endpoints as history
from finite.crm.imports import endpoints as imports
from finite.crm.records import endpoints as records
from finite.crm.roles import endpoints as roles
from finite.crm.webhooks import endpoints as webhooks

CRM_ROUTER = Router(
    "/api",
    route_handlers=[
        accounts.router,
        records.router,
        history.router,
        fields.router,
        export.router,
        imports.router,
        roles.router,
        audit.router,
        webhooks.router,
    ],
    dependencies={"principal": Provide(crm_principal)},
    guards=[permission_guard],
)
