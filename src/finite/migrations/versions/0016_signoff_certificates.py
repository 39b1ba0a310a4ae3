"""sign-off certificates

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07

A sign-off's consent version and its certificate's hash (SHA-256 of the canonical evidence
record, handover/signoffs/canonical.py), unique: /verify/{hash} finds the sign-off by it.
Both are null on sign-offs recorded before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("handover_signoffs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_version", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("certificate_sha256", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "uq_handover_signoffs_certificate", ["certificate_sha256"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("handover_signoffs", schema=None) as batch_op:
        batch_op.drop_index("uq_handover_signoffs_certificate")
        batch_op.drop_column("certificate_sha256")
        batch_op.drop_column("consent_version")
