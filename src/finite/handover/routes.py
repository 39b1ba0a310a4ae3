"""Every route of the handover surface (/api/v1), in one list for the app's router."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler

from finite.handover import account_endpoints as accounts
from finite.handover.clients import endpoints as clients
from finite.handover.packs import endpoints as packs
from finite.handover.projects import endpoints as projects
from finite.handover.signoffs import endpoints as signoffs
from finite.handover.templates import endpoints as templates

HANDOVER_ROUTES: list[ControllerRouterHandler] = [
    accounts.auth,
    accounts.me,
    accounts.list_keys,
    accounts.create_key,
    accounts.revoke_key,
    clients.list_clients,
    clients.create_client,
    clients.get_client,
    clients.update_client,
    projects.list_projects,
    projects.create_project,
    projects.get_project,
    projects.update_project,
    packs.get_pack,
    packs.replace_pack,
    packs.add_credential,
    packs.update_credential,
    packs.delete_credential,
    packs.add_item,
    packs.update_item,
    packs.delete_item,
    signoffs.get_project_signoff,
    signoffs.list_signoffs,
    templates.list_templates,
    templates.create_template,
    templates.get_template,
    templates.update_template,
    templates.delete_template,
]
