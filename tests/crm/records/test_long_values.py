"""Every text and URL field takes its longest accepted value, in the widest UTF-8 characters and
with no repetition to compress: no index entry may be too long for it (a PostgreSQL b-tree
entry holds ~2,700 bytes; a 2,000-character URL of CJK characters failed its insert with 500)."""

from __future__ import annotations

import random
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from finite.crm.modules.definitions import MODULES
from finite.crm.modules.fields import Field
from tests.factories import OrgSetup, bearer

Client = AsyncTestClient[Litestar]
URL_PREFIX = "https://example.com/"


def widest_text(generator: random.Random, length: int) -> str:
    """`length` random 4-byte characters (CJK Extension B)."""
    return "".join(chr(generator.randint(0x20000, 0x2A6DF)) for _ in range(length))


def longest(generator: random.Random, field: Field) -> Any:
    limit = field.length_limit
    assert limit is not None
    if field.type == "url":
        return URL_PREFIX + widest_text(generator, limit - len(URL_PREFIX))
    return widest_text(generator, limit)


@pytest.mark.parametrize("module", list(MODULES))
async def test_the_longest_text_and_url_values_are_stored_and_listed(
    client: Client, org: OrgSetup, module: str
) -> None:
    generator = random.Random(module)
    body = {
        field.key: longest(generator, field)
        for field in MODULES[module].fields
        if field.type in ("text", "url") and not field.computed
    }
    response = await client.post(f"/api/records/{module}", json=body, headers=bearer(org.crm_key))
    assert response.status_code == 201, response.text
    record = response.json()
    assert {key: record[key] for key in body} == body
    for key in body:  # each is also a sort key, read back through its index where it has one
        listed = await client.get(
            f"/api/records/{module}", params={"sort": f"-{key}"}, headers=bearer(org.crm_key)
        )
        assert listed.status_code == 200, listed.text
        assert [found["id"] for found in listed.json()["data"]] == [record["id"]]
