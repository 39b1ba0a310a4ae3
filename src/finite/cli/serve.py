"""`finite serve` and `finite migrate`."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer

from finite.cli.common import settings_or_exit
from finite.config import Settings
from finite.core.metrics import multiprocess_folder
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.private_files import keep_new_files_private
from finite.platform.first_run import DemoAccess, create_demo_if_empty, write_keys_file
from finite.platform.logs import configure_logging, granian_log_config
from finite.platform.migrations import migrate_to_head

MAX_HEADER_BYTES = 32 * 1024


def migrate() -> None:
    """Bring the database schema up to date (SQLite or PostgreSQL)."""
    settings = settings_or_exit()
    migrate_to_head(settings.database_url)
    typer.echo("database is up to date")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (FINITE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (FINITE_PORT).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Server worker processes.")] = 1,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Migrate the schema before serving.")
    ] = True,
    shutdown_timeout: Annotated[
        int,
        typer.Option(
            min=1,
            help="Seconds a worker process may take to stop on SIGTERM (finish its requests, "
            "write its audit rows) before it is killed.",
        ),
    ] = 20,
) -> None:
    """Serve both APIs. On an empty database, first create a demo organization and its keys:
    shown on a terminal, otherwise written to a private file in the data folder."""
    from granian import Granian
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings, HTTP2Settings
    from granian.log import LogLevels

    # Whatever the server and its workers write (the database's -wal and -shm files included)
    # is readable by this user alone.
    keep_new_files_private()
    settings = settings_or_exit()
    configure_logging(settings.log_level, settings.log_format)
    bind_host, bind_port = host or settings.host, port or settings.port
    _refuse_a_taken_port(bind_host, bind_port)
    if migrate_first:
        migrate_to_head(settings.database_url)
    if settings.demo_on_first_run:
        base = f"http://{bind_host}:{bind_port}"
        try:
            asyncio.run(_demo(settings, base, on_terminal=sys.stdout.isatty()))
        except KeysNotSaved as exc:  # nothing was created; the next start tries again
            typer.secho(f"error: cannot save the first run's keys: {exc}", fg="red", err=True)
            raise typer.Exit(1) from None
    # The workers share the rate limits: while Redis is down each admits limit / processes.
    # Servers on several machines set FINITE_PROCESSES to the count of them all, which wins.
    os.environ.setdefault("FINITE_PROCESSES", str(workers))
    # The workers read their settings again: they learn the address `--host`/`--port` chose,
    # which the pack mail's links are built on when FINITE_PUBLIC_URL is unset.
    os.environ["FINITE_HOST"], os.environ["FINITE_PORT"] = bind_host, str(bind_port)
    typer.echo(f"Finite listening on http://{bind_host}:{bind_port} ({settings.data_dir})")
    # /metrics sums the figures of every worker process through this folder (core/metrics.py).
    with multiprocess_folder():
        Granian(
            "finite.app:create_served_app",
            factory=True,
            address=bind_host,
            port=bind_port,
            workers=workers,
            interface=Interfaces.ASGI,
            # Not "auto": granian would take rloop whenever it is installed, and asyncpg cannot
            # start TLS on its transports ("TCPTransport protocol cannot be changed"). uvloop
            # measured no faster here.
            loop=Loops.asyncio,
            # The request line and headers of one request, at most: past it, 431 (HTTP/1.1) or
            # a refused stream (HTTP/2) before any of it reaches the app. Bodies are streamed
            # and capped by the app (1 MiB).
            http1_settings=HTTP1Settings(max_buffer_size=MAX_HEADER_BYTES),
            http2_settings=HTTP2Settings(max_headers_size=MAX_HEADER_BYTES),
            log_level=LogLevels(settings.log_level.lower()),
            log_dictconfig=granian_log_config(settings.log_format),
            # On SIGTERM each worker stops accepting, lets requests in flight finish, then runs
            # the app's shutdown (the audit rows it holds are written); one that takes longer
            # is killed — as is one told to stop while still starting, which never would
            # (granian 2.8). The default stays within systemd's and docker's 30 s.
            workers_kill_timeout=shutdown_timeout,
        ).serve()


def _refuse_a_taken_port(host: str, port: int) -> None:
    """granian listens with SO_REUSEPORT, so a second server started on a port already served
    (say, against another database) would start silently and take half of the connections.
    A plain bind fails while any other socket listens there: stop with a clear error instead."""
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        ):
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except OSError as exc:
        typer.secho(f"error: cannot listen on {host}:{port}: {exc.strerror}", fg="red", err=True)
        raise typer.Exit(1) from None


class KeysNotSaved(Exception):
    """The first run's keys file could not be written (the organization is not created)."""


async def _demo(settings: Settings, base: str, *, on_terminal: bool) -> None:
    """The keys go to an interactive terminal only: standard output that is not one ends up in
    journald or a container's log, which must never hold a key (docs/operations.md)."""
    saved: list[Path] = []

    def hand_over(demo: DemoAccess) -> None:
        if not on_terminal:
            try:
                text = _keys_text(demo, base, in_file=True)
                saved.append(write_keys_file(settings.data_dir, text))
            except OSError as exc:
                raise KeysNotSaved(str(exc)) from exc

    db = Database(settings.database_url)
    try:
        demo = await create_demo_if_empty(
            db,
            Peppers.from_secrets(
                settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
            ),
            hand_over,
        )
    finally:
        await db.dispose()
    if demo is None:
        return
    if on_terminal:
        typer.echo(_keys_text(demo, base, in_file=False))
        return
    typer.echo(
        "\n".join(
            [
                "",
                _created(demo),
                f"Its two API keys are in {saved[0]} (mode 0600, readable by this user only),",
                "not printed: standard output is not a terminal, and logs must not hold keys.",
                f"Sign in to the console at {base}/console/login as {demo.owner_email}:",
                "the password is in the same file.",
                "Read the file, save the keys and password somewhere safe, then delete the file.",
                "",
            ]
        )
    )


def _created(demo: DemoAccess) -> str:
    return f"First run: created the demo organization {demo.org_id} (owner {demo.owner_email})."


def _keys_text(demo: DemoAccess, base: str, *, in_file: bool) -> str:
    lines = [
        "" if not in_file else "Finite: the demo organization's keys",
        _created(demo),
        "These keys are shown once and cannot be recovered; save them now.",
        f"  CRM key:      {demo.crm_key}",
        f"  Handover key: {demo.handover_key}",
        "Try:",
        f'  curl -H "Authorization: Bearer {demo.crm_key}" {base}/api/me',
        f'  curl -H "Authorization: Bearer {demo.handover_key}" {base}/api/v1/auth',
        "The web console:",
        f"  Sign in at:   {base}/console/login",
        f"  Email:        {demo.owner_email}",
        f"  Password:     {demo.owner_password}",
        f"  (change it with: finite members set-password {demo.owner_email} --org {demo.org_id})",
        "",
    ]
    if in_file:
        lines[2] = "These keys and the password are in this file only and cannot be recovered."
        lines.append("Save them somewhere safe, then delete this file.\n")
    return "\n".join(lines)
