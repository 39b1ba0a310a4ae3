"""handover events

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07

The handover's events in the outbox: a project's string id in `events.subject_id` (the CRM's
events keep their numeric `record_id`), an index for the handover's event log read newest first
per type (Zapier's polling triggers), and `webhook_endpoints.kind`: a webhook, or a REST hook
subscription (Zapier's instant triggers) that a 410 from its target deletes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HANDOVER = sa.text("product = 'handover'")


def upgrade() -> None:
    op.add_column("events", sa.Column("subject_id", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_events_handover_log",
        "events",
        ["org_id", "event", "id"],
        postgresql_where=_HANDOVER,
        sqlite_where=_HANDOVER,
    )
    op.add_column(
        "webhook_endpoints",
        sa.Column("kind", sa.String(length=16), server_default="webhook", nullable=False),
    )


def downgrade() -> None:
    op.drop_column("webhook_endpoints", "kind")
    op.drop_index("ix_events_handover_log", table_name="events")
    op.drop_column("events", "subject_id")
