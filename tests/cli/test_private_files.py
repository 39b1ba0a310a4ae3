"""What Finite writes in its data folder is readable by its user alone (0700 folder, 0600
files), whichever command creates it; the first run's keys file never replaces another."""

from __future__ import annotations

import errno
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import granian
import pytest
from typer.testing import CliRunner, Result

from finite.cli import app
from finite.platform import first_run


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems start with (group and others may read), restored after: `finite
    serve` narrows its own process's, and runs in this one here."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def finite(data_dir: Path, *args: str) -> Result:
    env = {"FINITE_DATA_DIR": str(data_dir), "FINITE_DATABASE_URL": "", "FINITE_SECRET_KEY": ""}
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def test_migrate_creates_a_private_data_folder_and_database(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    finite(data_dir, "migrate")
    assert mode(data_dir) == 0o700
    names = sorted(path.name for path in data_dir.iterdir())
    assert names == ["finite.db", "finite.db.migrate-lock", "secret_key"]
    for path in data_dir.iterdir():
        assert mode(path) == 0o600, path.name


def test_files_an_earlier_version_left_readable_are_narrowed(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir(mode=0o755)
    database = data_dir / "finite.db"
    with sqlite3.connect(database) as connection:  # 0644 under the usual umask, like before
        connection.execute("PRAGMA journal_mode=WAL")
    (data_dir / "finite.db-wal").touch(mode=0o644)
    assert mode(database) == 0o644
    finite(data_dir, "migrate")
    finite(data_dir, "orgs", "list")
    assert mode(data_dir) == 0o700
    for path in data_dir.iterdir():
        assert mode(path) == 0o600, path.name


class StartedGranian:
    def __init__(self, target: str, **options: Any) -> None:
        pass

    def serve(self) -> None:
        """Returns at once: what `finite serve` did before serving is what is checked."""


def test_a_first_run_without_a_terminal_never_overwrites_an_earlier_keys_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(granian, "Granian", StartedGranian)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    earlier = data_dir / "first-run-keys.txt"
    earlier.write_text("the keys of a database since deleted\n")

    output = finite(data_dir, "serve", "--port", "8799").output
    assert "fsk_" not in output
    assert "fz_live_" not in output
    written = data_dir / "first-run-keys-2.txt"
    assert f"Its two API keys are in {written} " in output
    assert earlier.read_text() == "the keys of a database since deleted\n"
    assert mode(written) == 0o600
    text = written.read_text()
    assert re.search(r"CRM key: +fsk_\w+", text), text
    assert re.search(r"Handover key: +fz_live_\w+", text), text
    assert "then delete this file" in text


def test_a_first_run_that_cannot_save_its_keys_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The keys are written before the demo organization is committed: when the file cannot
    be written (a full disk here), the error says so, nothing is created, and the next start
    creates the organization and its keys file."""
    monkeypatch.setattr(granian, "Granian", StartedGranian)
    data_dir = tmp_path / "data"

    def disk_full(path: Path | str) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(first_run, "create_private", disk_full)
    env = {"FINITE_DATA_DIR": str(data_dir), "FINITE_DATABASE_URL": "", "FINITE_SECRET_KEY": ""}
    failed = CliRunner().invoke(app, ["serve", "--port", "8799"], env=env)
    assert failed.exit_code == 1, failed.output
    assert "error: cannot save the first run's keys: [Errno 28] No space left" in failed.stderr
    assert "Traceback" not in failed.output
    assert "fsk_" not in failed.output
    assert finite(data_dir, "orgs", "list").stdout == ""

    monkeypatch.undo()
    monkeypatch.setattr(granian, "Granian", StartedGranian)
    output = finite(data_dir, "serve", "--port", "8799").output
    assert f"Its two API keys are in {data_dir / 'first-run-keys.txt'} " in output
    (listed,) = finite(data_dir, "orgs", "list").stdout.splitlines()
    assert "Demo Organization" in listed
