"""CPU of one audit writer batch, in process: chaining the rows (chain.seal_arriving) and
inserting them, by COPY (PostgreSQL, what the writer does) or SQLAlchemy's executemany.

    python bench/audit_flush.py --database-url postgresql+asyncpg://… [--rows 500] [--rounds 10]

Writes its rows to organization "org_audit_flush_bench" of that database.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from sqlalchemy import insert

from finite.core.audit import writer
from finite.core.audit.chain import seal_arriving
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.ids import new_id
from finite.models import AuditEntry

ORG = "org_audit_flush_bench"


def call() -> dict[str, Any]:
    return {
        **writer._ABSENT,
        "org_id": ORG,
        "id": new_id("aud"),
        "occurred_at": utcnow(),
        "product": "crm",
        "key_id": "key_bench",
        "key_name": "bench",
        "member_id": "mem_bench",
        "method": "GET",
        "path": "/api/records/leads",
        "status": 200,
        "module": "leads",
        "action": "list",
        "request_id": new_id("req"),
        "client_ip": "127.0.0.1",
        "user_agent": "wrk",
    }


async def main(url: str, rows: int, rounds: int) -> None:
    db = Database(url)
    try:
        for how in ("executemany", "writer") * 2:
            sealing = inserting = 0.0
            for _ in range(rounds):
                batch = [call() for _ in range(rows)]
                async with db.transaction(bulk=True) as session:
                    started = time.process_time()
                    await seal_arriving(session, batch)
                    sealing += time.process_time() - started
                    started = time.process_time()
                    if how == "writer":
                        await writer._insert(session, batch)
                    else:
                        await session.execute(insert(AuditEntry), batch)
                    inserting += time.process_time() - started
            print(
                f"{how:12} per {rows} rows: insert {inserting / rounds * 1000:5.1f} ms CPU, "
                f"chaining {sealing / rounds * 1000:5.1f} ms CPU"
            )
    finally:
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(main(args.database_url, args.rows, args.rounds))
