"""SQS rules: where messages wait unencrypted."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Node, Severity
from lineage.protection import sqs_encryption
from lineage.rules import Hit, rule


def queue_not_encrypted(graph: Graph, node: Node) -> Iterator[Hit]:
    if "encryption" not in node.attributes:
        return  # the configuration could not be read
    answer = sqs_encryption(node)
    if answer.ok is False:
        yield Hit(node.id, f"Queue {node.name} has no server-side encryption: its messages wait unencrypted.",
                  answer.evidence)


rule(
    queue_not_encrypted,
    id="sqs.queue_not_encrypted",
    title="SQS queue keeps messages unencrypted",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation=(
        "Turn on server-side encryption: SSE-SQS at least (aws sqs set-queue-attributes --queue-url URL "
        "--attributes SqsManagedSseEnabled=true), or a KMS key of your own (KmsMasterKeyId) where the "
        "messages carry personal data."
    ),
    kinds=("sqs.queue",),
)
