"""A scan is recorded when it starts (who runs it, what it scans, why it failed); locks per target.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("target", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("owner", sa.String(255), nullable=False, server_default=""))
        batch.add_column(sa.Column("error", sa.Text, nullable=False, server_default=""))
    op.create_table(
        "scan_locks",
        sa.Column("target", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(255), nullable=False),
        sa.Column("acquired_at", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("scan_locks")
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("error")
        batch.drop_column("owner")
        batch.drop_column("target")
