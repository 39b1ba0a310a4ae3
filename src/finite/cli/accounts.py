"""`finite orgs`, `finite members` and `finite plans`."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, NoReturn

import typer

from finite.cli.common import run, transaction
from finite.config import Settings
from finite.core.accounts import repository
from finite.core.accounts.passwords import MIN_LENGTH, check_strength, set_password
from finite.core.accounts.service import (
    PlanChoice,
    add_member,
    create_org,
    find_role,
    resolve_member,
    resolve_org,
    set_plan,
)
from finite.core.plans.catalog import CRM_PLANS, HANDOVER_PLANS, Product, product_named
from finite.core.plans.entitlement import entitlement_of
from finite.kit.clock import utcnow
from finite.kit.errors import AppError

orgs_app = typer.Typer(help="Create and list organizations.", no_args_is_help=True)
members_app = typer.Typer(
    help="Add members to an organization and set their console passwords.", no_args_is_help=True
)
plans_app = typer.Typer(help="Set an organization's plan per product.", no_args_is_help=True)

OrgOption = Annotated[str, typer.Option("--org", help="Organization id or exact name.")]
ProductOption = Annotated[str, typer.Option("--product", help="crm or handover.")]


@orgs_app.command("create")
def orgs_create(
    name: Annotated[str, typer.Argument(help="The organization's name.")],
    crm_plan: Annotated[str, typer.Option(help=f"One of: {', '.join(CRM_PLANS)}.")] = "free",
    handover_plan: Annotated[
        str, typer.Option(help=f"One of: {', '.join(HANDOVER_PLANS)}.")
    ] = "free",
    owner_email: Annotated[str | None, typer.Option(help="The owner's email.")] = None,
    owner_name: Annotated[str, typer.Option(help="The owner's name.")] = "Owner",
) -> None:
    """Create an organization and its owner (an Admin member). Prints the org id last."""

    async def work(settings: Settings) -> None:
        email = owner_email or f"owner@{_slug(name)}.example"
        async with transaction(settings) as session:
            org, owner = await create_org(
                session,
                name,
                owner_email=email,
                owner_name=owner_name,
                crm=PlanChoice(crm_plan),
                handover=PlanChoice(handover_plan),
            )
        typer.echo(f"Created organization {org.name!r}")
        typer.echo(f"owner: {owner.name} <{owner.email}> (Admin, {owner.id})")
        typer.echo(f"plans: crm={crm_plan}, handover={handover_plan}")
        typer.echo(org.id)

    run(work)


@orgs_app.command("list")
def orgs_list() -> None:
    """List organizations with their plans."""

    async def work(settings: Settings) -> None:
        async with transaction(settings) as session:
            for org in await repository.list_orgs(session):
                plans = []
                for product in ("crm", "handover"):
                    sub = await repository.subscription(session, org.id, product)
                    if sub is not None:
                        plans.append(f"{product}={sub.plan}/{sub.status}")
                typer.echo(f"{org.id}\t{org.name}\t{' '.join(plans)}")

    run(work)


@members_app.command("add")
def members_add(
    org: OrgOption,
    email: Annotated[str, typer.Option(help="The member's email.")],
    name: Annotated[str, typer.Option(help="The member's name.")],
    role: Annotated[str, typer.Option(help="Admin, Manager, Standard or Read-only.")],
    password_prompt: Annotated[
        bool,
        typer.Option(
            "--password-prompt",
            help="Ask for the member's console password (typed twice, never echoed).",
        ),
    ] = False,
) -> None:
    """Add a member with a CRM role. Prints the member id last."""
    password = _prompt_password() if password_prompt else None

    async def work(settings: Settings) -> None:
        async with transaction(settings) as session:
            found = await resolve_org(session, org)
            member = await add_member(session, found.id, email=email, name=name, role=role)
            role_name = (await find_role(session, found.id, role)).name
            if password is not None:
                await set_password(session, found.id, member.id, password, utcnow())
        typer.echo(f"Added {member.name} <{member.email}> to {found.name!r} as {role_name}")
        if password is not None:
            typer.echo("They can sign in to the console at /console/login.")
        typer.echo(member.id)

    run(work)


@members_app.command("set-password")
def members_set_password(
    member: Annotated[str, typer.Argument(help="The member's email or id.")],
    org: OrgOption,
) -> None:
    """Set a member's console password (asked for, typed twice). Signs them out everywhere."""
    password = _prompt_password()

    async def work(settings: Settings) -> None:
        async with transaction(settings) as session:
            found = await resolve_org(session, org)
            who = await resolve_member(session, found.id, member)
            await set_password(session, found.id, who.id, password, utcnow())
        typer.echo(f"Set the console password of {who.name} <{who.email}> in {found.name!r}.")

    run(work)


def _prompt_password() -> str:
    password: str = typer.prompt(
        f"Console password (at least {MIN_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
    )
    try:
        check_strength(password)
    except AppError as exc:
        _usage_error(exc.message)
    return password


@plans_app.command("set")
def plans_set(
    org: OrgOption,
    product: ProductOption,
    plan: Annotated[
        str | None,
        typer.Option(
            help="The plan name, e.g. professional or agency. Leave it out to change only the "
            "overrides (--rpm, --webhooks, --clear-overrides) and keep the plan."
        ),
    ] = None,
    status: Annotated[
        str | None, typer.Option(help="With --plan: trial, active, expired or suspended.")
    ] = None,
    trial_days: Annotated[
        int | None, typer.Option(help="With --status trial: days until the trial ends.")
    ] = None,
    rpm: Annotated[int | None, typer.Option(help="Override: requests per minute.")] = None,
    webhooks: Annotated[int | None, typer.Option(help="Override: webhook endpoints.")] = None,
    clear_overrides: Annotated[bool, typer.Option(help="Drop earlier overrides.")] = False,
) -> None:
    """Change a plan or its overrides; it takes effect on the next request."""
    checked = _product(product)
    if plan is None and (status is not None or trial_days is not None):
        _usage_error("--status and --trial-days need --plan")
    if plan is None and rpm is None and webhooks is None and not clear_overrides:
        _usage_error(
            "--plan is required, unless only the overrides change "
            "(--rpm, --webhooks or --clear-overrides)"
        )
    chosen_status = status or "active"
    if trial_days is not None and (chosen_status != "trial" or trial_days < 1):
        _usage_error("--trial-days needs --status trial and a value of 1 or more")

    async def work(settings: Settings) -> None:
        trial_ends = utcnow() + timedelta(days=trial_days) if trial_days is not None else None
        choice = None if plan is None else PlanChoice(plan, chosen_status, trial_ends)
        async with transaction(settings) as session:
            found = await resolve_org(session, org)
            sub = await set_plan(
                session,
                found.id,
                checked,
                choice,
                rpm_override=rpm,
                webhooks_override=webhooks,
                clear_overrides=clear_overrides,
            )
        effective = entitlement_of(sub, utcnow())
        in_force = effective.status
        if effective.effective_plan != sub.plan:
            in_force += f", limits of {effective.effective_plan}"
        typer.echo(
            f"{found.name}: {checked} plan {sub.plan} ({in_force}); "
            f"{effective.requests_per_minute} requests/minute, "
            f"{effective.webhook_endpoints} webhook endpoints"
        )

    run(work)


def _usage_error(message: str) -> NoReturn:
    typer.secho(f"error: {message}", fg="red", err=True)
    raise typer.Exit(2)


def _product(value: str) -> Product:
    try:
        return product_named(value)
    except ValueError:
        typer.secho("error: --product must be crm or handover", fg="red", err=True)
        raise typer.Exit(2) from None


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "org"
