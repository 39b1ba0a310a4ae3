"""crm/bulk.seed_records (behind `finite bench seed`): loaded records are ordinary records —
listed, searched, counted and read like created ones, ids continuing the organization's counter,
nothing reaching another organization."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.crm.bulk import seed_records
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.factories import OrgSetup, bearer, make_org

Client = AsyncTestClient[Litestar]


async def listed(client: Client, key: str, params: dict[str, str]) -> dict[str, Any]:
    response = await client.get("/api/records/leads", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_seeded_records_behave_like_created_ones(
    client: Client, db: Database, peppers: Peppers, org: OrgSetup
) -> None:
    key = org.crm_key
    made = await client.post("/api/records/leads", json={"name": "Before"}, headers=bearer(key))
    assert made.json()["id"] == 1
    batches: list[int] = []
    first, last = await seed_records(
        db, org.org_id, "leads", 250, owner=org.owner_id, batch_size=100, progress=batches.append
    )
    assert (first, last, batches) == (2, 251, [100, 100, 50])
    neighbour = await make_org(db, peppers)
    await seed_records(db, neighbour.org_id, "leads", 30, owner=neighbour.owner_id)

    page = await listed(client, key, {"per_page": "200"})
    assert (page["total"], page["total_relation"], page["has_more"]) == (251, "eq", True)
    seen: list[int] = []
    walk = {"per_page": "60"}
    while True:
        body = await listed(client, key, walk)
        seen += [record["id"] for record in body["data"]]
        if not body["has_more"]:
            break
        walk["cursor"] = body["next_cursor"]
    assert seen == list(range(1, 252))

    # Seeded values are searchable (SQLite indexes each batch at once, outside the trigger).
    initech = sorted(i for i in range(2, 252) if i % 7 == 2)  # company "Initech {i % 997}"
    found = await listed(client, key, {"q": "initech", "per_page": "200", "fields": "company"})
    assert sorted(record["id"] for record in found["data"]) == initech
    filtered = await listed(client, key, {"company[starts_with]": "Initech", "per_page": "200"})
    assert (filtered["total"], filtered["total_relation"]) == (len(initech), "eq")

    one = await client.get(f"/api/records/leads/{initech[0]}", headers=bearer(key))
    assert one.status_code == 200
    listed_one = next(record for record in page["data"] if record["id"] == initech[0])
    assert one.json() == listed_one
    assert one.json()["owner"] == org.owner_id

    after = await client.post("/api/records/leads", json={"name": "After"}, headers=bearer(key))
    assert after.json()["id"] == 252
    theirs = await listed(client, neighbour.crm_key, {"per_page": "200"})
    assert [record["id"] for record in theirs["data"]] == list(range(1, 31))
    assert (await listed(client, neighbour.crm_key, {"q": "after"}))["data"] == []
