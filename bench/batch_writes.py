"""Records per second written by batches of 100 creates (POST /api/records/leads/batch) against
a `finite serve --workers 2` of its own, with single creates (POST /api/records/leads) in the
same run for comparison; rounds interleaved.

    python bench/batch_writes.py [--database-url postgresql+asyncpg://postgres@127.0.0.1/x]
        [--seconds 10] [--connections 4] [--rounds 2]

Without --database-url: SQLite in a fresh temporary data folder. With one: that database,
migrated and given an organization "Batch bench" (its leads grow with each run). Needs `wrk`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

TICK = os.sysconf("SC_CLK_TCK")
ORG = "Batch bench"
FINITE = (sys.executable, "-m", "finite")
LEAD = {"name": "Ada Lovelace", "company": "Analytical Engines", "email": "ada@example.com"}


def finite(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "finite", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def cpu_seconds(server_group: int) -> tuple[float, float]:
    """(the server's process group, every postgres process: other users' too) in CPU
    seconds so far."""
    server = postgres = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = int(fields[11]) + int(fields[12])  # utime + stime
        if int(fields[2]) == server_group:
            server += used
        elif "postgres" in name:
            postgres += used
    return server / TICK, postgres / TICK


def wrk(url: str, key: str, body: str, seconds: int, connections: int) -> dict[str, float]:
    lua = (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = {json.dumps(body)}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    command = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{seconds}s"]
    command += ["--latency", "-H", f"Authorization: Bearer {key}", "-s", script.name, url]
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script.name)
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert found is not None, output
    result = {"rps": float(found.group(1))}
    for name, value, unit in re.findall(r"\s(50|99)%\s+([\d.]+)(us|ms|s)\b", output):
        result[f"p{name}_ms"] = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["errors"] = float(non2xx.group(1)) if non2xx else 0.0
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", type=int, default=100, help="records per batch")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="finite-batch-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FINITE_")}
    env.update(FINITE_DATA_DIR=data_dir, FINITE_DEMO="0", FINITE_LOG_LEVEL="WARNING")
    if args.database_url:
        env["FINITE_DATABASE_URL"] = args.database_url
    finite(env, "migrate")
    orgs = [line.split("\t") for line in finite(env, "orgs", "list").splitlines()]
    known = [fields[0] for fields in orgs if len(fields) > 1 and fields[1] == ORG]
    org_id = known[0] if known else finite(env, "orgs", "create", ORG).split()[-1]
    finite(env, "plans", "set", "--org", org_id, "--product", "crm", "--plan", "ultimate")
    finite(env, "plans", "set", "--org", org_id, "--product", "crm", "--rpm", "100000000")
    key = finite(env, "keys", "create", "--org", org_id, "--product", "crm", "--name", "bench")
    key = key.strip().splitlines()[-1]

    serve = ["serve", "--port", str(args.port), "--workers", str(args.workers), "--no-migrate"]
    server = subprocess.Popen(
        [*FINITE, *serve],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    records = [{**LEAD, "email": f"ada{n}@example.com"} for n in range(args.size)]
    scenarios = {
        f"batch of {args.size} creates": (
            f"{base}/api/records/leads/batch",
            json.dumps({"records": records}),
            args.size,
        ),
        "single creates": (f"{base}/api/records/leads", json.dumps(LEAD), 1),
    }
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        engine = "PostgreSQL" if args.database_url else "SQLite"
        print(f"{engine}, finite serve --workers {args.workers}, {args.connections} connections")
        for url, body, _ in scenarios.values():
            wrk(url, key, body, 2, args.connections)  # warm up
        for round_number in range(1, args.rounds + 1):
            for name, (url, body, size) in scenarios.items():
                before = cpu_seconds(server.pid)
                result = wrk(url, key, body, args.seconds, args.connections)
                after = cpu_seconds(server.pid)
                calls = result["rps"] * args.seconds
                used = [a - b for a, b in zip(after, before, strict=True)]
                per_record = [seconds * 1000 / (calls * size) for seconds in used]
                print(
                    f"round {round_number}  {name:24} {result['rps'] * size:9,.0f} records/s "
                    f"({result['rps']:7.1f} req/s, p50 {result.get('p50_ms', 0):6.1f} ms, "
                    f"p99 {result.get('p99_ms', 0):6.1f} ms, non-2xx {result['errors']:.0f}); "
                    f"CPU per record: server {per_record[0]:.2f} ms"
                    + (f", postgres {per_record[1]:.2f} ms" if args.database_url else "")
                )
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


if __name__ == "__main__":
    main()
