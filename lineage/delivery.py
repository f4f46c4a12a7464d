"""How data reaches what a rule, a subscription, a schedule or a pipe targets, and where what a reader
reads starts: one answer for every collector that draws such flows, so they agree."""

from __future__ import annotations

from lineage import arn as arns
from lineage.model import EdgeKind

# Places that hold or forward what they are sent: it is routed to them. Compute is triggered.
_ROUTED_KINDS = frozenset({"events.bus", "sqs.queue", "sns.topic", "kinesis.stream", "firehose.delivery_stream",
                           "logs.log_group", "logs.destination"})


def target_edge_kind(kind: str) -> EdgeKind:
    """Compute is triggered; a place that holds or forwards the event is routed to; an API is written to."""
    if kind in _ROUTED_KINDS:
        return EdgeKind.ROUTES
    if kind == "events.api_destination":
        return EdgeKind.WRITES
    return EdgeKind.TRIGGERS


def event_source_of(event_source_arn: str) -> str:
    """The node a reader of an event source reads: a DynamoDB stream's table (the stream is its changes), a
    Kinesis consumer's stream, else the source itself."""
    head, marker, _ = event_source_arn.partition("/stream/")
    if marker and head.startswith("arn:") and ":dynamodb:" in head:
        return head
    return arns.kinesis_stream_of(event_source_arn)  # a fan-out consumer reads its stream
