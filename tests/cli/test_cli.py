"""The `finite` command, driven in-process on both backends.

The CLI calls asyncio.run itself, so these are plain sync tests. Keys it prints are checked by
authenticating them directly, with the same secret the CLI was given.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import ColumnElement, func, select
from typer.testing import CliRunner, Result

from finite.cli import app
from finite.core.auth.authenticate import authenticate
from finite.core.auth.principal import Principal
from finite.core.plans.catalog import Product
from finite.kit.db import Database
from finite.kit.derived_keys import Peppers
from finite.kit.errors import AppError
from finite.kit.ids import new_id
from finite.models import Base, Member, Organization
from tests.conftest import TEST_SECRET, Invoke

CRM_KEY = re.compile(r"^fsk_[0-9A-Za-z]{49}$")
HANDOVER_KEY = re.compile(r"^fz_live_[0-9A-Za-z]{49}$")
ANY_FULL_KEY = re.compile(r"(fsk_|fz_live_)[0-9A-Za-z]{8,}")
KEY_ID = re.compile(r"\((key_[0-9a-z]+)\)")


# --- helpers -------------------------------------------------------------------------------


def ok(result: Result) -> list[str]:
    """The stdout lines of a command that must have succeeded."""
    assert result.exit_code == 0, (result.exit_code, result.stdout, result.stderr)
    return result.stdout.splitlines()


def failed(result: Result) -> str:
    """The stderr of a command that must have failed cleanly (an exit code, no traceback)."""
    assert result.exit_code != 0, result.stdout
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.stderr


def unique_name(label: str = "Cli Org") -> str:
    return f"{label} {new_id('n')[-8:]}"


def create_org(cli: Invoke, name: str | None = None, *extra: str) -> tuple[str, str]:
    """Create an organization; returns (org id, name)."""
    name = name or unique_name()
    lines = ok(cli("orgs", "create", name, *extra))
    org_id = lines[-1]
    assert re.fullmatch(r"org_[0-9a-z]+", org_id), lines
    return org_id, name


def create_key(cli: Invoke, *args: str) -> tuple[str, str, list[str]]:
    """`finite keys create ARGS`; returns (key, key id, all stdout lines)."""
    lines = ok(cli("keys", "create", *args))
    key = lines[-1]
    found = KEY_ID.search(lines[0])
    assert found is not None, lines
    return key, found.group(1), lines


def authenticate_key(database_url: str, key: str, product: Product) -> Principal:
    async def work() -> Principal:
        db = Database(database_url)
        try:
            return await authenticate(
                db,
                Peppers.from_secrets(TEST_SECRET),
                [(b"authorization", b"Bearer " + key.encode())],
                product,
            )
        finally:
            await db.dispose()

    return asyncio.run(work())


def refusal(database_url: str, key: str, product: Product) -> AppError:
    with pytest.raises(AppError) as caught:
        authenticate_key(database_url, key, product)
    return caught.value


def add_member(cli: Invoke, org: str, email: str, role: str, *, name: str = "Member") -> Result:
    return cli("members", "add", "--org", org, "--email", email, "--name", name, "--role", role)


def org_lines(cli: Invoke) -> list[str]:
    return ok(cli("orgs", "list"))


# --- help ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["serve", "migrate", "orgs", "members", "keys", "plans"]),
        (["orgs"], ["create", "list"]),
        (["members"], ["add"]),
        (["keys"], ["create", "list", "revoke"]),
        (["plans"], ["set"]),
        (["serve"], ["--port", "--host"]),
        (["migrate"], ["Usage"]),
        (["orgs", "create"], ["--crm-plan", "--handover-plan"]),
        (["members", "add"], ["--org", "--email", "--role"]),
        (["keys", "create"], ["--org", "--product", "--member", "--scopes"]),
        (["keys", "list"], ["--org"]),
        (["keys", "revoke"], ["key_id", "Revoke a key"]),
        (["plans", "set"], ["--plan", "--status", "--rpm"]),
        (["import"], ["--key", "--upsert-on", "--dry-run", "--stop-on-error", "--report"]),
    ],
)
def test_help_works_for_every_command(args: list[str], expected: list[str]) -> None:
    result = CliRunner().invoke(app, [*args, "--help"], env={"TERMINAL_WIDTH": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout
    for word in expected:
        assert word in result.stdout, (word, result.stdout)


# --- migrate and orgs ----------------------------------------------------------------------


def test_migrate_reports_an_up_to_date_database(cli: Invoke) -> None:
    assert ok(cli("migrate"))[-1] == "database is up to date"


def test_orgs_create_prints_the_id_last_and_list_shows_it(cli: Invoke) -> None:
    name = unique_name("Acme")
    lines = ok(cli("orgs", "create", name, "--crm-plan", "professional", "--handover-plan", "pro"))
    org_id = lines[-1]
    assert re.fullmatch(r"org_[0-9a-z]+", org_id)
    assert "plans: crm=professional, handover=pro" in lines

    listed = [line for line in org_lines(cli) if line.startswith(org_id)]
    assert listed == [f"{org_id}\t{name}\tcrm=professional/active handover=pro/active"]


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--crm-plan", "unknown crm plan 'platinum'; choose one of free, standard"),
        ("--handover-plan", "unknown handover plan 'platinum'; choose one of free, pro, agency"),
    ],
)
def test_an_unknown_plan_fails_clearly_and_creates_nothing(
    cli: Invoke, database_url: str, option: str, message: str
) -> None:
    name = unique_name("Never")
    result = cli("orgs", "create", name, option, "platinum", "--owner-email", "never@example.com")
    assert message in failed(result)
    assert result.stdout == ""
    assert all(name not in line for line in org_lines(cli))
    assert count_rows(database_url, Organization, Organization.name == name) == 0
    assert count_rows(database_url, Member, Member.email == "never@example.com") == 0


def count_rows(database_url: str, model: type[Base], *where: ColumnElement[bool]) -> int:
    async def work() -> int:
        db = Database(database_url)
        try:
            async with db.read() as session:
                query = select(func.count()).select_from(model).where(*where)
                return int(await session.scalar(query) or 0)
        finally:
            await db.dispose()

    return asyncio.run(work())


def test_an_unknown_organization_is_an_error(cli: Invoke) -> None:
    stderr = failed(cli("keys", "list", "--org", "No Such Org " + new_id("x")))
    assert "No organization" in stderr


def test_a_name_shared_by_two_organizations_asks_for_the_id(cli: Invoke) -> None:
    name = unique_name("Twin")
    create_org(cli, name)
    create_org(cli, name)
    stderr = failed(cli("keys", "list", "--org", name))
    assert "2 organizations are named" in stderr
    assert "use the id" in stderr


# --- members -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling", ["read-only", "Read-only", "READ_ONLY", "read only", "ReadOnly"]
)
def test_members_add_matches_roles_loosely_and_keys_act_with_that_role(
    cli: Invoke, database_url: str, spelling: str
) -> None:
    org_id, _ = create_org(cli)
    lines = ok(add_member(cli, org_id, "Rita@Example.com", spelling, name="Rita"))
    member_id = lines[-1]
    assert re.fullmatch(r"mem_[0-9a-z]+", member_id)
    assert "rita@example.com" in lines[0]

    key, _, _ = create_key(
        cli, "--org", org_id, "--product", "crm", "--name", "rita", "--member", "rita@example.com"
    )
    principal = authenticate_key(database_url, key, "crm")
    assert principal.member is not None
    assert principal.role is not None
    assert principal.member.id == member_id
    assert principal.member.email == "rita@example.com"
    assert principal.role.name == "Read-only"
    assert not principal.is_admin
    assert principal.may("contacts", "view")
    assert not principal.may("contacts", "edit")


def test_members_add_refuses_a_duplicate_email(cli: Invoke) -> None:
    org_id, _ = create_org(cli)
    args = ("members", "add", "--org", org_id, "--name", "Sam", "--role", "Standard")
    ok(cli(*args, "--email", "sam@example.com"))
    stderr = failed(cli(*args, "--email", "  SAM@example.com "))
    assert "already exists" in stderr
    # The owner's address is taken too.
    stderr = failed(cli(*args, "--email", f"owner@{org_slug(cli, org_id)}.example"))
    assert "already exists" in stderr


def org_slug(cli: Invoke, org_id: str) -> str:
    name = next(line.split("\t")[1] for line in org_lines(cli) if line.startswith(org_id))
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def test_members_add_refuses_an_unknown_role(cli: Invoke) -> None:
    org_id, _ = create_org(cli)
    stderr = failed(add_member(cli, org_id, "x@example.com", "Overlord", name="X"))
    assert "unknown role 'Overlord'" in stderr
    choices = stderr.partition("choose one of ")[2].strip().split(", ")
    assert sorted(choices) == ["Admin", "Manager", "Read-only", "Standard"]


# --- keys ----------------------------------------------------------------------------------


def test_keys_create_prints_a_crm_key_alone_on_the_last_line_acting_as_the_owner(
    cli: Invoke, database_url: str
) -> None:
    org_id, name = create_org(cli)
    key, key_id, lines = create_key(cli, "--org", org_id, "--product", "crm", "--name", "ci")
    assert CRM_KEY.fullmatch(key), key
    assert sum(key in line for line in lines) == 1, "the key is printed once"
    assert lines[-2] == "This is the only time the key is shown:"

    principal = authenticate_key(database_url, key, "crm")
    assert principal.product == "crm"
    assert (principal.org_id, principal.org_name) == (org_id, name)
    assert (principal.key_id, principal.key_name) == (key_id, "ci")
    assert principal.role is not None
    assert principal.member is not None
    assert principal.role.name == "Admin"
    assert principal.is_admin
    assert principal.member.email == f"owner@{org_slug(cli, org_id)}.example"
    assert principal.scopes == frozenset()
    # A CRM key is refused by the handover surface.
    assert refusal(database_url, key, "handover").status == 401


def test_keys_create_with_member_acts_with_that_members_role(
    cli: Invoke, database_url: str
) -> None:
    org_id, _ = create_org(cli)
    ok(add_member(cli, org_id, "mo@example.com", "manager", name="Mo"))
    key, _, lines = create_key(
        cli, "--org", org_id, "--product", "crm", "--name", "mo", "--member", "mo@example.com"
    )
    assert "for mo@example.com" in lines[0]
    principal = authenticate_key(database_url, key, "crm")
    assert principal.role is not None
    assert principal.role.name == "Manager"
    assert not principal.is_admin


def test_keys_create_for_an_unknown_member_fails(cli: Invoke) -> None:
    org_id, _ = create_org(cli)
    stderr = failed(
        cli(
            "keys",
            "create",
            "--org",
            org_id,
            "--product",
            "crm",
            "--name",
            "n",
            "--member",
            "ghost@example.com",
        )
    )
    assert "No member 'ghost@example.com'" in stderr


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [("read", {"read"}), ("write, READ", {"read", "write"}), ("read,write,admin", None)],
)
def test_keys_create_handover_with_scopes(
    cli: Invoke, database_url: str, scopes: str, expected: set[str] | None
) -> None:
    expected = expected or {"read", "write", "admin"}
    org_id, _ = create_org(cli, None, "--handover-plan", "agency")
    key, _, lines = create_key(
        cli, "--org", org_id, "--product", "handover", "--name", "zap", "--scopes", scopes
    )
    assert HANDOVER_KEY.fullmatch(key), key
    canonical = [scope for scope in ("read", "write", "admin") if scope in expected]
    assert f"scopes: {','.join(canonical)}" in lines
    principal = authenticate_key(database_url, key, "handover")
    assert principal.scopes == frozenset(expected)
    assert principal.org_id == org_id
    assert refusal(database_url, key, "crm").status == 401


@pytest.mark.parametrize("scopes", ["bogus", "read,bogus", ",", ""])
def test_keys_create_refuses_unknown_or_missing_scopes(cli: Invoke, scopes: str) -> None:
    org_id, _ = create_org(cli)
    result = cli(
        "keys",
        "create",
        "--org",
        org_id,
        "--product",
        "handover",
        "--name",
        "bad",
        "--scopes",
        scopes,
    )
    stderr = failed(result)
    assert "scopes:" in stderr
    assert not ANY_FULL_KEY.search(result.output)
    assert ok(cli("keys", "list", "--org", org_id)) == [], "no key was created"


def test_keys_create_refuses_an_unknown_product(cli: Invoke) -> None:
    org_id, _ = create_org(cli)
    result = cli("keys", "create", "--org", org_id, "--product", "billing", "--name", "n")
    assert result.exit_code == 2
    assert "--product must be crm or handover" in result.stderr


def test_keys_list_shows_hints_but_never_a_key(cli: Invoke) -> None:
    org_id, _ = create_org(cli)
    crm, crm_id, _ = create_key(cli, "--org", org_id, "--product", "crm", "--name", "one")
    handover, handover_id, _ = create_key(
        cli, "--org", org_id, "--product", "handover", "--name", "two", "--scopes", "read"
    )
    result = cli("keys", "list", "--org", org_id)
    lines = ok(result)
    assert len(lines) == 2
    output = result.output
    for key in (crm, handover):
        assert key not in output
        assert key[-12:-4] not in output
    assert not ANY_FULL_KEY.search(output)
    rows = {line.split("\t")[0]: line.split("\t") for line in lines}
    assert rows[crm_id][1:6] == ["crm", f"fsk_…{crm[-4:]}", "one", "-", "active"]
    assert rows[handover_id][1:6] == [
        "handover",
        f"fz_live_…{handover[-4:]}",
        "two",
        "read",
        "active",
    ]
    assert rows[crm_id][6] == "last used never"


def test_keys_revoke_refuses_the_key_from_the_next_request(cli: Invoke, database_url: str) -> None:
    org_id, _ = create_org(cli)
    key, key_id, _ = create_key(cli, "--org", org_id, "--product", "crm", "--name", "doomed")
    other, _, _ = create_key(cli, "--org", org_id, "--product", "handover", "--name", "kept")
    assert authenticate_key(database_url, key, "crm").key_id == key_id

    assert ok(cli("keys", "revoke", key_id)) == [f"Revoked {key_id}"]
    error = refusal(database_url, key, "crm")
    assert (error.status, error.code) == (401, "UNAUTHORIZED")
    assert authenticate_key(database_url, other, "handover").org_id == org_id

    listed = [line.split("\t") for line in ok(cli("keys", "list", "--org", org_id))]
    assert {row[0]: row[5] for row in listed}[key_id] == "revoked"
    # Revoking again is harmless; an unknown id is an error.
    assert ok(cli("keys", "revoke", key_id)) == [f"Revoked {key_id}"]
    assert "No API key 'key_nope'" in failed(cli("keys", "revoke", "key_nope"))


def test_keys_revoke_works_for_handover_keys(cli: Invoke, database_url: str) -> None:
    org_id, _ = create_org(cli, None, "--handover-plan", "agency")
    key, key_id, _ = create_key(cli, "--org", org_id, "--product", "handover", "--name", "h")
    assert authenticate_key(database_url, key, "handover").key_id == key_id
    ok(cli("keys", "revoke", key_id))
    assert refusal(database_url, key, "handover").status == 401


# --- plans ---------------------------------------------------------------------------------


def test_plans_set_changes_the_plan_and_suspension_refuses_keys(
    cli: Invoke, database_url: str
) -> None:
    org_id, name = create_org(cli)
    crm, _, _ = create_key(cli, "--org", org_id, "--product", "crm", "--name", "c")
    handover, _, _ = create_key(cli, "--org", org_id, "--product", "handover", "--name", "h")
    assert authenticate_key(database_url, crm, "crm").entitlement.plan == "free"

    lines = ok(cli("plans", "set", "--org", org_id, "--product", "crm", "--plan", "ultimate"))
    assert lines == [
        f"{name}: crm plan ultimate (active); 960 requests/minute, 50 webhook endpoints"
    ]
    entitlement = authenticate_key(database_url, crm, "crm").entitlement
    assert (entitlement.plan, entitlement.status, entitlement.requests_per_minute) == (
        "ultimate",
        "active",
        960,
    )

    lines = ok(
        cli(
            "plans",
            "set",
            "--org",
            org_id,
            "--product",
            "crm",
            "--plan",
            "ultimate",
            "--status",
            "suspended",
        )
    )
    assert "crm plan ultimate (suspended)" in lines[0]
    error = refusal(database_url, crm, "crm")
    assert (error.status, error.code) == (403, "SUBSCRIPTION_SUSPENDED")
    # Only the CRM subscription is suspended.
    assert authenticate_key(database_url, handover, "handover").org_id == org_id

    ok(cli("plans", "set", "--org", org_id, "--product", "crm", "--plan", "ultimate"))
    assert authenticate_key(database_url, crm, "crm").entitlement.status == "active"


def test_plans_set_override_shows_in_the_output_and_applies(cli: Invoke, database_url: str) -> None:
    org_id, name = create_org(cli)
    crm, _, _ = create_key(cli, "--org", org_id, "--product", "crm", "--name", "c")
    lines = ok(
        cli(
            "plans",
            "set",
            "--org",
            org_id,
            "--product",
            "crm",
            "--plan",
            "professional",
            "--rpm",
            "5000",
        )
    )
    assert "5000 requests/minute" in lines[0]
    assert authenticate_key(database_url, crm, "crm").entitlement.requests_per_minute == 5000

    # An override survives a later plan change until cleared.
    lines = ok(cli("plans", "set", "--org", org_id, "--product", "crm", "--plan", "standard"))
    assert "5000 requests/minute" in lines[0]
    lines = ok(
        cli(
            "plans",
            "set",
            "--org",
            org_id,
            "--product",
            "crm",
            "--plan",
            "standard",
            "--clear-overrides",
        )
    )
    assert lines == [
        f"{name}: crm plan standard (active); 120 requests/minute, 3 webhook endpoints"
    ]


def test_plans_set_changes_only_the_overrides_without_plan(cli: Invoke, database_url: str) -> None:
    org_id, name = create_org(cli)
    crm, _, _ = create_key(cli, "--org", org_id, "--product", "crm", "--name", "c")
    plans_set = ("plans", "set", "--org", org_id, "--product", "crm")
    ok(cli(*plans_set, "--plan", "standard", "--status", "trial", "--webhooks", "9"))

    in_force = f"{name}: crm plan standard (trial, limits of enterprise)"

    lines = ok(cli(*plans_set, "--rpm", "5000"))
    assert lines == [f"{in_force}; 5000 requests/minute, 9 webhook endpoints"]

    # The plan and its status stay; the overrides go.
    lines = ok(cli(*plans_set, "--clear-overrides"))
    assert lines == [f"{in_force}; 480 requests/minute, 25 webhook endpoints"]
    entitlement = authenticate_key(database_url, crm, "crm").entitlement
    assert (entitlement.plan, entitlement.status, entitlement.requests_per_minute) == (
        "standard",
        "trial",
        480,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--plan is required, unless only the overrides change"),
        (["--status", "suspended"], "--status and --trial-days need --plan"),
        (["--trial-days", "3"], "--status and --trial-days need --plan"),
    ],
)
def test_plans_set_without_plan_needs_an_override_to_change(
    cli: Invoke, args: list[str], message: str
) -> None:
    org_id, _ = create_org(cli)
    result = cli("plans", "set", "--org", org_id, "--product", "crm", *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert "Traceback" not in result.output
    listed = next(line for line in org_lines(cli) if line.startswith(org_id))
    assert listed.endswith("crm=free/active handover=free/active")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--product", "crm", "--plan", "pro"], "unknown crm plan 'pro'"),
        (["--product", "handover", "--plan", "ultimate"], "unknown handover plan 'ultimate'"),
        (["--product", "crm", "--plan", "free", "--status", "paused"], "status: must be one of"),
        (["--product", "crm", "--plan", "free", "--rpm", "-1"], "rpm: must be zero or more"),
    ],
)
def test_plans_set_refuses_bad_values(cli: Invoke, args: list[str], message: str) -> None:
    org_id, _ = create_org(cli)
    assert message in failed(cli("plans", "set", "--org", org_id, *args))
    listed = next(line for line in org_lines(cli) if line.startswith(org_id))
    assert listed.endswith("crm=free/active handover=free/active")


def test_plans_set_refuses_an_unknown_product(cli: Invoke) -> None:
    org_id, _ = create_org(cli)
    result = cli("plans", "set", "--org", org_id, "--product", "erp", "--plan", "free")
    assert result.exit_code == 2
    assert "--product must be crm or handover" in result.stderr


def test_an_organization_can_be_referenced_by_its_exact_name(
    cli: Invoke, database_url: str
) -> None:
    org_id, name = create_org(cli, unique_name("Named Org"))
    ok(add_member(cli, name, "n@example.com", "Standard", name="N"))
    key, _, _ = create_key(
        cli, "--org", name, "--product", "crm", "--name", "by name", "--member", "n@example.com"
    )
    principal = authenticate_key(database_url, key, "crm")
    assert principal.org_id == org_id
    assert principal.role is not None
    assert principal.role.name == "Standard"

    lines = ok(cli("plans", "set", "--org", name, "--product", "crm", "--plan", "enterprise"))
    assert lines[0].startswith(f"{name}: crm plan enterprise")
    assert [line.split("\t")[0] for line in ok(cli("keys", "list", "--org", name))] == [
        principal.key_id
    ]
    # Not a prefix, nor another case.
    assert "No organization" in failed(cli("keys", "list", "--org", name[:-1]))
    assert "No organization" in failed(cli("keys", "list", "--org", name.upper()))
