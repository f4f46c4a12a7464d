"""Kinesis Data Streams: streams, whose key encrypts the records resting in each, how many hours they are
kept, and the enhanced fan-out consumers registered to read them.

A stream keeps every record for its retention period (24 hours by default, at most 8760) whether or not
anyone has read it, so retention is always bounded; encryption is not: a stream is made unencrypted
unless someone starts encryption. A consumer is not a reader of its own: whatever reads through it (a
Lambda event source mapping naming the consumer's ARN) reads the stream's records, so the consumers
are named on the stream's node, and `arns.kinesis_stream_of` takes a consumer's ARN to its stream's.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext, each_resource, is_gone, tag_pages
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.model import Facts, Node, stage_for

_GONE = ("ResourceNotFoundException",)
LIST_STREAMS = Call("kinesis", "list_streams", result_key="StreamSummaries", required=("StreamName", "StreamARN"))
DESCRIBE_STREAM_SUMMARY = Call("kinesis", "describe_stream_summary",
                               required=("StreamDescriptionSummary.StreamARN",
                                         "StreamDescriptionSummary.RetentionPeriodHours"), gone=_GONE)
LIST_STREAM_CONSUMERS = Call("kinesis", "list_stream_consumers", result_key="Consumers", required=("ConsumerName",))
# ListTagsForStream rather than the newer ListTagsForResource: both are in botocore's model and in IAM, but
# only the older one is answered by moto, where the demo estate and the fault tests run.
LIST_TAGS_FOR_STREAM = Call("kinesis", "list_tags_for_stream", required=("Tags",), gone=_GONE)
# The AWS managed key is named by its alias (or the alias's ARN); any other key, or alias, is the customer's.
AWS_MANAGED_KEY = "alias/aws/kinesis"
_MAX_TAGS_PER_CALL = 50  # also the most tags a stream can have: one call reads them all


def _read_tags(ctx: AwsContext, region: str, stream_arn: str) -> dict[str, Any] | None:
    """The stream's tags; the `gone` marker when the stream went; None (a gap already) when unread."""
    return tag_pages(ctx, LIST_TAGS_FOR_STREAM, region, stream_arn, StreamARN=stream_arn, Limit=_MAX_TAGS_PER_CALL)


def _read_streams(ctx: AwsContext, region: str, streams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def read(listed: dict[str, Any]) -> dict[str, Any] | None:
        arn = str(listed["StreamARN"])
        described = ctx.call(DESCRIBE_STREAM_SUMMARY, region, arn, StreamARN=arn)
        if is_gone(described):
            return None  # deleted since it was listed: nothing rests there now
        record: dict[str, Any] = {"Stream": listed}
        if described is not None:  # else a gap already: the stream is there, its configuration unknown
            record["Summary"] = described["StreamDescriptionSummary"]
        if record.get("Summary", {}).get("ConsumerCount") == 0:
            record["Consumers"] = []  # the summary says so: no call needed
        else:
            consumers = ctx.pages(LIST_STREAM_CONSUMERS, region, arn, StreamARN=arn)
            if consumers is not None:
                record["Consumers"] = consumers
        tags = _read_tags(ctx, region, arn)
        if is_gone(tags):
            return None
        if tags is not None:
            record["Tags"] = tags
        return record

    return [record for record in ctx.map(read, streams) if record is not None]


def get_kinesis(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    listed = ctx.pages(LIST_STREAMS, region, region)
    if listed is None:
        return []
    # By ARN, once: a listing page that repeats a summary (as moto's do) does not read a stream twice.
    streams = {str(summary["StreamARN"]): summary for summary in listed}
    return _read_streams(ctx, region, list(streams.values()))


def get_named_streams(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Streams that other facts name (a consumer's ARN names its stream), read one by one when the listing
    could not be read."""
    streams: dict[str, dict[str, Any]] = {}
    for named in wanted.get("kinesis.stream", ()):
        stream_arn = arns.kinesis_stream_of(named)
        parsed = arns.parse_arn(stream_arn)
        if parsed is not None and parsed.region == region and parsed.resource.startswith("stream/"):
            streams[stream_arn] = {"StreamName": parsed.resource_name, "StreamARN": stream_arn}
    return _read_streams(ctx, region, [streams[arn] for arn in sorted(streams)])


def encryption_of(summary: dict[str, Any]) -> dict[str, Any]:
    """Whose key encrypts the records (the shape `sqs.encryption_of` gives a queue's)."""
    key = summary.get("KeyId")
    if summary.get("EncryptionType") == "KMS" and key:
        customer = not arns.names_aws_managed_key(str(key), AWS_MANAGED_KEY)
        return {"type": "kms", "kms_key": key, "customer_key": customer}
    return {"type": "none", "kms_key": None, "customer_key": False}


def transform_stream(record: dict[str, Any], account: str, region: str) -> Facts:
    listed = record["Stream"]
    summary = record.get("Summary") or {}
    name = str(summary.get("StreamName") or listed["StreamName"])
    stream_id = str(summary.get("StreamARN") or listed.get("StreamARN") or arns.kinesis_stream_arn(region, account,
                                                                                                    name))
    attributes: dict[str, Any] = {}
    mode = (summary.get("StreamModeDetails") or listed.get("StreamModeDetails") or {}).get("StreamMode")
    if mode:
        attributes["mode"] = mode
    status = summary.get("StreamStatus") or listed.get("StreamStatus")
    if status:
        attributes["status"] = status
    if summary:
        attributes["encryption"] = encryption_of(summary)
        attributes["retention_hours"] = int(summary["RetentionPeriodHours"])
    if "Consumers" in record:
        attributes["consumers"] = sorted(str(consumer["ConsumerName"]) for consumer in record["Consumers"])
    if "Tags" in record:
        attributes["tags"] = record["Tags"]
    unread = [key for key, said in (("configuration", "Summary"), ("consumers", "Consumers"), ("tags", "Tags"))
              if said not in record]
    if unread:
        attributes["unread"] = unread
    node = Node(stream_id, "kinesis.stream", name, stage_for("kinesis.stream", record.get("Tags")), account, region,
                True, attributes)
    return Facts((node,))


def transform_kinesis(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_stream(record, account, region), DESCRIBE_STREAM_SUMMARY,
                         lambda record: record["Stream"]["StreamARN"], region)


COLLECTOR = Collector(
    service="kinesis", label="Kinesis Data Streams",
    calls=(LIST_STREAMS, DESCRIBE_STREAM_SUMMARY, LIST_STREAM_CONSUMERS, LIST_TAGS_FOR_STREAM),
    get=get_kinesis, transform=transform_kinesis,
    listings={"kinesis.stream": LIST_STREAMS}, get_named=get_named_streams,
)
