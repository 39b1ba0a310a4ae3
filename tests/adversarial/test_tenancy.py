"""Tenancy over every route of both APIs, read from the app's route table: organization A's keys
reach none of organization B's things. An id of B's answers A exactly as an unknown id does
(404, the same body), changes nothing of B's, and no answer A gets holds anything of B's.

A route that addresses something by id is checked by `test_another_orgs_id_is_not_found`; a
GET without one (lists, search, export, audit, sign-offs, the caller's own things) by
`test_nothing_of_another_org_shows_in_any_read`; the rest create in the caller's organization
(the mass-assignment suite proves an `org_id` sent in a body is ignored) or are named in
EXEMPT with the reason. A new route that fits none of these fails `test_every_route_is_covered`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar

from finite.kit.clock import utcnow
from tests.adversarial.routes import Route, api_routes
from tests.adversarial.world import Client, Tenant, World

# Routes that take no id and are not a read: each creates in (or changes) the caller's own
# organization, which its key decides; nothing in the path or body can name another.
CREATES_IN_OWN_ORG = {
    "POST /api/keys": "a key of the caller's organization (mass assignment: org_id ignored)",
    "POST /api/records/{module:str}": "a record of the caller's organization (mass assignment)",
    "POST /api/records/{module:str}/batch": "records of the caller's organization; another "
    "organization's ids in its body: test_batch.py::test_another_orgs_ids_in_a_batch_are_not_found",
    "POST /api/modules/{module:str}/fields": "a custom field of the caller's organization",
    "POST /api/webhooks": "a webhook of the caller's organization (mass assignment)",
    "POST /api/import/{filename:str}": "an import job of the caller's organization, whose rows "
    "become its records (a CSV: its system columns are ignored, test_import.py)",
    "PUT /api/roles/{role:str}": "roles are named the same in every organization: "
    "test_a_role_change_stays_in_its_organization",
    "POST /api/v1/keys": "a key of the caller's organization (mass assignment)",
    "POST /api/v1/clients": "a client of the caller's organization (mass assignment)",
    "POST /api/v1/projects": "a project of the caller's organization; its clientId: "
    "test_another_orgs_ids_in_a_body_are_not_found",
    "POST /api/v1/templates": "a template of the caller's organization (mass assignment)",
    "POST /api/v1/zapier/actions/create-project": "a project of the caller's organization; its "
    "client_id: test_another_orgs_ids_in_a_body_are_not_found",
    "POST /api/v1/zapier/actions/send-pack": "its project_id is in the body: "
    "test_another_orgs_ids_in_a_body_are_not_found",
    "POST /api/v1/webhooks": "a webhook of the caller's organization (mass assignment)",
    "POST /api/v1/zapier/hooks": "a REST hook of the caller's organization (mass assignment)",
    "PUT /api/v1/branding": "the caller's organization's own branding, one per organization "
    "(mass assignment)",
}

# A body each route accepts, so that the call reaches the lookup of the id in its path.
BODIES: dict[str, Any] = {
    "PUT /api/records/{module:str}/{record_id:int}": {"name": "changed by A"},
    "PATCH /api/webhooks/{webhook_id:str}": {"description": "changed by A"},
    "PATCH /api/v1/clients/{client_id:str}": {"name": "changed by A"},
    "PATCH /api/v1/projects/{project_id:str}": {"name": "changed by A"},
    "PUT /api/v1/projects/{project_id:str}/pack": {
        "scopeSummary": "changed by A",
        "sections": [],
        "credentials": [],
        "supportBoundary": {"durationDays": 1, "included": [], "excluded": []},
    },
    "POST /api/v1/projects/{project_id:str}/pack/credentials": {"platform": "by A"},
    "PATCH /api/v1/projects/{project_id:str}/pack/access": {"credentialsAfterSignOff": True},
    "PATCH /api/v1/projects/{project_id:str}/pack/credentials/{credential_id:str}": {
        "platform": "by A"
    },
    "POST /api/v1/projects/{project_id:str}/pack/items": {
        "sectionId": "section_00000000000000000000000000",
        "kind": "link",
        "title": "by A",
    },
    "PATCH /api/v1/projects/{project_id:str}/pack/items/{item_id:str}": {"title": "by A"},
    "PATCH /api/v1/templates/{template_id:str}": {"name": "changed by A"},
    "PATCH /api/v1/webhooks/{webhook_id:str}": {"description": "changed by A"},
}
VOLATILE = {"request_id", "timestamp", "remaining", "last_used_at", "lastUsedAt"}


def body_for(route: Route) -> Any:
    if str(route) in BODIES:
        return BODIES[str(route)]
    if route.path.endswith("/recover"):
        return {"since": (utcnow() - timedelta(hours=1)).isoformat()}
    return None


def keys_of(tenant: Tenant, route: Route) -> dict[str, str]:
    return tenant.handover if route.handover else tenant.crm


def unknown_ids(world: World, salt: str = "0") -> dict[str, str]:
    """Ids of nobody, shaped like B's (same prefix and length)."""
    unknown = {}
    for name, value in world.b.ids.items():
        if name == "record_id":
            unknown[name] = str(10**12 + len(salt))
        elif "_" in value and name != "key":
            prefix, _, rest = value.rpartition("_")
            unknown[name] = f"{prefix}_{(salt * len(rest))[: len(rest)]}"
        else:
            unknown[name] = f"cf_nobody_{salt}"
    return unknown


def shape(response: Any, ids: dict[str, str]) -> Any:
    """The answer with the ids it was asked about replaced and volatile values dropped."""
    text = response.text
    for name, value in sorted(ids.items(), key=lambda item: -len(item[1])):
        text = re.sub(rf"\b{re.escape(value)}\b", f"<{name}>", text)
    return (response.status_code, _strip(_json_or_text(response, text)))


def _json_or_text(response: Any, text: str) -> Any:
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def leaked(response: Any, tenant: Tenant) -> list[str]:
    """The tenant's markers in the answer, but for those the request itself sent."""
    sent = str(response.request.url)
    return [m for m in tenant.markers() if m in response.text and m not in sent]


async def snapshot(client: Client, app: Litestar, tenant: Tenant) -> dict[str, Any]:
    """Everything the tenant reads with its own ids, as it reads it (audit aside: it grows
    with the tenant's own reads)."""
    seen = {}
    for route in api_routes(app):
        if route.method != "GET" or "audit" in route.path:
            continue
        path = route.fill(tenant.ids)
        response = await client.get(path, headers=keys_of(tenant, route))
        seen[path] = shape(response, {})
    return seen


def test_every_route_is_covered(app: Litestar) -> None:
    routes = api_routes(app)
    uncovered = [
        str(route)
        for route in routes
        if not route.tenant_params
        and route.method != "GET"
        and str(route) not in CREATES_IN_OWN_ORG
    ]
    assert uncovered == [], "add each to a tenancy test or to CREATES_IN_OWN_ORG with the reason"
    stale = set(CREATES_IN_OWN_ORG) - {str(route) for route in routes}
    assert stale == set(), "CREATES_IN_OWN_ORG names routes the app no longer has"
    assert sum(1 for route in routes if route.tenant_params) >= 30


async def test_another_orgs_id_is_not_found(app: Litestar, client: Client, world: World) -> None:
    """Every route with an id in its path, called by A with B's ids: 404, the very answer an
    unknown id gets, and B's things unchanged (deletes, edits and re-sends included)."""
    a, b = world.a, world.b
    before = await snapshot(client, app, b)
    unknown = unknown_ids(world)
    checked = 0
    for route in api_routes(app):
        if not route.tenant_params:
            continue
        body = body_for(route)
        own = (
            await client.request(
                route.method, route.fill(a.ids), json=body, headers=keys_of(a, route)
            )
            if route.method == "GET"
            else None
        )
        if own is not None:
            assert own.status_code == 200, (str(route), own.text)  # the route finds A's own
        theirs = await client.request(
            route.method, route.fill(b.ids), json=body, headers=keys_of(a, route)
        )
        nobodys = await client.request(
            route.method, route.fill(unknown), json=body, headers=keys_of(a, route)
        )
        assert theirs.status_code == 404, (str(route), theirs.text)
        assert shape(theirs, b.ids) == shape(nobodys, unknown), str(route)
        assert leaked(theirs, b) == leaked(nobodys, b) == [], str(route)
        checked += 1
    assert checked >= 30
    assert await snapshot(client, app, b) == before


async def test_a_mix_of_own_and_another_orgs_ids_is_not_found(
    app: Litestar, client: Client, world: World
) -> None:
    """A's project with B's credential, item or section: still 404, nothing of B's shown."""
    a, b = world.a, world.b
    checked = 0
    for route in api_routes(app):
        if len(route.tenant_params) < 2:
            continue
        for foreign in route.tenant_params:
            ids = {**a.ids, route.id_name(foreign): b.ids[route.id_name(foreign)]}
            response = await client.request(
                route.method, route.fill(ids), json=body_for(route), headers=keys_of(a, route)
            )
            assert response.status_code == 404, (str(route), foreign, response.text)
            assert leaked(response, b) == [], str(route)
            checked += 1
    assert checked >= 8


async def test_nothing_of_another_org_shows_in_any_read(
    app: Litestar, client: Client, world: World
) -> None:
    """Every GET of both APIs, with A's own ids and with queries that name B's things: lists,
    search, exports, history, audit, deliveries, sign-offs, templates, keys — nothing of B's."""
    a, b = world.a, world.b
    probes: list[dict[str, str]] = [
        {},
        {"q": b.marker},
        {"key_id": b.ids["crm_key_id"]},
        {"member_id": b.org.owner_id},
        {"clientId": b.ids["client_id"]},
        {"projectId": b.ids["signed_project_id"]},
        {"q": "\x00", "key_id": "\x00", "clientId": "a\x00"},
    ]
    checked = 0
    for route in api_routes(app):
        if route.method != "GET":
            continue
        for params in probes:
            response = await client.get(route.fill(a.ids), params=params, headers=keys_of(a, route))
            assert response.status_code < 500, (str(route), response.text)
            assert leaked(response, b) == [], (str(route), params)
            checked += 1
        assert response.status_code in (200, 400), (str(route), response.text)
    assert checked >= 25 * len(probes)


async def test_another_orgs_ids_in_a_body_are_not_found(client: Client, world: World) -> None:
    """Ids of B's things sent in a body by A: refused, or taken as new things of A's; B's
    password is never copied into A's pack."""
    a, b = world.a, world.b
    project = await client.post(
        "/api/v1/projects",
        json={"name": "uses B's client", "clientId": b.ids["client_id"], "projectType": "SEO"},
        headers=a.handover,
    )
    assert project.status_code in (400, 404), project.text
    assert leaked(project, b) == []
    zapier_project = await client.post(
        "/api/v1/zapier/actions/create-project",
        json={"project_name": "B's client", "project_type": "SEO", "client_id": b.ids["client_id"]},
        headers=a.handover,
    )
    assert zapier_project.status_code == 404, zapier_project.text
    assert leaked(zapier_project, b) == []
    zapier_send = await client.post(
        "/api/v1/zapier/actions/send-pack",
        json={"project_id": b.ids["project_id"], "personal_message": "to B's client"},
        headers=a.handover,
    )
    assert zapier_send.status_code == 404, zapier_send.text
    assert leaked(zapier_send, b) == []
    b_pack = (
        await client.get(f"/api/v1/projects/{b.ids['project_id']}/pack", headers=b.handover)
    ).json()["data"]
    section = b_pack["sections"][0]
    path = f"/api/v1/projects/{a.ids['project_id']}/pack"
    item = await client.post(
        f"{path}/items",
        json={"sectionId": section["id"], "kind": "link", "title": "into B's section"},
        headers=a.handover,
    )
    assert item.status_code in (400, 404), item.text
    moved = await client.patch(
        f"{path}/items/{a.ids['item_id']}", json={"sectionId": section["id"]}, headers=a.handover
    )
    assert moved.status_code in (400, 404), moved.text
    replaced = await client.put(
        path,
        json={
            "scopeSummary": "A's pack, with B's ids",
            "sections": [
                {
                    "id": section["id"],
                    "kind": "access",
                    "title": "B's section id",
                    "items": [{"id": b.ids["item_id"], "kind": "link", "title": "B's item id"}],
                }
            ],
            "credentials": [{"id": b.ids["credential_id"], "platform": "B's credential id"}],
            "supportBoundary": {"durationDays": 1, "included": [], "excluded": []},
        },
        headers=a.handover,
    )
    assert replaced.status_code in (200, 400, 404), replaced.text
    assert leaked(replaced, b) == [], replaced.text
    a_pack = (await client.get(path, headers=a.handover)).json()["data"]
    assert all(
        not credential["hasPassword"]
        for credential in a_pack["credentials"]
        if credential["platform"] == "B's credential id"
    )
    assert [m for m in b.markers() if m in str(a_pack)] == []
    after = (
        await client.get(f"/api/v1/projects/{b.ids['project_id']}/pack", headers=b.handover)
    ).json()["data"]
    assert _strip(after) == _strip(b_pack)


async def test_a_role_change_stays_in_its_organization(client: Client, world: World) -> None:
    a, b = world.a, world.b
    before = (await client.get("/api/roles", headers=b.crm)).json()
    changed = await client.put(
        "/api/roles/Standard", json={"permissions": {"leads": ["view"]}}, headers=a.crm
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/api/roles", headers=b.crm)).json() == before


NOT_ID_TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_id_a_sends_answers_like_an_unknown_one(
    app: Litestar, client: Client, world: World, data: st.DataObject
) -> None:
    """Generated ids — B's, B's with one letter changed or in another case, random text — in
    any GET route with an id: never a 5xx, never anything of B's."""
    a, b = world.a, world.b
    routes = [r for r in api_routes(app) if r.method == "GET" and r.tenant_params]
    route = data.draw(st.sampled_from(routes))
    ids = dict(a.ids)
    for param in route.tenant_params:
        name = route.id_name(param)
        real = b.ids[name]
        ids[name] = data.draw(
            st.one_of(
                st.just(real),
                st.just(real.upper()),
                st.just(real[:-1] + ("0" if real[-1] != "0" else "1")),
                st.just(real + "%00"),
                NOT_ID_TEXT.map(lambda text: quote(text, safe="")),
                st.integers(min_value=-(2**70), max_value=2**70).map(str),
            )
        )
    response = await client.get(route.fill(ids), headers=keys_of(a, route))
    own = response.status_code == 200 and a.marker in response.text  # a changed id may be A's
    assert own or response.status_code in (400, 404), (str(route), ids, response.text)
    assert leaked(response, b) == [], (str(route), ids)
