"""`finite secrets`: re-seal every stored secret under the current key, and show which keys
the sealed values and the API-key hashes are under (docs/operations.md, "Rotating the secret
key")."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer

from finite.cli.common import run
from finite.config import Settings
from finite.core.keys.repository import usable_keys_by_pepper
from finite.core.sealing import sealed_columns
from finite.core.sealing.reseal import BATCH_SIZE, Resealed, key_counts, reseal_column
from finite.kit.clock import utcnow
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.secretbox import SecretBox

secrets_app = typer.Typer(
    help="Rotate the secret key: re-seal stored secrets, see what is still under an old key.",
    no_args_is_help=True,
)


@secrets_app.command("rotate")
def secrets_rotate(
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Values read and re-sealed per batch.")
    ] = BATCH_SIZE,
) -> None:
    """Re-seal every stored secret under FINITE_SECRET_KEY, in batches.

    Webhook signing secrets and credential passwords sealed under FINITE_OLD_SECRET_KEYS are
    sealed again under the current key; servers holding both keys keep working meanwhile.
    Exits 1 when a value opens under no configured key."""

    async def work(settings: Settings) -> dict[str, Resealed]:
        box = SecretBox.from_secrets(
            settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
        )
        db = Database(settings.database_url)
        try:
            return {
                sealed.name: await reseal_column(db, box, sealed, batch_size=batch_size)
                for sealed in sealed_columns()
            }
        finally:
            await db.dispose()

    failed = False
    for name, outcome in run(work).items():
        line = (
            f"{name}: {outcome.resealed} re-sealed, {outcome.current} already under the"
            f" current key, {outcome.changed} changed meanwhile"
        )
        if outcome.unopenable:
            failed = True
            shown = ", ".join(outcome.unopenable[:5])
            line += f", {len(outcome.unopenable)} open under no configured key ({shown})"
        typer.echo(line)
    if failed:
        typer.secho(
            "some values open under no configured key: add the secret they were sealed"
            " under to FINITE_OLD_SECRET_KEYS and run this again",
            fg="red",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(
        "API keys cannot be re-hashed without their plain text: each moves to the new pepper"
        " at its next use (`finite secrets status` counts those still under an old one)."
    )


@secrets_app.command("status")
def secrets_status() -> None:
    """Count what is still under an old secret key.

    Sealed values and usable API keys under the current key, under another configured one
    (FINITE_OLD_SECRET_KEYS, FINITE_NEXT_SECRET_KEYS), and under none configured."""

    async def work(settings: Settings) -> tuple[dict[str, Counter[str]], Counter[str]]:
        box = SecretBox.from_secrets(
            settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
        )
        peppers = Peppers.from_secrets(
            settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
        )
        db = Database(settings.database_url)
        try:
            columns = {
                sealed.name: await key_counts(db, box, sealed) for sealed in sealed_columns()
            }
            async with db.read() as session:
                by_pepper = await usable_keys_by_pepper(session, utcnow())
        finally:
            await db.dispose()
        others = {pepper.key_id for pepper in peppers.all()[1:]}
        keys: Counter[str] = Counter()
        for pepper_id, count in by_pepper.items():
            if pepper_id == peppers.current.key_id:
                keys["current"] += count
            else:
                keys["previous" if pepper_id in others else "unknown"] += count
        return columns, keys

    columns, keys = run(work)
    for name, counts in [*columns.items(), ("api_keys (usable)", keys)]:
        typer.echo(
            f"{name}: {counts['current']} under the current key, {counts['previous']} under"
            f" another configured one, {counts['unknown']} under none configured"
        )
    old_left = keys["previous"] + sum(counts["previous"] for counts in columns.values())
    if old_left:
        typer.echo(
            "keep FINITE_OLD_SECRET_KEYS: values or keys still need another secret"
            " (run `finite secrets rotate`; API keys move at their next use)"
        )
    else:
        typer.echo("nothing needs FINITE_OLD_SECRET_KEYS any more")
