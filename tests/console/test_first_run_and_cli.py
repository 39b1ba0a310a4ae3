"""The first run gives the demo owner a console password, kept where the keys are (a 0600 file
when standard output is no terminal, never the log); `finite members` sets passwords."""

from __future__ import annotations

import asyncio
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import granian
import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from finite.cli import app
from finite.core.accounts.passwords import password_matches
from finite.kit.db import Database
from finite.models import MemberCredential
from tests.conftest import TEST_SECRET
from tests.factories import OrgSetup

Typed = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> Typed:
    """`finite …` in process against the test database, `typed` its standard input."""
    env = {
        "FINITE_ENV": "development",
        "FINITE_DATA_DIR": str(tmp_path / "data"),
        "FINITE_DATABASE_URL": database_url,
        "FINITE_SECRET_KEY": TEST_SECRET,
        "FINITE_OLD_SECRET_KEYS": "",
        "FINITE_REDIS_URL": "",
    }

    def invoke(typed: str, *args: str) -> Result:
        return CliRunner().invoke(app, list(args), env=env, input=typed)

    return invoke


class StartedGranian:
    def __init__(self, target: str, **options: Any) -> None:
        pass

    def serve(self) -> None:
        """Returns at once: what `finite serve` did before serving is what is checked."""


@pytest.fixture
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
def test_the_first_run_writes_the_owners_password_to_the_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(granian, "Granian", StartedGranian)
    data_dir = tmp_path / "data"
    env = {"FINITE_DATA_DIR": str(data_dir), "FINITE_DATABASE_URL": "", "FINITE_SECRET_KEY": ""}
    result = CliRunner().invoke(app, ["serve", "--port", "8797"], env=env)
    assert result.exit_code == 0, result.output

    keys_file = data_dir / "first-run-keys.txt"
    assert stat.S_IMODE(keys_file.stat().st_mode) == 0o600
    text = keys_file.read_text()
    found = re.search(r"Password: +(\S+)", text)
    assert found is not None, text
    password = found.group(1)
    assert len(password) >= 20
    assert "http://127.0.0.1:8797/console/login" in text
    assert "admin@demo.example" in text

    output = result.output
    assert password not in output
    assert "Sign in to the console at http://127.0.0.1:8797/console/login" in output
    assert "the password is in the same file" in output

    async def stored_hash() -> str:
        db = Database(f"sqlite+aiosqlite:///{data_dir / 'finite.db'}")
        try:
            async with db.read() as session:
                (credential,) = (await session.scalars(select(MemberCredential))).all()
                return credential.password_hash
        finally:
            await db.dispose()

    hashed = asyncio.run(stored_hash())
    assert password not in hashed
    assert asyncio.run(password_matches(hashed, password))


def test_members_add_with_a_password_prompt_then_set_password(cli: Typed, org: OrgSetup) -> None:
    runner_input = "a long enough passphrase\na long enough passphrase\n"
    added = cli(
        runner_input,
        "members",
        "add",
        "--org",
        org.org_id,
        "--email",
        "Pat@Example.com",
        "--name",
        "Pat",
        "--role",
        "Standard",
        "--password-prompt",
    )
    assert added.exit_code == 0, added.output
    assert "a long enough passphrase" not in added.output
    assert "/console/login" in added.output

    changed = cli(
        "another fine passphrase\nanother fine passphrase\n",
        "members",
        "set-password",
        "pat@example.com",
        "--org",
        org.org_id,
    )
    assert changed.exit_code == 0, changed.output
    assert "Set the console password of Pat <pat@example.com>" in changed.output


def test_a_short_password_is_refused_and_sets_nothing(cli: Typed, org: OrgSetup) -> None:
    refused = cli(
        "short\nshort\n",
        "members",
        "add",
        "--org",
        org.org_id,
        "--email",
        "short@example.com",
        "--name",
        "S",
        "--role",
        "Standard",
        "--password-prompt",
    )
    assert refused.exit_code == 2
    assert "at least 12 characters" in refused.output
    unknown = cli(
        "a long enough passphrase\na long enough passphrase\n",
        "members",
        "set-password",
        "short@example.com",
        "--org",
        org.org_id,
    )
    assert unknown.exit_code == 1
    assert "No member" in unknown.output
