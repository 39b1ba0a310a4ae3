"""While the secret rotates, a key is looked up by its hash under each configured pepper
(core/keys/repository.principal_row: `secret_hash IN (…)`, one value per pepper): still one
indexed equality lookup per pepper, never a scan of the keys."""

from __future__ import annotations

from sqlalchemy import select

from finite.kit.db import Database
from finite.models import ApiKey
from tests.query_plans import query_plan


async def test_the_lookup_under_three_peppers_uses_the_hash_index(db: Database) -> None:
    hashes = ["a" * 64, "b" * 64, "c" * 64]
    query = select(ApiKey.id).where(ApiKey.secret_hash.in_(hashes))
    async with db.transaction() as session:
        plan = await query_plan(session, query, avoid=("seqscan", "bitmapscan"))
    if db.is_sqlite:
        assert "SEARCH api_keys USING INDEX" in plan, plan
    else:
        assert "Index Scan using" in plan, plan
        assert "secret_hash" in plan, plan
