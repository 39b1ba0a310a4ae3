"""A body its handler's Struct refuses answers 400 naming every bad field, nested objects and
list items included (platform/body_problems.py); a body that is not an object gets one clear
problem. Never a 500."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]


async def post_raw(client: Client, path: str, key: str, raw: bytes) -> list[dict[str, str]]:
    response = await client.post(
        path, content=raw, headers={**bearer(key), "Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    details: list[dict[str, str]] = (body["error"] if "/v1/" in path else body)["details"]
    return details


async def test_nested_objects_and_list_items_are_each_checked(
    client: Client, org: OrgSetup
) -> None:
    raw = b'{"sections": [{"items": [{"kind": 1}, {}]}], "credentials": 5, "colour": "red"}'
    details = await post_raw(client, "/api/v1/templates", org.handover_key, raw)
    assert {d["field"]: d["message"] for d in details} == {
        "colour": "is not a known field",
        "name": "is required",
        "projectType": "is required",
        "sections[0].kind": "is required",
        "sections[0].title": "is required",
        "sections[0].items[0].kind": "Expected `str`, got `int`",
        "sections[0].items[0].title": "is required",
        "sections[0].items[1].kind": "is required",
        "sections[0].items[1].title": "is required",
        "credentials": "Expected `array`, got `int`",
    }


async def test_a_body_that_is_not_an_object_is_one_problem(client: Client, org: OrgSetup) -> None:
    for raw in [b"[1, 2]", b'"x"', b"null", b"7"]:
        details = await post_raw(client, "/api/webhooks", org.crm_key, raw)
        assert len(details) == 1, details
        assert details[0]["field"] is None
        assert details[0]["message"].startswith("Expected `object`")
