"""QuickSight rules: datasets that bring personal data to people's screens (reported so that someone checks
who may see which rows and columns, and where a SPICE copy of it rests), and data sources that read a
database with SSL turned off.

A SPICE import is not a rule of its own: it matters only for personal data, and is said in the dataset's
finding — a copy of every row imported rests in QuickSight's storage (encrypted by AWS with a key the
account does not manage), kept until the dataset is deleted and refreshed on each ingestion.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from lineage import pii
from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.rules import Hit, rule

# Data sources with no connection of their own to protect: QuickSight reaches them through AWS's APIs.
_API_SOURCES = frozenset({"ATHENA", "S3", "AWS_IOT_ANALYTICS", "TIMESTREAM"})


def _name(graph: Graph, node_id: str) -> str:
    node = graph.nodes.get(node_id)
    return node.name if node is not None and node.name else node_id


def _personal_columns(graph: Graph, origins: list[str]) -> list[str]:
    """`student_email (email)`: the columns of the origin tables labelled personal."""
    found = []
    for origin in origins:
        node = graph.nodes.get(origin)
        columns = node.attributes.get("personal_columns") if node is not None else None
        for entry in columns if isinstance(columns, list) else ():
            if isinstance(entry, Mapping) and entry.get("column"):
                found.append(f"{entry['column']} ({entry.get('category', '')})")
    return sorted(set(found))


def _restricted_columns(node: Node) -> set[str]:
    rules = node.attributes.get("column_level_security")
    return {str(column).lower() for rule_ in rules if isinstance(rule_, Mapping)
            for column in rule_.get("columns") or ()} if isinstance(rules, list) else set()


def _security_said(node: Node, personal_columns: list[str]) -> str:
    attributes = node.attributes
    if "definition" in (attributes.get("unread") or ()):
        rows = "on" if attributes.get("row_level_security") else "not set, as the listing says"
        columns = "applied" if attributes.get("column_level_security_applied") else "none, as the listing says"
        return f"Row-level security: {rows}; column-level security: {columns} (its definition could not be read)."
    if attributes.get("row_level_security"):
        how = "a permissions dataset" if attributes.get("row_level_permission_data_set") else "tag rules"
        rows = f"on (by {how})"
    else:
        rows = "none: every viewer sees every row"
    restricted = _restricted_columns(node)
    if not restricted:
        columns = "none: every viewer sees every column"
    else:
        open_columns = [c for c in personal_columns if c.split(" (", 1)[0].lower() not in restricted]
        columns = f"on {', '.join(sorted(restricted)[:5])}" + (
            f"; personal columns left open: {', '.join(open_columns[:5])}" if open_columns else "")
    return f"Row-level security: {rows}; column-level security: {columns}."


def _copy_said(node: Node) -> str:
    if node.attributes.get("spice"):
        return (" It is imported into SPICE: a copy of the data rests in QuickSight's storage (encrypted by AWS), "
                "kept until the dataset is deleted.")
    if node.attributes.get("import_mode") == "DIRECT_QUERY":
        return " It queries the source directly: no copy rests in QuickSight."
    return ""


def _evidence(graph: Graph, node: Node, origins: list[str]) -> tuple[Evidence, ...]:
    """How the data arrives: the dataset's own flows in (the tables it names first)."""
    edges = sorted(graph.flows_in(node.id), key=lambda e: (e.source not in origins, e.source))
    return tuple(evidence for edge in edges for evidence in edge.evidence)[:5]


def dataset_reads_personal_data(graph: Graph, node: Node) -> Iterator[Hit]:
    personal: Any = node.attributes.get(pii.REACHED)
    if not isinstance(personal, Mapping) or not personal.get("categories") or pii.handling_of(node):
        return  # no personal data, or someone declared the dataset masks or drops it
    origins = [str(o) for o in personal.get("origins") or ()]
    columns = _personal_columns(graph, origins)
    shown = ", ".join(_name(graph, o) for o in origins[:3]) + (f" and {len(origins) - 3} more" if len(origins) > 3
                                                               else "")
    said = f" ({', '.join(columns[:5])})" if columns else ""
    yield Hit(node.id, f"Dataset {node.name} reads personal data ({', '.join(personal['categories'])}) from "
              f"{shown}{said}. {_security_said(node, columns)}{_copy_said(node)}",
              _evidence(graph, node, origins))


rule(
    dataset_reads_personal_data,
    id="quicksight.dataset_reads_personal_data",
    title="QuickSight dataset reads personal data: check its row- and column-level security",
    category=Category.PII,
    severity=Severity.MEDIUM,
    remediation=(
        "Decide who may see which rows and columns. Rows: a permissions dataset (aws quicksight update-data-set "
        "--aws-account-id ACCOUNT --data-set-id ID --name NAME --import-mode SPICE --physical-table-map "
        "file://tables.json --row-level-permission-data-set "
        "Arn=arn:aws:quicksight:REGION:ACCOUNT:dataset/RULES_ID,PermissionPolicy=GRANT_ACCESS,FormatVersion=VERSION_2)"
        ". Columns: --column-level-permission-rules '[{\"Principals\":[\"arn:aws:quicksight:REGION:ACCOUNT:group/"
        "default/GROUP\"],\"ColumnNames\":[\"student_email\"]}]' on the same command. Better still, leave the "
        "personal columns out (custom SQL or a projection without them) and tag the dataset lineage:pii=masked "
        "(aws quicksight tag-resource --resource-arn ARN --tags Key=lineage:pii,Value=masked). Prefer "
        "DIRECT_QUERY to SPICE where no copy should rest in QuickSight."
    ),
    kinds=("quicksight.dataset",),
)


def data_source_ssl_disabled(graph: Graph, node: Node) -> Iterator[Hit]:
    if node.attributes.get("ssl_disabled") is not True or str(node.attributes.get("type", "")).upper() in _API_SOURCES:
        return
    reads = node.attributes.get("reads_from") or "its database"
    yield Hit(node.id, f"Data source {node.name} connects to {reads} with SSL turned off: the rows QuickSight reads, "
              "and the database credentials, cross the network unencrypted.",
              (Evidence("quicksight:ListDataSources", node.id, "SslProperties.DisableSsl", "true"),))


rule(
    data_source_ssl_disabled,
    id="quicksight.data_source_ssl_disabled",
    title="QuickSight data source connects with SSL turned off",
    category=Category.ENCRYPTION,
    severity=Severity.HIGH,
    remediation=(
        "Turn SSL back on (aws quicksight update-data-source --aws-account-id ACCOUNT --data-source-id ID --name NAME "
        "--ssl-properties DisableSsl=false) once the database accepts TLS connections (RDS: rds.force_ssl=1 or "
        "require_secure_transport=ON in its parameter group); reach it through a QuickSight VPC connection "
        "rather than a public endpoint."
    ),
    kinds=("quicksight.data_source",),
)
