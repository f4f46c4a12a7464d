"""Kinesis Data Streams rules: where records rest unencrypted, and streams that keep them longer than the
default day."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Node, Severity
from lineage.protection import kinesis_encryption, kinesis_retention
from lineage.rules import Hit, rule

# What a stream keeps records for unless someone extends it: a consumer that keeps up reads them well within.
DEFAULT_RETENTION_HOURS = 24


def stream_not_encrypted(graph: Graph, node: Node) -> Iterator[Hit]:
    if "encryption" not in node.attributes:
        return  # the configuration could not be read
    answer = kinesis_encryption(node)
    if answer.ok is False:
        yield Hit(node.id, f"Stream {node.name} has no server-side encryption: its records rest unencrypted for as "
                  "long as the stream keeps them.", answer.evidence)


rule(
    stream_not_encrypted,
    id="kinesis.stream_not_encrypted",
    title="Kinesis stream keeps records unencrypted",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation=(
        "Start server-side encryption: aws kinesis start-stream-encryption --stream-name NAME "
        "--encryption-type KMS --key-id alias/aws/kinesis at least, or a KMS key of your own where the records "
        "carry personal data (producers and consumers then need kms:GenerateDataKey / kms:Decrypt on it)."
    ),
    kinds=("kinesis.stream",),
)


def retention_beyond_need(graph: Graph, node: Node) -> Iterator[Hit]:
    hours = node.attributes.get("retention_hours")
    if not isinstance(hours, int) or isinstance(hours, bool) or hours <= DEFAULT_RETENTION_HOURS:
        return
    days = f" ({hours // 24} days)" if hours % 24 == 0 else ""
    yield Hit(node.id, f"Stream {node.name} keeps its records {hours} hours{days}, beyond the default "
              f"{DEFAULT_RETENTION_HOURS} hours: a consumer that keeps up reads each record within seconds, so the "
              "extra time is paid for (billed per shard-hour up to 7 days, per GB-month beyond that and on demand) "
              f"and leaves {hours - DEFAULT_RETENTION_HOURS} more hours of records readable by anyone who can read "
              "the stream.",
              kinesis_retention(node).evidence)


rule(
    retention_beyond_need,
    id="kinesis.retention_beyond_need",
    title="Kinesis stream keeps records longer than the default day",
    category=Category.LIFECYCLE,
    severity=Severity.INFO,
    remediation=(
        "If no consumer needs to replay older records, shorten the retention: aws kinesis "
        "decrease-stream-retention-period --stream-name NAME --retention-period-hours 24. Where replay is "
        "needed, keep the longer period on purpose, or archive to S3 through Firehose with a lifecycle rule "
        "instead."
    ),
    kinds=("kinesis.stream",),
)
