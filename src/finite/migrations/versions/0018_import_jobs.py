"""import jobs

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07

CSV import (POST /api/import/{module}.csv): the job with its options, progress and lease, the
uploaded rows in chunks (so any process can run the job with flat memory), and the report of
the rows that failed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import finite.kit.db_types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _moment(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, finite.kit.db_types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "crm_import_jobs",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("module", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("client_ip", sa.String(length=64), nullable=True),
        sa.Column("upsert_on", sa.String(length=64), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("stop_on_error", sa.Boolean(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("ignored_columns", sa.JSON(), nullable=False),
        sa.Column("total_rows", sa.BigInteger(), nullable=False),
        sa.Column("total_chunks", sa.Integer(), nullable=False),
        sa.Column("next_chunk", sa.Integer(), nullable=False),
        sa.Column("last_row", sa.BigInteger(), nullable=False),
        sa.Column("rows_done", sa.BigInteger(), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        _moment("lease_until", nullable=True),
        sa.Column("lease_token", sa.String(length=40), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _moment("created_at", nullable=False),
        _moment("started_at", nullable=True),
        _moment("finished_at", nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("org_id", "id"),
    )
    op.create_index("ix_crm_import_jobs_org_created", "crm_import_jobs", ["org_id", "created_at"])
    op.create_index("ix_crm_import_jobs_status", "crm_import_jobs", ["status", "lease_until"])
    op.create_index("ix_crm_import_jobs_created", "crm_import_jobs", ["created_at"])
    op.create_table(
        "crm_import_chunks",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("first_row", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        _moment("created_at", nullable=False),
        sa.PrimaryKeyConstraint("org_id", "job_id", "seq"),
    )
    op.create_index("ix_crm_import_chunks_created", "crm_import_chunks", ["created_at"])
    op.create_table(
        "crm_import_problems",
        sa.Column("org_id", sa.String(length=40), nullable=False),
        sa.Column("job_id", sa.String(length=40), nullable=False),
        sa.Column("row", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        _moment("created_at", nullable=False),
        sa.PrimaryKeyConstraint("org_id", "job_id", "row", "position"),
    )
    op.create_index("ix_crm_import_problems_created", "crm_import_problems", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_crm_import_problems_created", table_name="crm_import_problems")
    op.drop_table("crm_import_problems")
    op.drop_index("ix_crm_import_chunks_created", table_name="crm_import_chunks")
    op.drop_table("crm_import_chunks")
    op.drop_index("ix_crm_import_jobs_created", table_name="crm_import_jobs")
    op.drop_index("ix_crm_import_jobs_status", table_name="crm_import_jobs")
    op.drop_index("ix_crm_import_jobs_org_created", table_name="crm_import_jobs")
    op.drop_table("crm_import_jobs")
