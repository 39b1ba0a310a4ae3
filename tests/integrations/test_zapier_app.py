"""The Zapier app (integrations/zapier, on zapier-platform-core) runs its own tests
(`createAppTester`, jest) against a live `finite serve`, with the key of an organization on
the Pro plan: the plan Zapier is for, whose key reaches nothing of the REST API beyond it."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from finite.config import Settings
from finite.core.accounts.service import PlanChoice
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from tests.conftest import TEST_SECRET
from tests.factories import bearer, make_org
from tests.servers import Servers, server_env

APP = Path(__file__).resolve().parents[2] / "integrations" / "zapier"
NPM_SECONDS = 120

pytestmark = pytest.mark.slow


def npm(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    found = shutil.which("npm")
    assert found is not None
    return subprocess.run(
        [found, *args],
        cwd=APP,
        env=env,
        capture_output=True,
        text=True,
        timeout=NPM_SECONDS,
        check=False,
    )


async def test_the_zapier_app_passes_its_tests_against_the_server(
    servers: Servers, settings: Settings, db: Database, peppers: Peppers
) -> None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        if os.environ.get("FINITE_TEST_REQUIRE_NODE") == "1":  # .ci/run installs them
            pytest.fail("Node.js and npm are required (FINITE_TEST_REQUIRE_NODE=1)")
        pytest.skip("Node.js and npm are not installed: the Zapier app's tests need them")
    if not settings.database_url.startswith("sqlite"):
        pytest.skip("the app talks to the API, which is tested on both engines; one run is enough")
    if not (APP / "node_modules").is_dir():
        installed = npm("ci", "--no-audit", "--no-fund")
        assert installed.returncode == 0, installed.stdout + installed.stderr
    org = await make_org(db, peppers, handover=PlanChoice("pro"))
    env = server_env(
        data_dir=str(settings.data_dir),
        database_url=settings.database_url,
        secret_key=TEST_SECRET,
        demo="0",
    )
    (server,) = servers.start(env)
    assert (
        server.client.get("/api/v1/projects", headers=bearer(org.handover_key)).json()["error"][
            "code"
        ]
        == "PLAN_LIMIT"
    )  # Pro: Zapier only
    probe = server.client.get("/api/v1/zapier/triggers/pack-sent", headers=bearer(org.handover_key))

    ran = npm(
        "test",
        "--",
        "--ci",
        env={
            **server_env(),
            "FINITE_URL": server.base_url,
            "FINITE_API_KEY": org.handover_key,
            "FINITE_ZAPIER_TRIGGERS": "1" if probe.status_code == 200 else "0",
        },
    )

    report = ran.stdout + ran.stderr
    assert ran.returncode == 0, report
    assert "failed" not in report.split("Tests:")[-1].split("\n")[0], report
    assert " passed" in report, report
