"""Personal data: where it is declared or named, so every place it reaches can be shown."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Severity
from lineage.rules import Hit, rule


@rule(
    id="pii.personal_data_held",
    title="Table holds personal data",
    category=Category.PII,
    severity=Severity.INFO,
    remediation=(
        "Confirm the classification; record the lawful basis and retention, and make sure every place "
        "listed downstream is encrypted with a key of yours and expires the data."
    ),
    frameworks=("GDPR Art. 30",),
)
def personal_data_held(graph: Graph) -> Iterator[Hit]:
    for node in graph.nodes.values():
        columns = node.attributes.get("personal_columns") or []
        if not columns:
            continue
        reached = [n for n, _ in graph.walk(node.id) if graph.nodes[n].kind not in ("s3.bucket",)]
        listed = ", ".join(f"{c['column']} ({c['category']})" for c in columns)
        evidence = tuple(Evidence("glue:GetTables", node.id, "StorageDescriptor.Columns", f"{c['column']}: "
                                  f"{c['category']}") for c in columns[:5])
        yield Hit(node.id, f"Table {node.name} holds personal data in {listed}; it reaches {len(reached)} "
                  "node(s) downstream.", evidence)


@rule(
    id="pii.personal_data_leaves_estate",
    title="Personal data flows to a destination outside the scanned estate",
    category=Category.PII,
    severity=Severity.HIGH,
    remediation="Confirm the destination may receive personal data and is covered by an agreement; "
    "minimise or pseudonymise what is sent.",
    frameworks=("GDPR Art. 44",),
)
def personal_data_leaves_estate(graph: Graph) -> Iterator[Hit]:
    for node in graph.nodes.values():
        if node.kind != "external" or not node.attributes.get("personal_data") or node.attributes.get("dynamic"):
            continue
        evidence = tuple(e for edge in graph.flows_in(node.id) for e in edge.evidence[:1])
        origins = ", ".join(node.attributes["personal_data"]["origins"])
        yield Hit(node.id, f"Personal data from {origins} flows to {node.name}, outside what was scanned.",
                  evidence[:5])
