"""Fields that hold what AWS (or a template) wrote are text of any length: an account, region or kind
taken from an ARN that is not one (`{{ data.aws_caller_identity.current.account_id }}`) must not cost
the scan on a database that enforces lengths.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_WIDENED = {
    "nodes": {"kind": 64, "account": 32, "region": 32},
    "coverage_gaps": {"service": 32, "operation": 96, "region": 32},
    "findings": {"rule": 96},
}


def upgrade() -> None:
    for table, columns in _WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column, length in columns.items():
                batch.alter_column(column, type_=sa.Text, existing_type=sa.String(length), existing_nullable=False)


def downgrade() -> None:
    for table, columns in _WIDENED.items():
        with op.batch_alter_table(table) as batch:
            for column, length in columns.items():
                batch.alter_column(column, type_=sa.String(length), existing_type=sa.Text, existing_nullable=False)
