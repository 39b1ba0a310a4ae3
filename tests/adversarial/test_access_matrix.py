"""Who may call what, generated from the routes' own declarations: every CRM route for every
built-in role (and every module, for the module-action routes), every handover route for keys
of every scope set. A principal without the declared permission gets 403 FORBIDDEN with the
documented message, before anything is read or changed; one with it gets past the check."""

from __future__ import annotations

from itertools import combinations
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar

from finite.core.accounts.roles import ACTIONS, BUILTIN_ROLES, governed_modules
from finite.core.accounts.service import set_plan
from finite.crm.auth import Admin, ModuleAction
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.http import AnyKey
from tests.adversarial.ledger import Ledger
from tests.adversarial.routes import Route, api_routes
from tests.adversarial.world import GENEROUS_RPM, Client
from tests.factories import OrgSetup, bearer, make_handover_key, make_member_key

NOBODYS = {
    "record_id": str(10**12),
    "crm_key_id": "key_00000000000000000000000000",
    "handover_key_id": "key_00000000000000000000000000",
    "key": "cf_nobodys_field",
    "webhook_id": "wh_00000000000000000000000000",
    "delivery_id": "dlv_00000000000000000000000000",
    "handover_webhook_id": "wh_00000000000000000000000000",
    "handover_delivery_id": "dlv_00000000000000000000000000",
    "hook_id": "wh_00000000000000000000000000",
    "client_id": "client_00000000000000000000000000",
    "project_id": "project_00000000000000000000000000",
    "signed_project_id": "project_00000000000000000000000000",
    "credential_id": "cred_00000000000000000000000000",
    "item_id": "item_00000000000000000000000000",
    "template_id": "template_00000000000000000000000000",
    "role": "NoSuchRole",
}
SCOPE_SETS = [
    frozenset(chosen)
    for size in (1, 2, 3)
    for chosen in combinations(("read", "write", "admin"), size)
]


async def generous(db: Database, org_id: str) -> None:
    async with db.transaction() as session:
        for product in ("crm", "handover"):
            await set_plan(session, org_id, product, None, rpm_override=GENEROUS_RPM)


async def call(client: Client, route: Route, key: str, module: str = "leads") -> Any:
    path = route.fill({**NOBODYS, "module": module, "filename": f"{module}.csv"})
    body: dict[str, Any] | None = {} if route.method in ("POST", "PUT", "PATCH") else None
    return await client.request(route.method, path, json=body, headers=bearer(key))


def refused(response: Any, handover: bool) -> str:
    """The 403's message, after checking its shape."""
    assert response.status_code == 403, response.text
    body = response.json()
    error = body["error"] if handover else body
    assert error["code"] == "FORBIDDEN", body
    return str(error["message"] if handover else error["error"])


def let_through(response: Any) -> None:
    assert response.status_code not in (401, 403), response.text
    assert response.status_code < 500, response.text


def crm_routes(app: Litestar) -> list[Route]:
    return [route for route in api_routes(app) if not route.handover]


async def test_crm_role_module_action_matrix(
    app: Litestar, client: Client, db: Database, peppers: Peppers, org: OrgSetup, ledger: Ledger
) -> None:
    await generous(db, org.org_id)
    keys = {"Admin": org.crm_key}
    for role in BUILTIN_ROLES[1:]:
        keys[role.name] = (await make_member_key(db, peppers, org.org_id, role.name))[1]
        ledger.add(keys[role.name])
    modules = governed_modules()
    assert len(modules) == 21
    checked = 0
    for route in crm_routes(app):
        declared = route.declared
        for role in BUILTIN_ROLES:
            key = keys[role.name]
            if isinstance(declared, ModuleAction):
                for module in modules:
                    response = await call(client, route, key, module)
                    if declared.action in role.actions:
                        let_through(response)
                    else:
                        message = refused(response, handover=False)
                        assert message == f"The {role.name} role cannot {declared.action} {module}."
                    checked += 1
                continue
            response = await call(client, route, key)
            if isinstance(declared, Admin) and not role.is_admin:
                assert refused(response, handover=False) == declared.message, str(route)
            else:
                assert isinstance(declared, Admin | AnyKey), str(route)
                let_through(response)
            checked += 1
    assert checked > 500


async def test_handover_scope_matrix(
    app: Litestar, client: Client, db: Database, peppers: Peppers, org: OrgSetup, ledger: Ledger
) -> None:
    await generous(db, org.org_id)
    checked = 0
    for scopes in SCOPE_SETS:
        key = await make_handover_key(db, peppers, org.org_id, tuple(sorted(scopes)))
        ledger.add(key)
        me = await client.get("/api/v1/me", headers=bearer(key))
        assert set(me.json()["data"]["scopes"]) == scopes
        for route in api_routes(app):
            if not route.handover:
                continue
            response = await call(client, route, key)
            declared = route.declared
            if isinstance(declared, AnyKey) or declared in scopes:
                let_through(response)
            else:
                assert isinstance(declared, str), str(route)
                message = refused(response, handover=True)
                assert message == f"This API key needs the {declared!r} scope.", str(route)
            checked += 1
    assert checked > 100


PERMISSIONS = st.dictionaries(
    st.sampled_from(["leads", "contacts", "deals", "quotes"]),
    st.lists(st.sampled_from(ACTIONS), unique=True),
    min_size=1,
    max_size=4,
)


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(permissions=PERMISSIONS)
async def test_a_changed_role_is_enforced_at_once(
    app: Litestar,
    client: Client,
    db: Database,
    peppers: Peppers,
    org: OrgSetup,
    permissions: dict[str, list[str]],
) -> None:
    """Generated module permissions given to the Standard role: its key may do exactly those
    actions on those modules, on the next request."""
    await generous(db, org.org_id)
    _, key = await make_member_key(db, peppers, org.org_id, "Standard")
    changed = await client.put(
        "/api/roles/Standard", json={"permissions": permissions}, headers=bearer(org.crm_key)
    )
    assert changed.status_code == 200, changed.text
    routes = {
        route.declared.action: route
        for route in crm_routes(app)
        if isinstance(route.declared, ModuleAction) and "history" not in route.path
    }
    assert set(routes) == set(ACTIONS)
    for module, allowed in permissions.items():
        for action, route in routes.items():
            response = await call(client, route, key, module)
            if action in allowed:
                let_through(response)
            else:
                assert refused(response, handover=False) == (
                    f"The Standard role cannot {action} {module}."
                )
