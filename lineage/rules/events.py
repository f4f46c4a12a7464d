"""EventBridge rules."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.rules import Hit, rule


def bus_without_customer_key(graph: Graph, node: Node) -> Iterator[Hit]:
    if "kms_key" in node.attributes and not node.attributes["kms_key"]:
        yield Hit(node.id, f"Event bus {node.name} encrypts events with an AWS-owned key, not one of yours.",
                  (Evidence("events:DescribeEventBus", node.id, "KmsKeyIdentifier", "not set"),))


rule(
    bus_without_customer_key,
    id="events.bus_without_customer_key",
    title="Event bus encrypted with an AWS-owned key",
    category=Category.ENCRYPTION,
    severity=Severity.LOW,
    remediation="Set KmsKeyIdentifier on the bus (UpdateEventBus) to a customer managed KMS key.",
    kinds=("events.bus",),
)
