"""audit rows waiting to be sealed

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07

A partial index of the audit rows not sealed yet, in the order the sealer takes them
(core/audit/chain.py): SQLite answered "this organization's waiting rows, oldest first" by
reading every row of the organization through (org_id, occurred_at), 28 ms a round at 83k rows
and growing with the log. The index holds only the few rows waiting.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WAITING = sa.text("seq IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_audit_log_waiting",
        "audit_log",
        ["org_id", "occurred_at", "id"],
        postgresql_where=_WAITING,
        sqlite_where=_WAITING,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_log_waiting", table_name="audit_log")
