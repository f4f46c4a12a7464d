"""Tables of the store at the newest revision: a scan and everything it found, keyed by scan.

The migrations in `store/migrations` build these; a change here goes with a new revision there.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

scans = Table(
    "scans", metadata,
    Column("id", String(64), primary_key=True),
    Column("started_at", String(40), nullable=False, index=True),
    Column("finished_at", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("accounts", JSON, nullable=False),
    Column("regions", JSON, nullable=False),
    Column("api_calls", JSON, nullable=False),
    Column("target", String(64), nullable=False, server_default=""),  # what was scanned, as a key
    Column("owner", String(255), nullable=False, server_default=""),  # host:pid that runs the scan
    Column("error", Text, nullable=False, server_default=""),  # why a scan failed
    Column("caller", Text, nullable=False, server_default=""),  # who the scan ran as (an ARN from STS)
)

# At most one scan of a target at a time, across processes and hosts sharing the database.
scan_locks = Table(
    "scan_locks", metadata,
    Column("target", String(64), primary_key=True),
    Column("owner", String(255), nullable=False),
    Column("acquired_at", String(40), nullable=False),
)

# The periodic schedule of a target, as JSON text (revision 0004). Text, not JSON or a blob, so that
# whatever a row holds reaches the scheduler as a string it parses itself, and nothing else decodes it.
scan_schedules = Table(
    "scan_schedules", metadata,
    Column("target", String(64), primary_key=True),
    Column("definition", Text, nullable=False),
    Column("set_at", String(40), nullable=False),  # when this definition was set: a start for a first run
)


def _scan_key() -> Column:
    return Column("scan_id", String(64), ForeignKey("scans.id", ondelete="CASCADE"), nullable=False)


nodes = Table(
    "nodes", metadata,
    _scan_key(),
    Column("id", Text, nullable=False),
    # What AWS or a template wrote, of any length (revision 0003).
    Column("kind", Text, nullable=False),
    Column("stage", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("account", Text, nullable=False),
    Column("region", Text, nullable=False),
    Column("observed", Boolean, nullable=False),
    Column("attributes", JSON, nullable=False),
    Index("ix_nodes_scan", "scan_id"),
)

edges = Table(
    "edges", metadata,
    _scan_key(),
    Column("source", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("evidence", JSON, nullable=False),
    Index("ix_edges_scan", "scan_id"),
)

findings = Table(
    "findings", metadata,
    _scan_key(),
    Column("id", String(32), nullable=False),
    Column("rule", Text, nullable=False),
    Column("category", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("node", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("remediation", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Index("ix_findings_scan", "scan_id"),
)

coverage_gaps = Table(
    "coverage_gaps", metadata,
    _scan_key(),
    Column("position", Integer, nullable=False),
    Column("service", Text, nullable=False),
    Column("operation", Text, nullable=False),
    Column("resource", Text, nullable=False),
    Column("error", Text, nullable=False),
    Column("region", Text, nullable=False),
    Column("account", Text, nullable=False, server_default=""),
    Index("ix_gaps_scan", "scan_id"),
)
