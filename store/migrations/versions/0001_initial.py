"""Scans with their nodes, edges, findings and coverage gaps.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _scan_key() -> sa.Column:
    return sa.Column("scan_id", sa.String(64), sa.ForeignKey("scans.id", ondelete="CASCADE"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("started_at", sa.String(40), nullable=False, index=True),
        sa.Column("finished_at", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("accounts", sa.JSON, nullable=False),
        sa.Column("regions", sa.JSON, nullable=False),
        sa.Column("api_calls", sa.JSON, nullable=False),
    )
    op.create_table(
        "nodes", _scan_key(),
        sa.Column("id", sa.Text, nullable=False), sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("stage", sa.String(16), nullable=False), sa.Column("name", sa.Text, nullable=False),
        sa.Column("account", sa.String(32), nullable=False), sa.Column("region", sa.String(32), nullable=False),
        sa.Column("observed", sa.Boolean, nullable=False), sa.Column("attributes", sa.JSON, nullable=False),
    )
    op.create_index("ix_nodes_scan", "nodes", ["scan_id"])
    op.create_table(
        "edges", _scan_key(),
        sa.Column("source", sa.Text, nullable=False), sa.Column("target", sa.Text, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False), sa.Column("evidence", sa.JSON, nullable=False),
    )
    op.create_index("ix_edges_scan", "edges", ["scan_id"])
    op.create_table(
        "findings", _scan_key(),
        sa.Column("id", sa.String(32), nullable=False), sa.Column("rule", sa.String(96), nullable=False),
        sa.Column("category", sa.String(16), nullable=False), sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("node", sa.Text, nullable=False), sa.Column("message", sa.Text, nullable=False),
        sa.Column("remediation", sa.Text, nullable=False), sa.Column("evidence", sa.JSON, nullable=False),
    )
    op.create_index("ix_findings_scan", "findings", ["scan_id"])
    op.create_table(
        "coverage_gaps", _scan_key(),
        sa.Column("position", sa.Integer, nullable=False), sa.Column("service", sa.String(32), nullable=False),
        sa.Column("operation", sa.String(96), nullable=False), sa.Column("resource", sa.Text, nullable=False),
        sa.Column("error", sa.Text, nullable=False), sa.Column("region", sa.String(32), nullable=False),
    )
    op.create_index("ix_gaps_scan", "coverage_gaps", ["scan_id"])


def downgrade() -> None:
    for table in ("coverage_gaps", "findings", "edges", "nodes", "scans"):
        op.drop_table(table)
