"""The periodic schedule is kept as JSON text in the tracker's own table; APScheduler's table of pickled
jobs (`lineage_schedule`) is dropped, since loading a row from it runs whatever the row says.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_APSCHEDULER_TABLE = "lineage_schedule"


def upgrade() -> None:
    op.create_table(
        "scan_schedules",
        sa.Column("target", sa.String(64), primary_key=True),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("set_at", sa.String(40), nullable=False),
    )
    # Only a database a scheduler once ran on has it; its index goes with it.
    if sa.inspect(op.get_bind()).has_table(_APSCHEDULER_TABLE):
        op.drop_table(_APSCHEDULER_TABLE)


def downgrade() -> None:
    # The pickled jobs are not brought back: an older scheduler sets its schedule again when it starts.
    op.drop_table("scan_schedules")
