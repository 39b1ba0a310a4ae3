"""The handover surface (/api/v1): its domain routers, the caller as `principal`, and the scope
guard every route declares for (handover/auth.py)."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from finite.handover.accounts import endpoints as accounts
from finite.handover.auth import handover_principal, scope_guard
from finite.handover.branding import assets as branding_assets
from finite.handover.branding import endpoints as branding
from finite.handover.client_page import certificates, signing
from finite.handover.client_page import endpoints as client_page
from finite.handover.clients import endpoints as clients
from finite.handover.packs import endpoints as packs
from finite.handover.projects import endpoints as projects
from finite.handover.signoffs import endpoints as signoffs
from finite.handover.templates import endpoints as templates
from finite.handover.webhooks import endpoints as webhooks
from finite.handover.zapier import actions as zapier_actions
from finite.handover.zapier import trigger_endpoints as zapier_triggers

HANDOVER_ROUTER = Router(
    "/api/v1",
    route_handlers=[
        accounts.router,
        clients.router,
        projects.router,
        packs.router,
        signoffs.router,
        templates.router,
        zapier_actions.router,
        webhooks.router,
        branding.router,
        zapier_triggers.triggers_router,
        zapier_triggers.hooks_router,
    ],
    dependencies={"principal": Provide(handover_principal)},
    guards=[scope_guard],
)

# The client page (/p/{token}): no key, the link's token is the way in; the branding's public
# files (/branding/…), named by their content.
CLIENT_PAGE_ROUTER = Router(
    "/",
    route_handlers=[
        client_page.router,
        signing.router,
        certificates.router,
        branding_assets.router,
    ],
)
