"""retention indexes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

Retention (core/retention/) deletes the oldest rows of each kind in small batches, oldest
first: each kind's age column gets an index, so a batch reads only the rows it deletes instead
of scanning the whole table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXES = (
    ("ix_events_occurred", "events", "occurred_at"),
    ("ix_webhook_deliveries_created", "webhook_deliveries", "created_at"),
    ("ix_webhook_attempts_attempted", "webhook_attempts", "attempted_at"),
    ("ix_idempotency_keys_created", "idempotency_keys", "created_at"),
)


def upgrade() -> None:
    for name, table, column in _INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    for name, table, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
