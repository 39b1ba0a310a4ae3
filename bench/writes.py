"""Single writes and reads by id against `finite serve --workers 2`, beside a bare Litestar route
served the same way (granian, same workers), in one run: W1 get by id, W5 create (the seed's
example lead), W6 update (PUT with the version, the name only).

    # 1. seed (once per database; the updates need 2,000 leads):
    FINITE_DATA_DIR=/tmp/bench-sqlite finite bench seed --new-org Bench --count 100000
    FINITE_DATA_DIR=/tmp/bench-pg FINITE_DATABASE_URL=postgresql://… finite bench seed …
    # 2. measure (starts the servers itself, drives them with wrk):
    python bench/writes.py --sqlite-dir /tmp/bench-sqlite \\
        [--pg-url postgresql://… --pg-data-dir /tmp/bench-pg --redis-url redis://…] \\
        [--source /path/to/other/checkout/src --source src] [--rounds 2] [--only create]

Each figure: requests a second, p50 and p99, the server processes' own CPU per request (the
database server's excluded) and the ratio to the bare route (its GET for reads, its POST for
writes). `--source` (repeatable) runs the servers from each checkout's `src`, one after the
other in every round: before and after, interleaved (labelled by the checkout's folder name).
Needs `wrk` (Debian package).

Then a batch of 100 creates (`POST /api/records/leads/batch`, records a second) and a CSV
import of 20,000 leads (`POST /api/import/leads.csv`, the job polled to its end, rows a second);
their ratio is to the bare POST's requests. A scenario gets the running server (Target) and
answers a Figure; add one to SCENARIOS with its bare route in BARE_OF.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from crm_lists import children, finite, run, wrk  # noqa: E402 - bench/ is not a package

CREATE_BODY = (
    # The seed's example, as written there.
    '{"name": "Asha Rao", "company": "Acme Pumps", "email": "asha@acmepumps.in", "value": 50000}'
)
UPDATE_POOL = 2000  # leads updated, a thread's half each, round-robin: one in flight per record


@dataclass
class Options:
    seconds: int
    warmup: int
    connections: int
    profile: str = ""  # a folder: each measured scenario recorded with py-spy, per worker


@dataclass
class Target:
    """A running server: where it listens, its API key and process, and the environment of
    the `finite` commands for its database."""

    label: str
    base: str
    key: str
    pid: int
    env: dict[str, str]
    org_id: str
    scenario: str = ""


@dataclass
class Figure:
    rate: float  # per second
    unit: str  # "req/s", "records/s", "rows/s"
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_ms: float = 0.0  # server CPU per unit
    errors: float = 0.0
    notes: dict[str, float] = field(default_factory=dict)


Scenario = Callable[[Target, Options], Figure]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of the process and its descendants (granian's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for task in [pid, *children(pid)]:
        try:
            fields = Path(f"/proc/{task}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def wrk_figure(target: Target, options: Options, path: str, lua: str) -> Figure:
    """Warm up, then measure `lua`'s requests (a wrk script) with the server's CPU."""
    url = f"{target.base}{path}"
    wrk(url, target.key, options.warmup, options.connections, lua)
    before = cpu_seconds(target.pid)
    with recorded(target, options):
        found = wrk(url, target.key, options.seconds, options.connections, lua)
    spent = cpu_seconds(target.pid) - before
    requests = found["rps"] * options.seconds
    if found["errors"]:
        sample = httpx.get(url, headers={"Authorization": f"Bearer {target.key}"})
        print(f"{target.label}: errors; a GET of {url}: {sample.status_code} {sample.text[:200]}")
    return Figure(
        found["rps"],
        "req/s",
        found.get("p50_ms", 0.0),
        found.get("p99_ms", 0.0),
        spent / requests * 1000 if requests else 0.0,
        found["errors"],
    )


PY_SPY = str(Path(sys.executable).with_name("py-spy"))  # pip install py-spy (needs ptrace)


@contextlib.contextmanager
def recorded(target: Target, options: Options) -> Iterator[None]:
    """py-spy on each server worker while the block runs (`--profile`): collapsed stacks, one
    file per worker, for bench/profile_summary.py."""
    if not options.profile:
        yield
        return
    folder = Path(options.profile)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{target.label}-{target.scenario}".replace(" ", "_").replace("/", "_")
    spies = [
        subprocess.Popen(
            [
                PY_SPY,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(options.seconds),
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                "--output",
                str(folder / f"{name}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in children(target.pid)
    ]
    try:
        yield
    finally:
        for spy in spies:
            spy.wait(timeout=options.seconds + 30)


def _lua_list(values: list[int]) -> str:
    return "{" + ",".join(str(value) for value in values) + "}"


def leads_and_versions(target: Target, count: int) -> tuple[list[int], list[int]]:
    """The organization's first `count` leads and their versions now."""
    code = f"""
import asyncio
from sqlalchemy import select
from finite.config import load_settings
from finite.kit.db import Database
from finite.crm.modules.tables import MODULE_TABLES
async def main():
    db = Database(load_settings().database_url)
    t = MODULE_TABLES["leads"]
    async with db.read() as s:
        rows = (await s.execute(select(t.c.id, t.c.version).where(t.c.org_id == {target.org_id!r})
            .order_by(t.c.id).limit({count}))).all()
    await db.dispose()
    print(" ".join(f"{{i}}:{{v}}" for i, v in rows))
asyncio.run(main())
"""
    pairs = [item.split(":") for item in run([sys.executable, "-c", code], target.env).split()]
    if len(pairs) < count:
        raise SystemExit(f"{target.label}: {count} leads needed, {len(pairs)} found: seed more")
    return [int(i) for i, _ in pairs], [int(v) for _, v in pairs]


def get_by_id(target: Target, options: Options) -> Figure:
    ids, _ = leads_and_versions(target, UPDATE_POOL)
    lua = f"""
local ids = {_lua_list(ids)}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/records/leads/" .. ids[n % #ids + 1])
end
"""
    return wrk_figure(target, options, "/api/records/leads", lua)


def create(target: Target, options: Options) -> Figure:
    lua = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{CREATE_BODY}'
"""
    return wrk_figure(target, options, "/api/records/leads", lua)


def update(target: Target, options: Options) -> Figure:
    """PUT {{"name", "version"}}: each wrk thread updates its half of the pool in turn, with the
    version the last answer for that record gave (read from the database at the start)."""

    def script() -> str:
        ids, versions = leads_and_versions(target, UPDATE_POOL)
        return f"""
wrk.headers["Content-Type"] = "application/json"  -- a headers argument would drop -H's
local ids = {_lua_list(ids)}
local start = {_lua_list(versions)}
local span = {UPDATE_POOL // 2}
local threads = 0
function setup(thread)
  thread:set("first", threads * span)
  threads = threads + 1
end
function init(args)
  versions = {{}}
  for k = first + 1, first + span do versions[ids[k]] = start[k] end
  n = 0
end
function request()
  local id = ids[first + n % span + 1]
  n = n + 1
  local body = string.format('{{"name": "Bench %d", "version": %d}}', n, versions[id])
  return wrk.format("PUT", "/api/records/leads/" .. id, nil, body)
end
function response(status, headers, body)
  if status == 200 then
    local id = tonumber(body:match('"id":%s*(%d+)'))
    local version = tonumber(body:match('"version":%s*(%d+)'))
    if id and version then versions[id] = version end
  end
end
"""

    url = f"{target.base}/api/records/leads"
    wrk(url, target.key, options.warmup, options.connections, script())
    measured = script()  # the versions the warm-up left
    before = cpu_seconds(target.pid)
    found = wrk(url, target.key, options.seconds, options.connections, measured)
    spent = cpu_seconds(target.pid) - before
    requests = found["rps"] * options.seconds
    return Figure(
        found["rps"],
        "req/s",
        found.get("p50_ms", 0.0),
        found.get("p99_ms", 0.0),
        spent / requests * 1000 if requests else 0.0,
        found["errors"],
    )


BATCH_SIZE = 100
IMPORT_ROWS = 20_000


def batch(target: Target, options: Options) -> Figure:
    """POST /api/records/leads/batch with 100 creates of the seed's lead: records a second."""
    records = ", ".join([CREATE_BODY] * BATCH_SIZE)
    lua = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{{"records": [{records}]}}'
"""
    found = wrk_figure(target, options, "/api/records/leads/batch", lua)
    answered = max(0.0, found.rate * options.seconds - found.errors)  # refused batches wrote none
    found.rate = answered / options.seconds * BATCH_SIZE
    found.unit = "records/s"
    found.cpu_ms /= BATCH_SIZE
    return found


def csv_import(target: Target, options: Options) -> Figure:
    """A CSV of IMPORT_ROWS leads uploaded to POST /api/import/leads.csv, the job polled to
    its end: rows a second from the upload's start, the server's CPU per row."""
    lines = ["name,company,email,value"] + [
        f"Lead {n},Company {n % 97},lead{n}@example.com,{n % 5000}" for n in range(IMPORT_ROWS)
    ]
    headers = {"Authorization": f"Bearer {target.key}", "Content-Type": "text/csv"}
    before = cpu_seconds(target.pid)
    started = time.perf_counter()
    with httpx.Client(base_url=target.base, headers=headers, timeout=600) as client:
        answer = client.post("/api/import/leads.csv", content="\n".join(lines).encode())
        if answer.status_code != 202:
            print(f"{target.label}: import answered {answer.status_code} {answer.text[:200]}")
            return Figure(0.0, "rows/s", errors=1)
        job_url = f"/api/import/jobs/{answer.json()['id']}"
        while (job := client.get(job_url).json())["status"] in ("queued", "running"):
            time.sleep(0.2)
    elapsed = time.perf_counter() - started
    spent = cpu_seconds(target.pid) - before
    return Figure(
        IMPORT_ROWS / elapsed,
        "rows/s",
        cpu_ms=spent / IMPORT_ROWS * 1000,
        errors=float(job["failed"] + (job["status"] != "done")),
    )


SCENARIOS: dict[str, Scenario] = {
    "W1 get by id": get_by_id,
    "W5 create": create,
    "W6 update (version)": update,
    "batch of 100 creates": batch,
    "CSV import (20k rows)": csv_import,
}
# Which bare route a scenario's rate is divided by.
BARE_OF: dict[str, str] = {
    "W1 get by id": "bare GET",
    "W5 create": "bare POST",
    "W6 update (version)": "bare POST",
    "batch of 100 creates": "bare POST",
    "CSV import (20k rows)": "bare POST",
}


def bare_figures(port: int, workers: int, options: Options) -> dict[str, Figure]:
    env = {**os.environ, "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    server = subprocess.Popen(
        [sys.executable, str(HERE / "bare_app.py"), str(port), str(workers)],
        env=env,
        cwd=HERE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until_free(port)
    base = f"http://127.0.0.1:{port}"
    target = Target("bare", base, "-", server.pid, env, "")
    try:
        wait_until_up(f"{base}/bare/1")
        post = f"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{CREATE_BODY}'
"""
        return {
            "bare GET": wrk_figure(target, options, "/bare/1", ""),
            "bare POST": wrk_figure(target, options, "/bare", post),
        }
    finally:
        stop(server)


def wait_until_free(port: int) -> None:
    """Nothing listens on `port` any more (a server stopping may take a while: it seals the
    audit rows its run left waiting)."""
    for _ in range(600):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"port {port} still answers: stop what holds it")


def wait_until_up(url: str) -> None:
    for _ in range(150):
        try:
            if httpx.get(url).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"nothing answered at {url}")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process of its group. A granian worker outliving its parent
    kept the port (SO_REUSEPORT): the next server refused it and exited, and the old worker
    answered the next run with errors."""
    server.terminate()
    try:
        server.wait(timeout=60)  # the server seals the audit rows the run left waiting
    except subprocess.TimeoutExpired:
        print("a server did not stop within 60 s; killed", file=sys.stderr)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # its session's group: nothing else
    server.wait()
    time.sleep(1)


def prepare(env: dict[str, str], org: str) -> tuple[str, str]:
    """An unlimited plan and a fresh key for the seeded organization: (key, org id)."""
    plan = ["--plan", "ultimate", "--rpm", "100000000"]
    finite(env, "plans", "set", "--org", org, "--product", "crm", *plan)
    made = finite(env, "keys", "create", "--org", org, "--product", "crm", "--name", "writes")
    key = made.strip().splitlines()[-1]
    for line in finite(env, "orgs", "list").splitlines():
        org_id, name = line.split("\t")[:2]
        if org in (org_id, name):
            return key, org_id
    raise SystemExit(f"no organization {org!r}: seed it first (see the docstring)")


def finite_figures(
    label: str, env: dict[str, str], source: str, args: argparse.Namespace, options: Options
) -> dict[str, Figure]:
    key, org_id = prepare(env, args.org)
    wait_until_free(args.port)
    served = {**env, "PYTHONPATH": source} if source else env
    command = [sys.executable, "-m", "finite", "serve", "--port", str(args.port)]
    server = subprocess.Popen(
        [*command, "--workers", str(args.workers), "--no-migrate"],
        env=served,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers too can be killed at once, as one group
    )
    base = f"http://127.0.0.1:{args.port}"
    target = Target(label, base, key, server.pid, env, org_id)
    try:
        wait_until_up(f"{base}/healthz")
        time.sleep(2)  # a server refusing a port still held exits after its imports
        if server.poll() is not None:
            raise SystemExit(f"{label}: the server exited (another one holds port {args.port}?)")
        figures = {}
        for name, scenario in SCENARIOS.items():
            if args.only.lower() in name.lower():
                target.scenario = name
                figures[name] = scenario(target, options)
        return figures
    finally:
        stop(server)


def show(label: str, name: str, figure: Figure, bare: Figure | None) -> None:
    ratio = f"{figure.rate / bare.rate:6.3f} x bare" if bare and bare.rate else ""
    print(
        f"{label:28} {name:22} {figure.rate:8.0f} {figure.unit}  p50 {figure.p50_ms:6.1f} ms  "
        f"p99 {figure.p99_ms:6.1f} ms  server CPU {figure.cpu_ms:5.2f} ms  {ratio}  "
        f"non-2xx {figure.errors:.0f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite-dir", default="", help="a seeded SQLite data directory")
    parser.add_argument("--pg-url", default="", help="a seeded PostgreSQL database")
    parser.add_argument("--pg-data-dir", default="", help="the PostgreSQL run's data directory")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--org", default="Bench", help="the seeded organization (id or name)")
    parser.add_argument("--source", action="append", default=[], help="a checkout's src")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--only", default="", help="scenarios whose name contains this text")
    parser.add_argument("--profile", default="", help="record py-spy profiles into this folder")
    args = parser.parse_args()
    options = Options(args.seconds, args.warmup, args.connections, args.profile)

    base_env = {k: v for k, v in os.environ.items() if not k.startswith("FINITE_")}
    base_env.update(FINITE_DEMO="0", FINITE_LOG_LEVEL="WARNING")
    engines: list[tuple[str, dict[str, str]]] = []
    if args.sqlite_dir:
        engines.append(("sqlite", {**base_env, "FINITE_DATA_DIR": args.sqlite_dir}))
    if args.pg_url:
        pg_env = {**base_env, "FINITE_DATABASE_URL": args.pg_url}
        pg_env["FINITE_REDIS_URL"] = args.redis_url
        pg_env["FINITE_DATA_DIR"] = args.pg_data_dir or args.sqlite_dir or "/tmp/finite-bench-pg"
        engines.append(("postgresql", pg_env))
    if not engines:
        parser.error("give --sqlite-dir, --pg-url, or both")
    sources = args.source or [""]

    for round_number in range(1, args.rounds + 1):
        bare = bare_figures(args.port + 1, args.workers, options)
        for name, figure in bare.items():
            show(f"round {round_number} bare", name, figure, None)
        for engine, env in engines:
            for source in sources:
                checkout = f" {Path(source).resolve().parent.name}" if source else ""
                label = f"round {round_number} {engine}{checkout}"
                for name, figure in finite_figures(label, env, source, args, options).items():
                    show(label, name, figure, bare.get(BARE_OF.get(name, "")))


if __name__ == "__main__":
    main()
