"""SQS rules: where messages wait unencrypted, and dead-letter queues nothing reads."""

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


# Where an evidence path says the flow is failed messages set aside: a redrive policy, a dead-letter
# config (EventBridge targets and buses, Lambda), a Lambda destination on failure.
_SET_ASIDE = ("RedrivePolicy", "DeadLetterConfig", "OnFailure")


def dead_letter_queue_unread(graph: Graph, node: Node) -> Iterator[Hit]:
    set_aside = [evidence for edge in graph.flows_in(node.id) for evidence in edge.evidence
                 if any(marker in evidence.path for marker in _SET_ASIDE)]
    if not set_aside or graph.flows_out(node.id):
        return
    yield Hit(node.id, f"Queue {node.name} holds failed messages, and nothing in the scanned estate reads it: "
              "they wait unseen until the queue's retention drops them.", tuple(set_aside[:3]))


rule(
    dead_letter_queue_unread,
    id="sqs.dead_letter_queue_unread",
    title="Dead-letter queue that nothing reads",
    category=Category.LIFECYCLE,
    severity=Severity.LOW,
    remediation=(
        "Give the queue a reader — an alarm on ApproximateNumberOfMessagesVisible and a function or person "
        "that redrives or inspects the messages (sqs start-message-move-task) — or drop the dead-letter "
        "configuration if failed messages are not needed."
    ),
    kinds=("sqs.queue",),
)
