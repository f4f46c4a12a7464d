"""Coverage: what the tracker could not read inside a resource it did read, and places it cannot judge."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.rules import ANY_KIND, INTO, Hit, flows_into, rule, unknown_place

_OPERATION_BY_KIND = {
    "states.state_machine": "states:DescribeStateMachine",
    "events.rule": "events:ListRules",
    "athena.workgroup": "athena:BatchGetNamedQuery",
}


def unreadable_definition(graph: Graph, node: Node) -> Iterator[Hit]:
    warnings = [str(w) for w in node.attributes.get("warnings") or []]
    if warnings:
        operation = _OPERATION_BY_KIND.get(node.kind, "")
        evidence = tuple(Evidence(operation, node.id, w.split(":", 1)[0], w[:200]) for w in warnings[:5])
        more = f" (and {len(warnings) - 3} more)" if len(warnings) > 3 else ""
        yield Hit(node.id, f"{node.kind} {node.name}: " + "; ".join(warnings[:3]) + more, evidence)


rule(
    unreadable_definition,
    id="coverage.unreadable_definition",
    title="Part of a resource's definition could not be read",
    category=Category.COVERAGE,
    severity=Severity.LOW,
    remediation="Fix the definition (the message says where); flows it holds are missing until then.",
    kinds=(ANY_KIND,),
    unobserved=True,
)


def unknown_destination(graph: Graph, node: Node) -> Iterator[Hit]:
    flows = flows_into(graph, node, INTO)
    if flows:
        evidence = [e for edge in flows for e in edge.evidence[:1]]
        yield Hit(node.id, f"Data is written to {unknown_place(node)}: its lifecycle and encryption cannot be "
                  "judged from configuration.", tuple(evidence[:5]))


rule(
    unknown_destination,
    id="coverage.unknown_destination",
    title="Data is written to a place known only at run time",
    category=Category.COVERAGE,
    severity=Severity.LOW,
    remediation="Where the destination can be named in the definition, name it; otherwise make sure every "
    "place the expression can take has a lifecycle and encryption, since neither can be judged here.",
    kinds=(ANY_KIND,),
    unobserved=True,
    dynamic=True,
)
