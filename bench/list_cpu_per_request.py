"""Throughput and CPU per request of one list URL: the server's processes and PostgreSQL's,
read from /proc around a wrk run. CPU per request moves less with the box's speed than req/s,
so builds compare better by it; run builds in turn (`--source` of each), several times.

    python bench/list_cpu_per_request.py --data-dir /tmp/bench-pg \\
        --database-url postgresql://postgres@127.0.0.1:5432/finite_bench --key fsk_… \\
        [--source /path/to/other/checkout/src] [--path '/api/records/leads?status=New']

Needs `wrk` and `curl`. `--key`: a key of the seeded organization (`finite keys create --org
Bench --product crm --name x`), on a plan whose rate limit the run stays under.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server_group: int) -> tuple[float, float]:
    """(the server's process group, every postgres process) in CPU seconds so far."""
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--key", required=True)
    parser.add_argument("--source", default="", help="a checkout's src/ to run instead")
    parser.add_argument("--path", default="/api/records/leads?status=New&sort=-updated_at")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--label", default="")
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if not k.startswith("FINITE_")}
    env.update(FINITE_DATA_DIR=args.data_dir, FINITE_DEMO="0", FINITE_LOG_LEVEL="WARNING")
    if args.database_url:
        env["FINITE_DATABASE_URL"] = args.database_url
    if args.source:
        env["PYTHONPATH"] = args.source
    command = [sys.executable, "-m", "finite", "serve", "--no-migrate"]
    server = subprocess.Popen(
        [*command, "--port", str(args.port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{args.port}"
    wrk = ["wrk", "-t2", "-c16", "-H", f"Authorization: Bearer {args.key}"]
    try:
        for _ in range(100):
            probe = ["curl", "-s", "-o", "/dev/null", "--fail", f"{base}/healthz"]
            if subprocess.run(probe, check=False).returncode == 0:
                break
            time.sleep(0.2)
        subprocess.run([*wrk, "-d3s", base + args.path], capture_output=True, check=True)
        before = cpu_seconds(server.pid)
        output = subprocess.run(
            [*wrk, f"-d{args.seconds}s", "--latency", base + args.path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        after = cpu_seconds(server.pid)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait()
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r" 99%\s+(\S+)", output).group(1)  # type: ignore[union-attr]
    server_ms = (after[0] - before[0]) / requests * 1000
    postgres_ms = (after[1] - before[1]) / requests * 1000
    print(
        f"{args.label or args.source or 'installed':12} {rate:7.1f} req/s  p99 {p99:>8}  "
        f"CPU per request: server {server_ms:.3f} ms, PostgreSQL {postgres_ms:.3f} ms"
    )


if __name__ == "__main__":
    main()
