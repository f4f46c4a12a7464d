"""Personal data: where it is declared or named, so every place it reaches can be shown, and where it
goes beyond what can be judged: out of the scanned estate, or to a place known only at run time."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, EdgeKind, Evidence, Node, Severity
from lineage.rules import ANY_KIND, INTO, Hit, flows_into, rule, unknown_place


def personal_data_held(graph: Graph, node: Node) -> Iterator[Hit]:
    columns = node.attributes.get("personal_columns") or []
    if not columns:
        return
    reached = [n for n, _ in graph.walk(node.id) if graph.nodes[n].kind not in ("s3.bucket",)]
    listed = ", ".join(f"{c['column']} ({c['category']})" for c in columns)
    evidence = tuple(Evidence("glue:GetTables", node.id, "StorageDescriptor.Columns", f"{c['column']}: "
                              f"{c['category']}") for c in columns[:5])
    yield Hit(node.id, f"Table {node.name} holds personal data in {listed}; it reaches {len(reached)} "
              "node(s) downstream.", evidence)


rule(
    personal_data_held,
    id="pii.personal_data_held",
    title="Table holds personal data",
    category=Category.PII,
    severity=Severity.INFO,
    remediation=(
        "Confirm the classification; record the lawful basis and retention, and make sure every place "
        "listed downstream is encrypted with a key of yours and expires the data."
    ),
    kinds=("glue.table",),
    frameworks=("GDPR Art. 30",),
)


def personal_data_leaves_estate(graph: Graph, node: Node) -> Iterator[Hit]:
    if not node.attributes.get("personal_data"):
        return
    evidence = tuple(e for edge in graph.flows_in(node.id) for e in edge.evidence[:1])
    origins = ", ".join(node.attributes["personal_data"]["origins"])
    yield Hit(node.id, f"Personal data from {origins} flows to {node.name}, outside what was scanned.",
              evidence[:5])


rule(
    personal_data_leaves_estate,
    id="pii.personal_data_leaves_estate",
    title="Personal data flows to a destination outside the scanned estate",
    category=Category.PII,
    severity=Severity.HIGH,
    remediation="Confirm the destination may receive personal data and is covered by an agreement; "
    "minimise or pseudonymise what is sent.",
    kinds=("external",),
    frameworks=("GDPR Art. 44",),
    unobserved=True,
)


def personal_data_to_unknown_destination(graph: Graph, node: Node) -> Iterator[Hit]:
    personal = node.attributes.get("personal_data")
    # Invoking code chosen at run time hands it the data as surely as writing to a place chosen then.
    flows = flows_into(graph, node, INTO | {EdgeKind.INVOKES})
    if not personal or not flows:
        return
    evidence = [e for edge in flows for e in edge.evidence[:1]]
    yield Hit(node.id, f"Personal data ({', '.join(personal['categories'])}) from {', '.join(personal['origins'])} "
              f"goes to {unknown_place(node)}: where it rests, and whether that place is encrypted and expires "
              "it, cannot be shown from configuration.", tuple(evidence[:5]))


rule(
    personal_data_to_unknown_destination,
    id="pii.personal_data_to_unknown_destination",
    title="Personal data flows to a destination known only at run time",
    category=Category.PII,
    severity=Severity.MEDIUM,
    remediation="Name the destination in the definition, or constrain the values it can take (a Choice on "
    "allowed buckets, an IAM policy scoped to them), so where personal data rests can be shown and judged.",
    kinds=(ANY_KIND,),
    frameworks=("GDPR Art. 30",),
    unobserved=True,
    dynamic=True,
)
