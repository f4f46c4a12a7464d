"""DynamoDB rules: where items rest without a time to live."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Node, Severity
from lineage.protection import dynamodb_retention
from lineage.rules import Hit, rule


def table_without_ttl(graph: Graph, node: Node) -> Iterator[Hit]:
    answer = dynamodb_retention(node)
    if answer.ok is False:
        turning_off = (node.attributes.get("ttl") or {}).get("status") == "DISABLING"
        said = "is turning its time to live off" if turning_off else "has no time to live"
        yield Hit(node.id, f"Table {node.name} {said}: every item rests until something deletes it.", answer.evidence)


rule(
    table_without_ttl,
    id="dynamodb.no_ttl",
    title="DynamoDB table keeps items for ever (no TTL)",
    category=Category.LIFECYCLE,
    severity=Severity.LOW,
    remediation=(
        "Give each item an expiry time (epoch seconds) in one attribute and enable TTL on it: "
        "aws dynamodb update-time-to-live --table-name TABLE "
        "--time-to-live-specification Enabled=true,AttributeName=expires_at"
    ),
    kinds=("dynamodb.table",),
)
