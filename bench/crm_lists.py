"""CRM lists at scale: list with filter+sort, deep cursor page, `q` search, and CSV export.

    # 1. seed (once per database):
    FINITE_DATA_DIR=/tmp/bench-sqlite finite bench seed --new-org "Bench" --count 1000000
    # 2. measure (starts its own `finite serve`, drives it with wrk):
    python bench/crm_lists.py --data-dir /tmp/bench-sqlite [--database-url postgresql://…]

Needs `wrk` and `curl` (Debian packages). Prints throughput and latency percentiles per
scenario, and the export's rows per second and the server's resident-memory growth during it.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent


def run(command: list[str], env: dict[str, str]) -> str:
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def finite(env: dict[str, str], *args: str) -> str:
    return run([sys.executable, "-m", "finite", *args], env)


def rss_kib(pid: int) -> int:
    """Resident memory of the process and its children (granian workers)."""
    total = 0
    for task in [pid, *children(pid)]:
        status = Path(f"/proc/{task}/status")
        if status.exists():
            match = re.search(r"VmRSS:\s+(\d+)", status.read_text())
            total += int(match.group(1)) if match else 0
    return total


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    found = [int(line) for line in out.split()]
    return found + [grand for child in found for grand in children(child)]


# wrk's --latency prints p50/75/90/99; the targets also name p95.
P95_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("p95_us %d\\n", latency:percentile(95)))
end
"""


def wrk(url: str, key: str, seconds: int, connections: int, lua: str = "") -> dict[str, float]:
    """Throughput and latency percentiles; `lua`: a wrk script's request function, if any; no
    `key`, no Authorization header."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua + P95_LUA)
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        *(["-H", f"Authorization: Bearer {key}"] if key else []),
        "-s",
        script.name,
    ]
    try:
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}  # type: ignore[union-attr]
    for name, value, unit in re.findall(r"\s(50|75|90|99)%\s+([\d.]+)(us|ms|s)\b", output):
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        result[f"p{name}_ms"] = float(value) * scale
    p95 = re.search(r"p95_us (\d+)", output)
    if p95:
        result["p95_ms"] = int(p95.group(1)) / 1000
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = float(non2xx.group(1)) if non2xx else 0.0
    return result


def deep_cursor(
    env: dict[str, str],
    org_id: str,
    fraction: float,
    key: str = "updated_at",
    descending: bool = True,
) -> str:
    """A cursor `fraction` of the way into the leads sorted by `key` (built from the database;
    nulls last ascending, first descending, ties by id, as the list orders them)."""
    code = f"""
import asyncio
from sqlalchemy import func, select
from finite.config import load_settings
from finite.kit.db import Database
from finite.crm.modules.definitions import MODULES
from finite.crm.modules.tables import MODULE_TABLES
from finite.crm.modules.schema import SYSTEM_FIELDS
from finite.crm.records.query.grammar import Sort
from finite.crm.records.query.cursor import encode_cursor
async def main():
    db = Database(load_settings().database_url)
    t = MODULE_TABLES["leads"]
    column = t.c[{key!r}]
    order = (
        [column.desc().nulls_first(), t.c.id.desc()] if {descending!r}
        else [column.asc().nulls_last(), t.c.id.asc()]
    )
    async with db.read() as s:
        mine = t.c.org_id == {org_id!r}
        total = (await s.execute(select(func.count()).where(mine))).scalar_one()
        row = (await s.execute(select(column, t.c.id).where(mine)
            .order_by(*order).offset(int(total * {fraction})).limit(1))).one()
    await db.dispose()
    field = SYSTEM_FIELDS.get({key!r}) or MODULES["leads"].field({key!r})
    print(encode_cursor(Sort(field, {descending!r}, False), row[0], row[1]))
asyncio.run(main())
"""
    return run([sys.executable, "-c", code], env).strip()


def export(base: str, key: str, pid: int) -> dict[str, float]:
    """Download the CSV with curl (a Python HTTP client on the same two cores cost about as much
    CPU as the server's work and halved the figure), counting rows and sampling the server's
    resident memory as the data arrives."""
    before = rss_kib(pid)
    peak = before
    rows = 0
    received = 0
    started = time.perf_counter()
    command = ["curl", "-sS", "--fail", "-H", f"Authorization: Bearer {key}"]
    with subprocess.Popen(
        [*command, f"{base}/api/export/leads.csv"], stdout=subprocess.PIPE
    ) as curl:
        assert curl.stdout is not None
        while chunk := curl.stdout.read(1 << 20):
            rows += chunk.count(b"\n")
            received += len(chunk)
            if received % (16 << 20) < len(chunk):  # every 16 MB
                peak = max(peak, rss_kib(pid))
    if curl.returncode != 0:
        raise RuntimeError(f"curl failed ({curl.returncode})")
    elapsed = time.perf_counter() - started
    return {
        "rows": rows - 1,
        "seconds": elapsed,
        "rows_per_s": (rows - 1) / elapsed,
        "rss_growth_mb": (max(peak, rss_kib(pid)) - before) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--org", default="Bench", help="the seeded organization (id or name)")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--only",
        default="",
        help="run only the scenarios whose name contains this text (e.g. 'export', 'cursor')",
    )
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if not k.startswith("FINITE_")}
    env.update(FINITE_DATA_DIR=args.data_dir, FINITE_DEMO="0", FINITE_LOG_LEVEL="WARNING")
    if args.database_url:
        env["FINITE_DATABASE_URL"] = args.database_url
    finite(
        env,
        "plans",
        "set",
        "--org",
        args.org,
        "--product",
        "crm",
        "--plan",
        "ultimate",
        "--rpm",
        "100000000",
    )
    key = (
        finite(env, "keys", "create", "--org", args.org, "--product", "crm", "--name", "bench")
        .strip()
        .splitlines()[-1]
    )
    org_id = (
        finite(env, "orgs", "list").split("\t")[0]
        if args.org.startswith("org_") is False
        else args.org
    )
    for line in finite(env, "orgs", "list").splitlines():
        if line.split("\t")[1] == args.org or line.split("\t")[0] == args.org:
            org_id = line.split("\t")[0]

    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "finite",
            "serve",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
            "--no-migrate",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers too can be killed at once, as one group
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        cursor = deep_cursor(env, org_id, 0.9)
        name_cursor = deep_cursor(env, org_id, 0.9, "name", descending=False)
        words = ["asha", "acme", "globex", "okafor", "stark", "rao 12", "initech", "silva"]
        path = '"/api/records/leads?per_page=20&q=" .. q[i % #q + 1]'
        rotating = (
            "local q = {" + ",".join(f'"{w.replace(" ", "%20")}"' for w in words) + "}\n"
            "local i = 0\nrequest = function()\n  i = i + 1\n"
            f'  return wrk.format("GET", {path})\nend\n'
        )
        scenarios = {
            "list p1 status=New sort=-updated_at": (
                f"{base}/api/records/leads?status=New&sort=-updated_at",
                "",
            ),
            "list p1 sort=-updated_at": (f"{base}/api/records/leads?sort=-updated_at", ""),
            "deep cursor (90%) sort=-updated_at": (
                f"{base}/api/records/leads?sort=-updated_at&cursor={cursor}",
                "",
            ),
            "q search (8 words rotating)": (f"{base}/", rotating),
            "list p1 sort=company (nullable)": (f"{base}/api/records/leads?sort=company", ""),
            "deep cursor (90%) sort=name (nullable)": (
                f"{base}/api/records/leads?sort=name&cursor={name_cursor}",
                "",
            ),
            "list p1 status=New sort=-value": (
                f"{base}/api/records/leads?status=New&sort=-value",
                "",
            ),
        }
        for name, (url, script) in scenarios.items():
            if args.only.lower() not in name.lower():
                continue
            wrk(url, key, 2, args.connections, script)  # warm up
            result = wrk(url, key, args.seconds, args.connections, script)
            print(
                f"{name:40} {result['rps']:8.0f} req/s  p50 {result.get('p50_ms', 0):6.1f} ms  "
                f"p90 {result.get('p90_ms', 0):6.1f} ms  p95 {result.get('p95_ms', 0):6.1f} ms  "
                f"p99 {result.get('p99_ms', 0):6.1f} ms  "
                f"non-2xx {result['errors']:.0f}"
            )
        if args.only.lower() not in "csv export":
            return
        result = export(base, key, server.pid)
        print(
            f"{'CSV export':40} {result['rows']:,.0f} rows in {result['seconds']:.1f} s = "
            f"{result['rows_per_s']:,.0f} rows/s, "
            f"server RSS growth {result['rss_growth_mb']:.1f} MB"
        )
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)  # it seals the audit rows the run left waiting
        except subprocess.TimeoutExpired:
            # A stop that hangs must not leave a server behind holding SQLite's write lock (a
            # stop used to, until 2026-12-03: see docs/performance.md, eighth round).
            print("the server did not stop within 60 s; killed", file=sys.stderr)
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    main()
