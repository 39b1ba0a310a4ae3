"""The client page under 20 callers: `GET /p/{token}` of a sent pack, as clients open it.

    python bench/client_page.py [--database-url postgresql://…] [--callers 20] [--seconds 15]
        [--source /path/to/other/checkout/src --source src] [--rounds 2]

Creates a fresh data folder (SQLite unless `--database-url` names an empty PostgreSQL
database), an Agency organization, a project with three credentials and a training link
through the API, and sends its pack (no FINITE_SMTP_URL: the inline worker writes the mail
into the data folder); reads the link from that mail and drives the page with `wrk` (Debian
package) against `finite serve --workers 2`. Every view is a write (the view count; the first
view's `pack.viewed` event), so this measures the page's reads and its one write.

Each figure: views a second, p50 and p99, and the server processes' own CPU per view (the
database server's excluded). `--source` (repeatable) serves from each checkout's `src`, one
after the other in every round: before and after, interleaved.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from crm_lists import finite  # noqa: E402 - bench/ is not a package
from writes import (  # noqa: E402
    Options,
    Target,
    show,
    stop,
    wait_until_free,
    wait_until_up,
    wrk_figure,
)

TOKEN = re.compile(r"/p/(pk_[A-Za-z0-9_-]{43})")


def send_a_pack(base: str, key: str) -> str:
    """The project, its credential and training link, the pack sent; its project id."""
    api = httpx.Client(base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {key}"})

    def call(method: str, path: str, body: object) -> dict[str, object]:
        answer = api.request(method, path, json=body)
        answer.raise_for_status()
        data: dict[str, object] = answer.json()["data"]
        return data

    project = call(
        "POST",
        "/projects",
        {
            "name": "Website closeout",
            "clientName": "Jane Smith",
            "clientEmail": "jane@example.com",
            "projectType": "Web Design",
            "launchDate": "2026-06-01",
        },
    )
    pack = f"/projects/{project['id']}/pack"
    for number in range(3):
        call(
            "POST",
            f"{pack}/credentials",
            {
                "platform": f"Platform {number}",
                "url": "https://client.example/wp-admin",
                "username": "jane.admin",
                "password": "Hunter2-correct-horse",
                "notes": "Change it after the first login.",
            },
        )
    sections = api.get(pack).json()["data"]["sections"]
    call(
        "POST",
        f"{pack}/items",
        {
            "sectionId": sections[0]["id"],
            "kind": "training",
            "title": "Editing pages (video)",
            "url": "https://videos.example/editing",
        },
    )
    call("POST", f"{pack}/send", {})
    return str(project["id"])


def token_from_mail(folder: Path) -> str:
    for _ in range(100):
        for path in folder.glob("*.eml"):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            text = message.get_body(("plain",))
            found = text and TOKEN.search(text.get_content())  # type: ignore[union-attr]
            if found:
                return found.group(1)
        time.sleep(0.1)
    raise RuntimeError(f"no mail with a link in {folder}")


def serve(env: dict[str, str], source: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    wait_until_free(port)
    command = [sys.executable, "-m", "finite", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--workers", str(workers), "--no-migrate"],
        env={**env, "PYTHONPATH": source} if source else env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers too can be stopped at once, as one group
    )
    wait_until_up(f"http://127.0.0.1:{port}/healthz")
    return server


def prepare(env: dict[str, str]) -> str:
    """An Agency organization without a rate limit; its API key."""
    finite(env, "migrate")
    finite(env, "orgs", "create", "Bench agency", "--handover-plan", "agency")
    plan = ["--product", "handover", "--plan", "agency", "--rpm", "100000000"]
    finite(env, "plans", "set", "--org", "Bench agency", *plan)
    name = ["--name", "bench"]
    made = finite(env, "keys", "create", "--org", "Bench agency", "--product", "handover", *name)
    return made.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--source", action="append", default=[], help="a checkout's src")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    engine = "postgresql" if args.database_url else "sqlite"
    sources = args.source or [""]
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FINITE_")}
        env.update(FINITE_DATA_DIR=data_dir, FINITE_DEMO="0", FINITE_LOG_LEVEL="WARNING")
        base = f"http://127.0.0.1:{args.port}"
        env["FINITE_PUBLIC_URL"] = base
        if args.database_url:
            env["FINITE_DATABASE_URL"] = args.database_url
        key = prepare(env)
        server = serve(env, sources[0], args.port, args.workers)
        try:
            send_a_pack(base, key)
            page = f"/p/{token_from_mail(Path(data_dir) / 'mail')}"
        finally:
            stop(server)
        for round_number in range(1, args.rounds + 1):
            for source in sources:
                checkout = f" {Path(source).resolve().parent.name}" if source else ""
                label = f"round {round_number} {engine}{checkout}"
                server = serve(env, source, args.port, args.workers)
                target = Target(label, base, "", server.pid, env, "")
                try:
                    assert httpx.get(f"{base}{page}").status_code == 200
                    for callers in (1, args.callers):
                        options = Options(args.seconds, args.warmup, callers)
                        figure = wrk_figure(target, options, page, "")
                        show(label, f"{callers} callers", figure, None)
                finally:
                    stop(server)


if __name__ == "__main__":
    main()
