"""Who a scan ran as: the ARN STS gives for its credentials, evidence an auditor asks for. Scans stored
before it say nothing (an empty text), never a guess.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("caller", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("scans") as batch:
        batch.drop_column("caller")
