"""Flows named by a Glue job's arguments: S3 paths and database/table pairs.

Used for a job's `DefaultArguments` (Glue collector) and for the `Arguments` a Step Functions task
passes to `glue:startJobRun`: both say what the job reads and writes, in the argument's own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lineage import arn as arns
from lineage.arguments import Direction, direction_of, role_prefix
from lineage.model import Edge, EdgeKind, Evidence, Facts

_DATABASE_WORDS = ("database", "db")
_TABLE_WORDS = ("table",)


def _edge(job_id: str, target: str, direction: Direction, evidence: Evidence) -> Edge:
    if direction == Direction.WRITE:
        return Edge(job_id, target, EdgeKind.WRITES, (evidence,))
    return Edge(target, job_id, EdgeKind.READS, (evidence,))


def argument_facts(job_id: str, arguments: Mapping[str, Any], region: str, account: str,
                   operation: str, resource: str, path: str) -> Facts:
    """Edges between the job and what its arguments name; unobserved nodes for their targets."""
    edges: list[Edge] = []
    databases: dict[str, tuple[str, str]] = {}
    tables: dict[str, tuple[str, str]] = {}
    for name, value in arguments.items():
        if not isinstance(value, str):
            continue
        argument_path = f"{path}.{name}"
        parsed = arns.parse_s3_url(value)
        if parsed is not None:
            direction = direction_of(name)
            if direction == Direction.NONE:
                continue
            excerpt = f"{name}={value}" + (" (direction unstated)" if direction == Direction.UNSTATED else "")
            evidence = Evidence(operation, resource, argument_path, excerpt)
            edges.append(_edge(job_id, arns.s3_location_id(*parsed), direction, evidence))
            continue
        if (role := role_prefix(name, _DATABASE_WORDS)) is not None:
            databases[role] = (value, argument_path)
        elif (role := role_prefix(name, _TABLE_WORDS)) is not None:
            tables[role] = (value, argument_path)
    for role, (table, table_path) in tables.items():
        database = databases.get(role)
        if database is None and len(databases) == 1:
            database = next(iter(databases.values()))
        if database is None and "." in table:
            database = (table.split(".", 1)[0], table_path)
        if database is None or not table:
            continue
        direction = direction_of(role or table_path.rsplit(".", 1)[-1])
        table_name = table.split(".")[-1]
        target = arns.glue_table_arn(region, account, database[0], table_name)
        excerpt = f"{database[0]}.{table_name}" + (
            " (direction unstated)" if direction == Direction.UNSTATED else "")
        edges.append(_edge(job_id, target, direction, Evidence(operation, resource, table_path, excerpt)))
    nodes = tuple(arns.referenced_node(edge.target if edge.source == job_id else edge.source) for edge in edges)
    return Facts(nodes, tuple(edges))
