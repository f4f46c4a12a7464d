"""The `lineage-graph/1` document: the contract every other tool reads. Change it only on purpose."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from lineage.model import Edge, Facts, Finding, Node, Scan

FORMAT = "lineage-graph/1"
SCHEMA_FILE = "lineage-graph-1.schema.json"


def scan_header(scan: Scan) -> dict[str, Any]:
    return {
        "id": scan.id,
        "started_at": scan.started_at,
        "finished_at": scan.finished_at,
        "status": scan.status.value,
        "accounts": list(scan.accounts),
        "regions": list(scan.regions),
        "coverage_gaps": [g.to_dict() for g in scan.coverage_gaps],
        "api_calls": dict(scan.api_calls),
    }


def graph_document(nodes: tuple[Node, ...], edges: tuple[Edge, ...], findings: tuple[Finding, ...] = (),
                   scan: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "scan": scan,
        "nodes": [n.to_dict() for n in nodes],
        "edges": [e.to_dict() for e in edges],
        "findings": [f.to_dict() for f in findings],
    }


def scan_document(scan: Scan) -> dict[str, Any]:
    return graph_document(scan.nodes, scan.edges, scan.findings, scan_header(scan))


def facts_document(facts: Facts, warnings: list[str], source: str) -> dict[str, Any]:
    """Offline facts of one file (`lineage asl`): the same node and edge shape, with warnings."""
    document = graph_document(facts.nodes, facts.edges)
    document["scan"] = None
    document["source"] = source
    document["warnings"] = warnings
    return document


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"


@cache
def _schema_text() -> str:
    return resources.files("viz").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of `lineage-graph/1`, as shipped with the package: what a reader
    of an export, or of `lineage asl --json`, may rely on. A fresh copy each call, free to modify."""
    return json.loads(_schema_text())
