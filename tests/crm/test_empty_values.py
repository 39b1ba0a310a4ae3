"""Empty values on the CRM surface do what the OpenAPI document says: an empty `cursor=` is the
first page, an empty `If-Match:` header checks no version, and the filters that refuse an empty
value declare `minLength: 1`."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.crm.factories import created_id, put
from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]
LEAD = {"name": "Asha Rao", "company": "Acme Pumps"}


async def get_json(client: Client, org: OrgSetup, url: str) -> Any:
    response = await client.get(url, headers=bearer(org.crm_key))
    assert response.status_code == 200, (url, response.text)
    return response.json()


async def test_an_empty_cursor_is_the_first_page(client: Client, org: OrgSetup) -> None:
    record_id = await created_id(client, org.crm_key, "leads", LEAD)
    for url in ("/api/records/leads", f"/api/records/leads/{record_id}/history"):
        assert await get_json(client, org, url + "?cursor=") == await get_json(client, org, url)
    await get_json(client, org, "/api/audit?cursor=")  # each call adds an entry: just 200
    listed = await get_json(client, org, "/api/records/leads")
    assert await get_json(client, org, "/api/records/leads?sort=") == listed, "the default order"
    only_ids = await get_json(client, org, "/api/records/leads?fields=")
    assert [set(record) for record in only_ids["data"]] == [{"id"}], "no field asked: only id"
    webhook = await client.post(
        "/api/webhooks",
        json={"url": "http://127.0.0.1:9/hook"},
        headers=bearer(org.crm_key),
    )
    assert webhook.status_code == 201, webhook.text
    deliveries = f"/api/webhooks/{webhook.json()['id']}/deliveries"
    assert await get_json(client, org, deliveries + "?cursor=") == await get_json(
        client, org, deliveries
    )


async def test_an_empty_if_match_checks_no_version(client: Client, org: OrgSetup) -> None:
    record_id = await created_id(client, org.crm_key, "leads", LEAD)
    changed = await put(
        client, org.crm_key, "leads", record_id, {"company": "Acme"}, {"If-Match": ""}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["company"] == "Acme"
    deleted = await client.delete(
        f"/api/records/leads/{record_id}", headers={**bearer(org.crm_key), "If-Match": " "}
    )
    assert deleted.status_code == 204, deleted.text


async def test_the_document_declares_which_values_may_be_empty(
    client: Client, org: OrgSetup
) -> None:
    document = (await client.get("/api/openapi.json")).json()
    params: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                if "$ref" in param:
                    param = document["components"]["parameters"][param["$ref"].split("/")[-1]]
                params[(method, path, param["name"])] = param["schema"]
    assert params[("put", "/api/records/{module}/{record_id}", "If-Match")].get("minLength", 0) == 0
    assert params[("get", "/api/records/{module}", "cursor")].get("minLength", 0) == 0
    for name in ("from", "to", "key_id", "member_id", "module", "status"):
        for path in ("/api/audit", "/api/audit.csv"):
            assert params[("get", path, name)].get("minLength") == 1, (path, name)
            response = await client.get(f"{path}?{name}=", headers=bearer(org.crm_key))
            assert response.status_code == 400, (path, name, response.text)
