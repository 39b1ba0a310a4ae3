"""Two organizations, A and B, each holding one of everything either API can address by id:
built over HTTP (and, for a sign-off, through its service, since no route records one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.core.accounts.service import set_plan
from finite.handover.signoffs.service import SignoffInput, record_signoff
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.ids import new_id
from tests.factories import OrgSetup, bearer, make_org

Client = AsyncTestClient[Litestar]
GENEROUS_RPM = 100_000  # the matrices send hundreds of calls a minute per organization

TEMPLATE = {
    "name": "Handover template",
    "projectType": "Adversarial Type",
    "sections": [{"kind": "access", "title": "Logins", "items": []}],
}


@dataclass
class Tenant:
    """One organization and the ids of what it owns; `marker` is in every name it gave."""

    org: OrgSetup
    marker: str
    ids: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)

    @property
    def crm(self) -> dict[str, str]:
        return bearer(self.org.crm_key)

    @property
    def handover(self) -> dict[str, str]:
        return bearer(self.org.handover_key)

    def markers(self) -> list[str]:
        """Strings that only this organization's data holds."""
        found = [self.marker, self.org.org_id, self.org.owner_id, self.org.owner_email]
        return found + [value for name, value in self.ids.items() if name != "record_id"]


async def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, (
        response.request.method,
        response.request.url,
        response.text,
    )
    return response.json() if response.content else None


async def make_tenant(
    client: Client, db: Database, peppers: Peppers, label: str, extra_leads: int = 0
) -> Tenant:
    """`extra_leads` first, so that this tenant's lead has an id the other's leads do not."""
    org = await make_org(db, peppers)
    async with db.transaction() as session:
        for product in ("crm", "handover"):
            await set_plan(session, org.org_id, product, None, rpm_override=GENEROUS_RPM)
    marker = f"mk{label}{new_id('x')[-10:]}"
    tenant = Tenant(org, marker)
    ids = tenant.ids
    crm, handover = tenant.crm, tenant.handover

    for number in range(extra_leads):
        await ok(
            await client.post(
                "/api/records/leads", json={"name": f"{marker} extra {number}"}, headers=crm
            ),
            201,
        )
    lead = await ok(
        await client.post("/api/records/leads", json={"name": f"{marker} lead"}, headers=crm), 201
    )
    ids["record_id"] = str(lead["id"])
    await ok(
        await client.put(
            f"/api/records/leads/{lead['id']}", json={"company": f"{marker} co"}, headers=crm
        )
    )
    field_key = f"cf_{marker.lower()}"
    await ok(
        await client.post(
            "/api/modules/leads/fields",
            json={"key": field_key, "label": f"{marker} field", "type": "text"},
            headers=crm,
        ),
        201,
    )
    ids["key"] = field_key
    crm_key = await ok(
        await client.post("/api/keys", json={"name": f"{marker} crm key"}, headers=crm), 201
    )
    ids["crm_key_id"] = crm_key["id"]
    tenant.secrets.append(crm_key["key"])
    webhook = await ok(
        await client.post(
            "/api/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "description": f"{marker} hook"},
            headers=crm,
        ),
        201,
    )
    ids["webhook_id"] = webhook["id"]
    tenant.secrets.append(webhook["secret"])
    ping = await ok(await client.post(f"/api/webhooks/{webhook['id']}/ping", headers=crm), 202)
    ids["delivery_id"] = ping["id"]
    job = await ok(
        await client.post(
            "/api/import/leads.csv",
            content=f"name\n{marker} imported\n".encode(),
            headers={**crm, "Content-Type": "text/csv", "X-Filename": f"{marker}.csv"},
        ),
        202,
    )
    ids["job_id"] = job["id"]

    handover_key = await ok(
        await client.post(
            "/api/v1/keys", json={"name": f"{marker} handover key"}, headers=handover
        ),
        201,
    )
    ids["handover_key_id"] = handover_key["data"]["id"]
    tenant.secrets.append(handover_key["data"]["key"])
    made_client = await ok(
        await client.post(
            "/api/v1/clients",
            json={"name": f"{marker} client", "email": f"{marker.lower()}@example.com"},
            headers=handover,
        ),
        201,
    )
    ids["client_id"] = made_client["data"]["id"]
    template = await ok(
        await client.post(
            "/api/v1/templates",
            json={**TEMPLATE, "name": f"{marker} template", "projectType": f"{marker} type"},
            headers=handover,
        ),
        201,
    )
    ids["template_id"] = template["data"]["id"]
    project = await ok(
        await client.post(
            "/api/v1/projects",
            json={"name": f"{marker} project", "clientId": ids["client_id"], "projectType": "SEO"},
            headers=handover,
        ),
        201,
    )
    ids["project_id"] = project["data"]["id"]
    pack_path = f"/api/v1/projects/{ids['project_id']}/pack"
    password = f"{marker}-password-Pl41n!"
    credential = await ok(
        await client.post(
            f"{pack_path}/credentials",
            json={"platform": f"{marker} cms", "username": "jane", "password": password},
            headers=handover,
        ),
        201,
    )
    ids["credential_id"] = credential["data"]["id"]
    tenant.secrets.append(password)
    pack = await ok(await client.get(pack_path, headers=handover))
    ids["section_id"] = pack["data"]["sections"][0]["id"]
    item = await ok(
        await client.post(
            f"{pack_path}/items",
            json={
                "sectionId": pack["data"]["sections"][0]["id"],
                "kind": "link",
                "title": f"{marker} item",
                "url": "https://example.com/item",
            },
            headers=handover,
        ),
        201,
    )
    ids["item_id"] = item["data"]["id"]
    signed = await ok(
        await client.post(
            "/api/v1/projects",
            json={"name": f"{marker} signed", "clientId": ids["client_id"], "projectType": "SEO"},
            headers=handover,
        ),
        201,
    )
    ids["signed_project_id"] = signed["data"]["id"]
    async with db.transaction() as session:
        signoff = await record_signoff(
            session,
            org.org_id,
            signed["data"]["id"],
            SignoffInput(
                name=f"{marker} signer",
                email=f"{marker.lower()}@example.com",
                signed_at=utcnow(),
                ip_address="203.0.113.7",
                user_agent="adversarial",
                consent_text=f"{marker} consent",
                consent_version="test-1",
                pack_snapshot=b"{}",
            ),
        )
    ids["signoff_id"] = signoff.id
    handover_webhook = await ok(
        await client.post(
            "/api/v1/webhooks",
            json={"url": "http://127.0.0.1:9/hook", "description": f"{marker} handover hook"},
            headers=handover,
        ),
        201,
    )
    ids["handover_webhook_id"] = handover_webhook["data"]["id"]
    tenant.secrets.append(handover_webhook["data"]["secret"])
    handover_ping = await ok(
        await client.post(f"/api/v1/webhooks/{ids['handover_webhook_id']}/ping", headers=handover),
        202,
    )
    ids["handover_delivery_id"] = handover_ping["data"]["id"]
    zapier_hook = await ok(
        await client.post(
            "/api/v1/zapier/hooks",
            json={"target_url": f"http://127.0.0.1:9/{marker}", "event": "pack-sent"},
            headers=handover,
        ),
        201,
    )
    ids["hook_id"] = zapier_hook["data"]["id"]
    return tenant


@dataclass
class World:
    a: Tenant
    b: Tenant


async def make_world(client: Client, db: Database, peppers: Peppers) -> World:
    return World(
        await make_tenant(client, db, peppers, "A"),
        await make_tenant(client, db, peppers, "B", extra_leads=2),
    )
