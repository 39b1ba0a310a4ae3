"""Two processes writing one SQLite file, as `finite serve --workers 2` does: how the write turns
of kit/sqlite_write_turns.py and the rounds of kit/write_groups.py share the lock between them.

    python bench/sqlite_two_writers.py [--processes 2] [--tasks 16] [--each 150] [--work-ms 0]

Each process runs `--tasks` writers at once, each `--each` write transactions of one insert
(`--work-ms`: time spent inside the transaction, as a request's other statements would), all
processes started together. Twice: with group commit (the default) and with every transaction
alone (`groups_writes` off). For each: transactions a second, p50 and p99 of a transaction
(waiting for the turn included), SQLite commits, how often a process had to wait for the lock
file, and each process's share of the transactions while all were running.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from finite.kit import sqlite_write_turns
from finite.kit.db import Database
from finite.kit.engines.sqlite import SqliteEngine
from finite.kit.sqlite_inline_driver import InlineConnection

INSERT = text("INSERT INTO writes (pid, n, pad) VALUES (:pid, :n, :pad)")
PAD = "x" * 200


def create_file(path: Path) -> None:
    setup = sqlite3.connect(path)
    setup.execute("PRAGMA journal_mode = WAL")
    setup.execute("CREATE TABLE writes (id INTEGER PRIMARY KEY, pid INT, n INT, pad TEXT)")
    setup.commit()
    setup.close()


async def child(path: str, tasks: int, each: int, work_ms: float, grouped: bool) -> None:
    SqliteEngine.groups_writes = grouped
    counts = {"commits": 0, "lock_waits": 0}
    commit, wait_for = InlineConnection.commit, sqlite_write_turns.FileLock._wait_for

    async def counted_commit(connection: InlineConnection) -> None:
        counts["commits"] += 1
        await commit(connection)

    async def counted_wait(lock: sqlite_write_turns.FileLock, file: Any) -> None:
        counts["lock_waits"] += 1
        await wait_for(lock, file)

    InlineConnection.commit = counted_commit  # type: ignore[method-assign]
    sqlite_write_turns.FileLock._wait_for = counted_wait  # type: ignore[method-assign]
    db = Database(f"sqlite+aiosqlite:///{path}")
    latencies: list[float] = []
    finished: list[float] = []

    async def writer(task: int) -> None:
        for n in range(each):
            started = time.perf_counter()
            async with db.transaction() as session:
                await session.execute(
                    INSERT, {"pid": os.getpid(), "n": task * each + n, "pad": PAD}
                )
                if work_ms:
                    await asyncio.sleep(work_ms / 1000)
            latencies.append(time.perf_counter() - started)
            finished.append(time.time())

    async with db.read() as session:  # connections opened before the start
        await session.execute(text("SELECT 1"))
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    began = time.time()
    await asyncio.gather(*(writer(task) for task in range(tasks)))
    await db.dispose()
    report = {"began": began, "finished": finished, "latencies": latencies, **counts}
    print(json.dumps(report), flush=True)


def run_variant(options: argparse.Namespace, grouped: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "two.db"
        create_file(path)
        args = [str(path), str(options.tasks), str(options.each), str(options.work_ms)]
        children = [
            subprocess.Popen(
                [sys.executable, __file__, "--child", "1" if grouped else "0", *args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(options.processes)
        ]
        for process in children:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in children:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        reports = [json.loads(process.communicate()[0]) for process in children]
    began = min(report["began"] for report in reports)
    ended = max(max(report["finished"]) for report in reports)
    all_running_until = min(max(report["finished"]) for report in reports)
    latencies = sorted(value for report in reports for value in report["latencies"])
    shares = [sum(1 for t in report["finished"] if t <= all_running_until) for report in reports]
    return {
        "variant": "rounds (group commit)" if grouped else "one transaction each",
        "per_second": len(latencies) / (ended - began),
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "commits": sum(report["commits"] for report in reports),
        "lock_waits": sum(report["lock_waits"] for report in reports),
        "shares": [round(share / max(sum(shares), 1), 2) for share in shares],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--each", type=int, default=150)
    parser.add_argument("--work-ms", type=float, default=0.0)
    parser.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child is not None:
        path, tasks, each, work_ms = options.rest
        asyncio.run(child(path, int(tasks), int(each), float(work_ms), options.child == "1"))
        return
    print(
        f"{options.processes} processes, {options.tasks} writers each, {options.each}"
        f" transactions each, {options.work_ms} ms of work inside each"
    )
    for grouped in (True, False):
        row = run_variant(options, grouped)
        print(
            f"{row['variant']:<24} {row['per_second']:>8,.0f} tx/s  p50 {row['p50_ms']:6.1f} ms"
            f"  p99 {row['p99_ms']:7.1f} ms  {row['commits']:>6,} commits"
            f"  {row['lock_waits']:>6,} lock-file waits  shares {row['shares']}"
        )


if __name__ == "__main__":
    main()
