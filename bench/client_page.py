"""The client page under 20 callers: `GET /p/{token}` of a sent pack, as clients open it.

    python bench/client_page.py [--database-url postgresql://…] [--callers 20] [--seconds 15]

Starts a `finite serve --workers 2` on a fresh data folder (SQLite unless `--database-url`
names an empty PostgreSQL database), creates an Agency organization, a project with a
credential and a training link through the API, sends its pack (no FINITE_SMTP_URL: the
inline worker writes the mail into the data folder), reads the link from that mail, and
drives the page with `wrk` (Debian package). Every view is a write (the view count and the
first view's `pack.viewed` event), so this measures the page's reads and its one write.
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

TOKEN = re.compile(r"/p/(pk_[A-Za-z0-9_-]{43})")


def finite(env: dict[str, str], *args: str) -> str:
    command = [sys.executable, "-m", "finite", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def wait_until_up(base: str) -> None:
    for _ in range(150):
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


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


def wrk(url: str, callers: int, seconds: int) -> str:
    command = ["wrk", f"-t{min(2, callers)}", f"-c{callers}", f"-d{seconds}s", "--latency", url]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def summary(output: str) -> str:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentiles = dict(re.findall(r"\s(50|90|99)%\s+([\d.]+\w+)", output))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return (
        f"{float(rps.group(1)) if rps else 0:,.0f} req/s, p50 {percentiles.get('50')}, "
        f"p90 {percentiles.get('90')}, p99 {percentiles.get('99')}, "
        f"non-2xx {errors.group(1) if errors else 0}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FINITE_")}
        env.update(FINITE_DATA_DIR=data_dir, FINITE_DEMO="0", FINITE_LOG_LEVEL="WARNING")
        base = f"http://127.0.0.1:{args.port}"
        env["FINITE_PUBLIC_URL"] = base
        if args.database_url:
            env["FINITE_DATABASE_URL"] = args.database_url
        finite(env, "migrate")
        finite(env, "orgs", "create", "Bench agency", "--handover-plan", "agency")
        finite(
            env,
            "plans",
            "set",
            "--org",
            "Bench agency",
            "--product",
            "handover",
            "--plan",
            "agency",
            "--rpm",
            "100000000",
        )
        key = (
            finite(
                env,
                "keys",
                "create",
                "--org",
                "Bench agency",
                "--product",
                "handover",
                "--name",
                "bench",
            )
            .strip()
            .splitlines()[-1]
        )
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
            start_new_session=True,
        )
        try:
            wait_until_up(base)
            send_a_pack(base, key)
            page = f"{base}/p/{token_from_mail(Path(data_dir) / 'mail')}"
            assert httpx.get(page).status_code == 200
            engine = "postgresql" if args.database_url else "sqlite"
            wrk(page, args.callers, 3)  # warm-up
            print(f"{engine}, 1 caller: {summary(wrk(page, 1, args.seconds))}")
            print(
                f"{engine}, {args.callers} callers: "
                f"{summary(wrk(page, args.callers, args.seconds))}"
            )
        finally:
            os.killpg(server.pid, 15)
            server.wait(30)


if __name__ == "__main__":
    main()
