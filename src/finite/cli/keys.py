"""`finite keys`: create, list and revoke API keys of both products."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from finite.cli.accounts import OrgOption, ProductOption, _product
from finite.cli.common import run, transaction
from finite.config import Settings
from finite.core.accounts import repository as accounts
from finite.core.accounts.service import resolve_member, resolve_org
from finite.core.keys import repository as keys_repository
from finite.core.keys import service as keys
from finite.core.keys.tokens import hint
from finite.core.plans.catalog import PRODUCTS, product_named
from finite.kit.clock import utcnow
from finite.kit.derived_keys import Peppers
from finite.kit.errors import not_found

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    org: OrgOption,
    product: ProductOption,
    name: Annotated[str, typer.Option(help="A name that says where the key is used.")],
    member: Annotated[
        str | None, typer.Option(help="The member's email (CRM keys act with their role).")
    ] = None,
    scopes: Annotated[
        str, typer.Option(help="Handover keys: comma-separated read,write,admin.")
    ] = "read,write,admin",
    expires_in_days: Annotated[int | None, typer.Option(min=1, help="Expire after N days.")] = None,
) -> None:
    """Create a key. The full key is printed once, alone on the last line."""
    checked = _product(product)

    async def work(settings: Settings) -> None:
        peppers = Peppers.from_secrets(
            settings.secret_key, settings.old_secret_keys, settings.next_secret_keys
        )
        expires = (
            utcnow() + timedelta(days=expires_in_days) if expires_in_days is not None else None
        )
        async with transaction(settings) as session:
            found = await resolve_org(session, org)
            if member is None:
                owner = await accounts.owner_of(session, found.id)
                if owner is None:
                    raise not_found("The organization has no owner; pass --member.")
                holder = owner
            else:
                holder = await resolve_member(session, found.id, member)
            created = await keys.create_key(
                session,
                peppers,
                org_id=found.id,
                product=checked,
                name=name,
                member_id=holder.id if checked == "crm" else None,
                scopes=scopes.split(","),
                expires_at=expires,
            )
        record = created.record
        typer.echo(f"Created {checked} key {record.name!r} ({record.id}) for {holder.email}")
        if checked == "handover":
            typer.echo(f"scopes: {','.join(record.scopes)}")
        typer.echo("This is the only time the key is shown:")
        typer.echo(created.token)

    run(work)


@keys_app.command("list")
def keys_list(org: OrgOption) -> None:
    """List an organization's keys (never the keys themselves)."""

    async def work(settings: Settings) -> None:
        now = utcnow()
        async with transaction(settings) as session:
            found = await resolve_org(session, org)
            for product in PRODUCTS:
                for key in await keys.list_keys(session, found.id, product):
                    used = key.last_used_at.isoformat() if key.last_used_at else "never"
                    typer.echo(
                        "\t".join(
                            [
                                key.id,
                                product,
                                hint(product, key.last_four),
                                key.name,
                                ",".join(key.scopes) or "-",
                                keys.key_status(key, now),
                                f"last used {used}",
                            ]
                        )
                    )

    run(work)


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (key_…).")]) -> None:
    """Revoke a key; it is refused from the very next request."""

    async def work(settings: Settings) -> None:
        async with transaction(settings) as session:
            key = await keys_repository.key_by_id(session, key_id)
            if key is None:
                raise not_found(f"No API key {key_id!r}.")
            await keys.revoke_key(session, key.org_id, key.id, product_named(key.product))
        typer.echo(f"Revoked {key_id}")

    run(work)
