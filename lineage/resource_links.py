"""Glue resource links as what they are: another name for a database or table of another catalog, most
often another account's (a lake account shares its catalog through Lake Formation; each consumer account
links to it). Whatever reads or writes through the link reads or writes the shared table, so the link
REFERENCES its target — either way, as configuration alone does not say whether data is read or written
through it — and a scan of both accounts follows the flow across.

A database link has no tables of its own (its tables are the target's): a table named in it by the facts
(a job or a query reading `link_db.t`) is linked to the target database's table of the same name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lineage import arn as arns
from lineage.model import Edge, EdgeKind, Evidence, Node

_TABLE_PREFIX = ":table/"


def _target_database(link: Node) -> str | None:
    target = link.attributes.get("resource_link")
    if not isinstance(target, Mapping) or not target.get("CatalogId") or not target.get("DatabaseName"):
        return None
    return arns.glue_database_arn(str(target.get("Region") or link.region), str(target["CatalogId"]),
                                  str(target["DatabaseName"]))


def _target_table(link: Node) -> str | None:
    target = link.attributes.get("resource_link")
    if not isinstance(target, Mapping) or not all(target.get(k) for k in ("CatalogId", "DatabaseName", "Name")):
        return None
    return arns.glue_table_arn(str(target.get("Region") or link.region), str(target["CatalogId"]),
                               str(target["DatabaseName"]), str(target["Name"]))


def _evidence(link: Node, path: str, target: Any) -> tuple[Evidence, ...]:
    operation = "glue:GetDatabases" if link.kind == "glue.database" else "glue:GetTables"
    excerpt = f"{target.get('CatalogId')}:{target.get('DatabaseName')}" + (
        f".{target.get('Name')}" if target.get("Name") else "")
    return (Evidence(operation, link.id, path, excerpt),)


def linked(nodes: Mapping[str, Node]) -> list[Edge]:
    """link —REFERENCES→ target, for every database and table link, and for every table named in a linked
    database."""
    edges: list[Edge] = []
    database_targets: dict[str, tuple[Node, str]] = {}
    for node in nodes.values():
        if node.kind == "glue.database" and (target := _target_database(node)):
            database_targets[node.id] = (node, target)
            edges.append(Edge(node.id, target, EdgeKind.REFERENCES,
                              _evidence(node, "TargetDatabase", node.attributes["resource_link"])))
        elif node.kind == "glue.table" and (target := _target_table(node)):
            edges.append(Edge(node.id, target, EdgeKind.REFERENCES,
                              _evidence(node, "TargetTable", node.attributes["resource_link"])))
    if not database_targets:
        return edges
    for node in nodes.values():
        if node.kind != "glue.table" or _TABLE_PREFIX not in node.id:
            continue
        head, _, path = node.id.partition(_TABLE_PREFIX)
        database, _, table = path.partition("/")
        held = database_targets.get(f"{head}:database/{database}")
        if held is None or not table:
            continue
        link, target_database = held
        target = target_database.replace(":database/", _TABLE_PREFIX, 1) + f"/{table}"
        edges.append(Edge(node.id, target, EdgeKind.REFERENCES,
                          _evidence(link, "TargetDatabase", link.attributes["resource_link"])))
    return edges
