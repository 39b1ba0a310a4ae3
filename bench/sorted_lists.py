"""Sorted list pages and CSV exports in process, without HTTP: page 1 both ways, a cursor page,
numbered pages, and the export, on a sort whose key has empty values (issue 23: they sort last).

    FINITE_DATA_DIR=/tmp/bench-pg FINITE_DATABASE_URL=postgresql://… \\
        python bench/sorted_lists.py --key fsk_… [--field value] [--cursor-value 1248273.71]

Seeded leads have every value: empty some first, e.g.
`UPDATE crm_leads SET value = NULL WHERE id % 5 = 0` (then `VACUUM ANALYZE` on PostgreSQL).
Prints the median and 90th percentile of each page and the best of three exports.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from urllib.parse import parse_qsl

import finite.crm.engines  # noqa: F401 - registers the engines
from finite.config import load_settings
from finite.core.auth.authenticate import authenticate
from finite.core.auth.principal import Principal
from finite.crm.engine import crm_engine
from finite.crm.fields.service import load_schema
from finite.crm.modules.schema import RecordSchema
from finite.crm.records import service
from finite.crm.records.query.grammar import ListQuery, parse_list_query
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.paging import encode_cursor


async def timed(
    db: Database, principal: Principal, schema: RecordSchema, wanted: ListQuery, rounds: int
) -> tuple[float, float]:
    """The median and 90th percentile of the list service's time for one page, in ms."""

    async def page() -> None:
        async with db.raw_read() as connection:
            await service.list_records(connection, principal, schema, wanted)

    for _ in range(10):
        await page()
    took = []
    for _ in range(rounds):
        start = time.perf_counter()
        await page()
        took.append(time.perf_counter() - start)
    took.sort()
    return took[len(took) // 2] * 1000, took[len(took) * 9 // 10] * 1000


async def main(key: str, field: str, cursor_value: str, deep_page: int, rounds: int) -> None:
    settings = load_settings()
    db = Database(settings.database_url)
    peppers = Peppers.from_secrets(settings.secret_key, settings.old_secret_keys)
    headers = [(b"authorization", f"Bearer {key}".encode())]
    principal = await authenticate(db, peppers, headers, "crm")
    async with db.read() as session:
        schema = await load_schema(session, principal.org_id, "leads")
    cursor = encode_cursor(f"-{field}", cursor_value, 1)
    queries = (
        f"sort=-{field}",
        f"sort={field}",
        f"sort=-{field}&cursor={cursor}",
        f"sort=-{field}&page=20",
        f"sort=-{field}&page={deep_page}",
        f"sort=-{field}&status=New",
    )
    for query in queries:
        wanted = parse_list_query(schema, parse_qsl(query))
        median, p90 = await timed(db, principal, schema, wanted, rounds)
        shown = query.replace(f"={cursor}", "=…")
        print(f"{shown:32} p50 {median:7.2f} ms  p90 {p90:7.2f} ms")
    for query in (f"sort=-{field}", f"sort={field}"):
        wanted = parse_list_query(schema, parse_qsl(query))
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            async for _chunk in crm_engine(db).export_csv(db, schema, principal.org_id, wanted):
                pass
            best = min(best, time.perf_counter() - start)
        print(f"export {query:25} best of 3 {best * 1000:7.1f} ms")
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--key", required=True)
    parser.add_argument("--field", default="value")
    parser.add_argument("--cursor-value", default="1248273.71", help="the cursor's last value")
    parser.add_argument(
        "--deep-page", type=int, default=805, help="a numbered page (of 50) among the empties"
    )
    parser.add_argument("--rounds", type=int, default=60)
    args = parser.parse_args()
    asyncio.run(main(args.key, args.field, args.cursor_value, args.deep_page, args.rounds))
