"""Real `finite serve` processes: the embedded first run, and revocation across processes."""

from __future__ import annotations

import asyncio
import re
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.platform.migrations import migrate_to_head
from tests import backends
from tests.conftest import TEST_SECRET
from tests.factories import OrgSetup, bearer, make_org
from tests.servers import Server, Servers, server_env

pytestmark = pytest.mark.slow

CRM_KEY = re.compile(r"\bfsk_[0-9A-Za-z]{49}\b")
HANDOVER_KEY = re.compile(r"\bfz_live_[0-9A-Za-z]{49}\b")
ANY_KEY_PREFIX = re.compile(r"fsk_|fz_live_")
ISO_MILLIS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


# --- a. the embedded first run -------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def the_two_keys(text: str) -> tuple[str, str]:
    """The one CRM key and the one handover key in `text`, and no other key-like string."""
    crm_keys, handover_keys = set(CRM_KEY.findall(text)), set(HANDOVER_KEY.findall(text))
    assert len(crm_keys) == 1, text
    assert len(handover_keys) == 1, text
    assert len(ANY_KEY_PREFIX.findall(text)) == len(CRM_KEY.findall(text)) + len(
        HANDOVER_KEY.findall(text)
    ), "every key-like string is one of the two keys"
    (crm_key,), (handover_key,) = crm_keys, handover_keys
    return crm_key, handover_key


def assert_private(data_dir: Path) -> None:
    """The data folder is 0700 and everything in it 0600, the database's WAL files included."""
    assert mode(data_dir) == 0o700
    names = {path.name for path in data_dir.iterdir()}
    assert {"finite.db", "finite.db-wal", "finite.db-shm", "secret_key"} <= names, names
    for path in data_dir.iterdir():
        assert mode(path) == 0o600, (path.name, oct(mode(path)))


def test_first_run_without_a_terminal_keeps_the_keys_out_of_the_log_in_a_private_file(
    servers: Servers, tmp_path: Path
) -> None:
    """Standard output that is not a terminal goes to journald or a container's log, which
    must never hold a key: the keys go to a 0600 file in the data folder, the log names it."""
    data_dir = tmp_path / "data"  # the server creates it
    env = server_env(data_dir=str(data_dir))
    (server,) = servers.start(env)

    stdout = server.stdout
    assert not ANY_KEY_PREFIX.search(stdout), stdout
    assert not ANY_KEY_PREFIX.search(server.stderr), server.stderr
    org_match = re.search(r"created the demo organization (org_[0-9a-z]+)", stdout)
    assert org_match is not None, stdout
    org_id = org_match.group(1)
    keys_file = data_dir / "first-run-keys.txt"
    assert f"Its two API keys are in {keys_file} " in stdout, stdout
    assert "then delete the file" in stdout
    assert mode(keys_file) == 0o600
    keys_text = keys_file.read_text()
    crm_key, handover_key = the_two_keys(keys_text)
    assert org_id in keys_text
    assert_private(data_dir)

    me = server.client.get("/api/me", headers=bearer(crm_key))
    assert me.status_code == 200, me.text
    body = me.json()
    assert body["organization"] == {"id": org_id, "name": "Demo Organization"}
    assert body["role"]["name"] == "Admin"
    assert body["role"]["is_admin"] is True
    assert body["member"]["email"] == "admin@demo.example"
    assert me.headers["X-Request-ID"].startswith("req_")

    auth = server.client.get("/api/v1/auth", headers=bearer(handover_key))
    assert auth.status_code == 200, auth.text
    envelope = auth.json()
    assert set(envelope) == {"data", "meta", "error"}
    assert envelope["error"] is None
    assert envelope["meta"]["request_id"] == auth.headers["X-Request-ID"]
    assert ISO_MILLIS_Z.match(envelope["meta"]["timestamp"]), envelope["meta"]
    assert envelope["data"]["authenticated"] is True
    assert envelope["data"]["organization"]["id"] == org_id
    assert sorted(envelope["data"]["key"]["scopes"]) == ["admin", "read", "write"]

    echoed = server.client.get(
        "/api/v1/auth", headers={**bearer(handover_key), "X-Request-ID": "trace-123"}
    )
    assert echoed.headers["X-Request-ID"] == "trace-123"
    assert echoed.json()["meta"]["request_id"] == "trace-123"

    secret_file = data_dir / "secret_key"
    assert mode(secret_file) == 0o600
    secret = secret_file.read_text()
    assert len(secret.strip()) >= 32
    assert (data_dir / "finite.db").is_file()

    # A restart on the same data dir keeps the secret and the keys, and writes no new keys.
    server.stop()
    (again,) = servers.start(env)
    assert not ANY_KEY_PREFIX.search(again.stdout), again.stdout
    assert "First run" not in again.stdout
    assert sorted(path.name for path in data_dir.glob("first-run-keys*")) == [keys_file.name]
    assert keys_file.read_text() == keys_text
    assert secret_file.read_text() == secret
    assert again.client.get("/api/me", headers=bearer(crm_key)).status_code == 200
    auth = again.client.get("/api/v1/auth", headers=bearer(handover_key))
    assert auth.status_code == 200
    assert auth.json()["data"]["organization"]["id"] == org_id
    assert_private(data_dir)


def test_first_run_on_a_terminal_shows_the_keys_there_and_writes_no_file(
    servers: Servers, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    data_dir.chmod(0o755)  # made by hand, readable by others: narrowed to 0700
    server = servers.launch(server_env(data_dir=str(data_dir)), terminal=True)
    server.wait_until_healthy()
    deadline = time.monotonic() + 10
    while "Handover key" not in server.stdout and time.monotonic() < deadline:
        time.sleep(0.05)  # the terminal's output is copied by a thread

    stdout = server.stdout
    crm_key, handover_key = the_two_keys(stdout)
    assert "These keys are shown once" in stdout
    assert not ANY_KEY_PREFIX.search(server.stderr), server.stderr
    assert server.client.get("/api/me", headers=bearer(crm_key)).status_code == 200
    assert server.client.get("/api/v1/auth", headers=bearer(handover_key)).status_code == 200
    assert not list(data_dir.glob("first-run-keys*"))
    assert_private(data_dir)


# --- b. revocation across processes --------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of this test's own, for servers that share it."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'shared' / 'finite.db'}"
        (tmp_path / "shared").mkdir()
        migrate_to_head(url)
        yield url
        return
    if not backends.postgres_reachable():
        pytest.skip("PostgreSQL unreachable")
    with backends.fresh_postgres_database() as url:
        migrate_to_head(url)
        yield url


def setup_org(database_url: str) -> OrgSetup:
    async def work() -> OrgSetup:
        db = Database(database_url)
        try:
            return await make_org(db, Peppers.from_secrets(TEST_SECRET))
        finally:
            await db.dispose()

    return asyncio.run(work())


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.fixture
def two_servers(
    shared_database: str, servers: Servers, tmp_path: Path
) -> tuple[Server, Server, OrgSetup]:
    org = setup_org(shared_database)
    data_dir = tmp_path / "shared"
    data_dir.mkdir(exist_ok=True)
    env = server_env(
        data_dir=str(data_dir),
        database_url=shared_database,
        secret_key=TEST_SECRET,
        demo="0",
    )
    a, b = servers.start(env, count=2)
    assert a.base_url != b.base_url
    for server in (a, b):
        assert not ANY_KEY_PREFIX.search(server.stdout), "no demo keys with FINITE_DEMO=0"
    return a, b, org


def test_a_crm_key_revoked_in_one_process_is_refused_by_the_other(
    two_servers: tuple[Server, Server, OrgSetup],
) -> None:
    a, b, org = two_servers
    # A second admin key, made through process B, does the revoking on process A.
    created = b.client.post("/api/keys", headers=bearer(org.crm_key), json={"name": "revoker"})
    assert created.status_code == 201, created.text
    revoker = created.json()["key"]

    for server in (a, b, a, b):
        assert server.client.get("/api/me", headers=bearer(org.crm_key)).status_code == 200
        assert server.client.get("/api/me", headers=bearer(revoker)).status_code == 200

    revoked = a.client.delete(f"/api/keys/{org.crm_key_id}", headers=bearer(revoker))
    assert revoked.status_code == 204, revoked.text

    assert_refused(b.client.get("/api/me", headers=bearer(org.crm_key)))
    assert_refused(a.client.get("/api/me", headers=bearer(org.crm_key)))
    assert b.client.get("/api/me", headers=bearer(revoker)).status_code == 200
    listed = b.client.get("/api/keys", headers=bearer(revoker)).json()["keys"]
    assert {key["id"]: key["status"] for key in listed}[org.crm_key_id] == "revoked"


def test_a_handover_key_revoked_in_one_process_is_refused_by_the_other(
    two_servers: tuple[Server, Server, OrgSetup],
) -> None:
    a, b, org = two_servers
    created = a.client.post(
        "/api/v1/keys", headers=bearer(org.handover_key), json={"name": "revoker"}
    )
    assert created.status_code == 201, created.text
    revoker = created.json()["data"]["key"]

    for server in (a, b, a, b):
        for key in (org.handover_key, revoker):
            assert server.client.get("/api/v1/auth", headers=bearer(key)).status_code == 200

    revoked = b.client.delete(f"/api/v1/keys/{org.handover_key_id}", headers=bearer(revoker))
    assert revoked.status_code == 200, revoked.text
    envelope = revoked.json()
    assert envelope["error"] is None
    assert envelope["data"]["id"] == org.handover_key_id
    assert envelope["data"]["revokedAt"] is not None
    assert envelope["meta"]["request_id"] == revoked.headers["X-Request-ID"]

    refused = a.client.get("/api/v1/auth", headers=bearer(org.handover_key))
    assert_refused(refused)
    assert refused.json()["error"]["code"] == "UNAUTHORIZED"
    assert refused.json()["data"] is None
    assert_refused(b.client.get("/api/v1/auth", headers=bearer(org.handover_key)))
    assert a.client.get("/api/v1/auth", headers=bearer(revoker)).status_code == 200
