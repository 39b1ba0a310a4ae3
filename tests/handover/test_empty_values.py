"""An empty `cursor=` on a handover list is the first page, as the OpenAPI document allows."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import OrgSetup, bearer
from tests.handover.factories import SEED_EXAMPLE


async def test_an_empty_cursor_is_the_first_page(
    client: AsyncTestClient[Litestar], org: OrgSetup
) -> None:
    headers = bearer(org.handover_key)
    created = await client.post("/api/v1/projects", json=SEED_EXAMPLE, headers=headers)
    assert created.status_code == 201, created.text
    for url in ("/api/v1/clients", "/api/v1/projects", "/api/v1/signoffs", "/api/v1/templates"):
        first = await client.get(url, headers=headers)
        empty = await client.get(url + "?cursor=", headers=headers)
        assert first.status_code == empty.status_code == 200, (url, empty.text)
        assert empty.json()["data"] == first.json()["data"], url
        assert empty.json()["meta"].get("hasMore") == first.json()["meta"].get("hasMore"), url
    document = (await client.get("/api/v1/openapi.json")).json()
    cursor = next(
        param
        for param in document["paths"]["/clients"]["get"]["parameters"]
        if param["name"] == "cursor"
    )
    assert "minLength" not in cursor["schema"]
