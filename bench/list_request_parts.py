"""CPU per part of one list request, in process, without HTTP: authentication, the record schema
(a hit in the per-version cache), the list service (page and count) on a raw connection as the
endpoint runs it, and JSON encoding; plus an empty ORM session and an empty raw read.

    FINITE_DATA_DIR=/tmp/bench-pg FINITE_DATABASE_URL=postgresql://… \\
        python bench/list_request_parts.py --key fsk_… [--module leads] [--query sort=-updated_at]

Use a key of the seeded organization (`finite keys create --org Bench --product crm --name x`).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl

from finite.config import load_settings
from finite.core.auth.authenticate import authenticate
from finite.crm.fields.service import load_schema
from finite.crm.http import encode
from finite.crm.records import service
from finite.crm.records.query.grammar import parse_list_query
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers


async def measure(name: str, part: Callable[[], Awaitable[object]], rounds: int) -> None:
    for _ in range(30):  # warm caches and the connection pool
        await part()
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(rounds):
        await part()
    cpu_ms = (time.process_time() - cpu) / rounds * 1000
    wall_ms = (time.perf_counter() - wall) / rounds * 1000
    print(f"{name:16} cpu {cpu_ms:6.3f} ms   wall {wall_ms:6.3f} ms")


async def main(key: str, module: str, query: str, rounds: int) -> None:
    settings = load_settings()
    db = Database(settings.database_url)
    peppers = Peppers.from_secrets(
        settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
    )
    headers = [(b"authorization", f"Bearer {key}".encode())]
    params = parse_qsl(query)
    principal = await authenticate(db, peppers, headers, "crm")
    async with db.read() as session:
        schema = await load_schema(session, principal.org_id, module)

    async def authentication() -> object:
        return await authenticate(db, peppers, headers, "crm")

    async def custom_fields() -> object:  # a hit in the per-version schema cache
        async with db.raw_read() as connection:
            return await load_schema(
                connection, principal.org_id, module, principal.custom_fields_version
            )

    async def list_service() -> service.Page:  # as the endpoint runs it
        async with db.raw_read() as connection:
            wanted = parse_list_query(schema, params)
            return await service.list_records(connection, principal, schema, wanted)

    page = await list_service()

    async def encoding() -> object:
        return encode({"data": page.records, "total": page.total})

    async def empty_session() -> None:
        async with db.read() as session:
            await session.connection()

    async def empty_raw_read() -> None:
        async with db.raw_read():
            pass

    await measure("authentication", authentication, rounds)
    await measure("custom fields", custom_fields, rounds)
    await measure("list service", list_service, rounds)
    await measure("JSON encoding", encoding, rounds)
    await measure("empty session", empty_session, rounds)
    await measure("empty raw read", empty_raw_read, rounds)
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--key", required=True)
    parser.add_argument("--module", default="leads")
    parser.add_argument("--query", default="sort=-updated_at")
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(main(args.key, args.module, args.query, args.rounds))
