"""Coverage: what the tracker could not read inside a resource it did read."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Severity
from lineage.rules import Hit, rule

_OPERATION_BY_KIND = {
    "states.state_machine": "states:DescribeStateMachine",
    "events.rule": "events:ListRules",
    "athena.workgroup": "athena:GetNamedQuery",
}


@rule(
    id="coverage.unreadable_definition",
    title="Part of a resource's definition could not be read",
    category=Category.COVERAGE,
    severity=Severity.LOW,
    remediation="Fix the definition (the message says where); flows it holds are missing until then.",
)
def unreadable_definition(graph: Graph) -> Iterator[Hit]:
    for node in graph.nodes.values():
        warnings = node.attributes.get("warnings") or []
        if warnings:
            operation = _OPERATION_BY_KIND.get(node.kind, "")
            evidence = tuple(Evidence(operation, node.id, w.split(":", 1)[0], w[:200]) for w in warnings[:5])
            more = f" (and {len(warnings) - 3} more)" if len(warnings) > 3 else ""
            yield Hit(node.id, f"{node.kind} {node.name}: " + "; ".join(warnings[:3]) + more, evidence)
