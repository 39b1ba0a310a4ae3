"""A backup of the whole database in one file, taken while servers keep writing.

SQLite: the online backup API copies the database in one step under one read transaction, so
the copy is one consistent moment; in WAL mode writers carry on meanwhile. PostgreSQL:
`pg_dump --format=custom` (one snapshot too), restored with `pg_restore`. Either way the file
is written 0600 under a temporary name beside the target and renamed once complete, so a
target that exists is always a whole backup. The secret key is not in it (docs/operations.md).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import make_url

from finite.kit.private_files import create_private

PG_DUMP_TIMEOUT_SECONDS = 24 * 3600


class BackupError(Exception):
    """The backup could not be taken; the message says why and what to do."""


def sqlite_backup(database: str, target: Path) -> None:
    with _written_whole(target) as partial:
        source = sqlite3.connect(database, timeout=30)
        try:
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)  # all pages in one step: one consistent snapshot
                # One self-contained file, whatever mode the server runs in.
                copy.execute("PRAGMA journal_mode=DELETE")
                (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
            finally:
                copy.close()
        finally:
            source.close()
        if verdict != "ok":
            raise BackupError(f"the copy fails SQLite's quick_check: {verdict}")


def pg_dump_backup(url: str, target: Path) -> None:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not on PATH: install the PostgreSQL client tools of your server's "
            "major version (Debian: postgresql-client), or run `pg_dump --format=custom "
            "--file finite.dump` yourself (docs/operations.md, Backups)"
        )
    with _written_whole(target) as partial:
        try:
            done = subprocess.run(  # noqa: S603 - pg_dump from PATH, arguments of our own
                [pg_dump, "--format=custom", "--file", str(partial)],
                env={**os.environ, **libpq_environment(url)},
                capture_output=True,
                text=True,
                timeout=PG_DUMP_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BackupError("pg_dump did not finish within 24 hours") from None
        if done.returncode != 0:
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[-2000:]}")


def libpq_environment(url: str) -> dict[str, str]:
    """The connection as libpq's PG* variables: the password never on a command line, where
    every user of the machine could read it."""
    parsed = make_url(url)
    values = {
        "PGHOST": parsed.host,
        "PGPORT": None if parsed.port is None else str(parsed.port),
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
        "PGSSLMODE": _ssl_mode(parsed.query.get("sslmode") or parsed.query.get("ssl")),
    }
    return {name: str(value) for name, value in values.items() if value}


def _ssl_mode(value: str | tuple[str, ...] | None) -> str | None:
    if isinstance(value, tuple):
        value = value[-1] if value else None
    if value in ("true", "1"):
        return "require"
    return value


@contextlib.contextmanager
def _written_whole(target: Path) -> Iterator[Path]:
    """A private temporary file beside `target`, renamed to it when the block succeeds."""
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    try:
        os.close(create_private(partial))
    except OSError as exc:
        raise BackupError(f"cannot write beside {target}: {exc}") from None
    try:
        yield partial
        os.replace(partial, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
