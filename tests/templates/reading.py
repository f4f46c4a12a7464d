"""What the template tests share: a template written to a file and read as `lineage template` reads it, and the
parts of the scan they compare."""

from __future__ import annotations

from pathlib import Path

from lineage.model import Facts, Node, Scan
from lineage.template_scan import read_templates, scan_templates
from templates.stack import Placement


def scanned(*paths: Path, placement: Placement | None = None) -> Scan:
    return scan_templates(read_templates(list(paths)), placement).scan


def written_and_scanned(path: Path, text: str, placement: Placement | None) -> Scan:
    path.write_text(text)
    return scanned(path, placement=placement)


def nodes_by_id(scan: Scan) -> dict[str, Node]:
    return {node.id: node for node in scan.nodes}


def flows(scan: Scan | Facts) -> set[tuple[str, str, str]]:
    return {(edge.source, edge.kind.value, edge.target) for edge in scan.edges}


def findings(scan: Scan) -> set[tuple[str, str]]:
    return {(finding.rule, finding.node) for finding in scan.findings}
