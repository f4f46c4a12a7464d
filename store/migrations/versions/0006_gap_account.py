"""The account a coverage gap is in: a scan may cover a whole organization, and a role that could not be
assumed is a gap of that account. Gaps stored before say nothing (an empty text), never a guess.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("coverage_gaps") as batch:
        batch.add_column(sa.Column("account", sa.Text, nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("coverage_gaps") as batch:
        batch.drop_column("account")
