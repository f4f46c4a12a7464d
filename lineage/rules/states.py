"""Step Functions rules: encryption key and execution logging."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Severity
from lineage.rules import Hit, rule


def _machines(graph: Graph):
    return (n for n in graph.nodes.values() if n.kind == "states.state_machine" and n.observed
            and "encryption" in n.attributes)


@rule(
    id="states.aws_owned_key",
    title="State machine data encrypted with an AWS-owned key",
    category=Category.ENCRYPTION,
    severity=Severity.LOW,
    remediation=(
        "Set encryptionConfiguration to CUSTOMER_MANAGED_KMS_KEY with a key of yours (UpdateStateMachine) "
        "so execution input, output and history are under your key policy."
    ),
)
def aws_owned_key(graph: Graph) -> Iterator[Hit]:
    for machine in _machines(graph):
        if machine.attributes["encryption"].get("type") != "CUSTOMER_MANAGED_KMS_KEY":
            yield Hit(machine.id, f"State machine {machine.name} keeps execution data (inputs, outputs, "
                      "history) under an AWS-owned key.",
                      (Evidence("states:DescribeStateMachine", machine.id, "encryptionConfiguration.type",
                                machine.attributes["encryption"].get("type", "AWS_OWNED_KEY")),))


@rule(
    id="states.logging_off",
    title="State machine execution logging is off",
    category=Category.COVERAGE,
    severity=Severity.MEDIUM,
    remediation="Set loggingConfiguration level to ERROR or ALL with a CloudWatch Logs destination.",
)
def logging_off(graph: Graph) -> Iterator[Hit]:
    for machine in _machines(graph):
        level = (machine.attributes.get("logging") or {}).get("level", "OFF")
        if level == "OFF":
            yield Hit(machine.id, f"State machine {machine.name} logs no executions: what data it moved, and "
                      "when, cannot be shown afterwards.",
                      (Evidence("states:DescribeStateMachine", machine.id, "loggingConfiguration.level", level),))
