"""The `finite` command."""

from __future__ import annotations

import typer

from finite.cli.accounts import members_app, orgs_app, plans_app
from finite.cli.audit import audit_app
from finite.cli.backup import backup
from finite.cli.bench import bench_app
from finite.cli.imports import import_csv
from finite.cli.keys import keys_app
from finite.cli.retention import retention_app
from finite.cli.rotation import secrets_app
from finite.cli.serve import migrate, serve
from finite.cli.worker import worker

app = typer.Typer(
    help="Finite: the CRM API and the Handover API on one self-hosted server.",
    no_args_is_help=True,
    add_completion=False,
)
app.command("serve")(serve)
app.command("migrate")(migrate)
app.command("worker")(worker)
app.command("backup")(backup)
app.command("import")(import_csv)
app.add_typer(orgs_app, name="orgs")
app.add_typer(members_app, name="members")
app.add_typer(keys_app, name="keys")
app.add_typer(plans_app, name="plans")
app.add_typer(bench_app, name="bench")
app.add_typer(audit_app, name="audit")
app.add_typer(retention_app, name="retention")
app.add_typer(secrets_app, name="secrets")


def main() -> None:
    app()
