"""Step Functions rules: encryption key and execution logging."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.rules import Hit, rule


def aws_owned_key(graph: Graph, machine: Node) -> Iterator[Hit]:
    encryption = machine.attributes.get("encryption")
    if encryption is not None and encryption.get("type") != "CUSTOMER_MANAGED_KMS_KEY":
        yield Hit(machine.id, f"State machine {machine.name} keeps execution data (inputs, outputs, "
                  "history) under an AWS-owned key.",
                  (Evidence("states:DescribeStateMachine", machine.id, "encryptionConfiguration.type",
                            encryption.get("type", "AWS_OWNED_KEY")),))


rule(
    aws_owned_key,
    id="states.aws_owned_key",
    title="State machine data encrypted with an AWS-owned key",
    category=Category.ENCRYPTION,
    severity=Severity.LOW,
    remediation=(
        "Set encryptionConfiguration to CUSTOMER_MANAGED_KMS_KEY with a key of yours (UpdateStateMachine) "
        "so execution input, output and history are under your key policy."
    ),
    kinds=("states.state_machine",),
)


def logging_off(graph: Graph, machine: Node) -> Iterator[Hit]:
    if "logging" not in machine.attributes:
        return  # not described: its configuration is unknown
    level = (machine.attributes.get("logging") or {}).get("level", "OFF")
    if level == "OFF":
        yield Hit(machine.id, f"State machine {machine.name} logs no executions: what data it moved, and "
                  "when, cannot be shown afterwards.",
                  (Evidence("states:DescribeStateMachine", machine.id, "loggingConfiguration.level", level),))


rule(
    logging_off,
    id="states.logging_off",
    title="State machine execution logging is off",
    category=Category.COVERAGE,
    severity=Severity.MEDIUM,
    remediation="Set loggingConfiguration level to ERROR or ALL with a CloudWatch Logs destination.",
    kinds=("states.state_machine",),
)
