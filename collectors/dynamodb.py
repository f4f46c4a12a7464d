"""DynamoDB: tables, how each is protected (encryption, TTL, point-in-time recovery), its stream, and where
every write flows: the replicas of a global table, the Kinesis data streams its changes are streamed to.

A table's TTL is its lifecycle: without it, items rest until someone deletes them. Encryption at rest is
always on; what differs is whose key it is (AWS's own, the account's AWS managed key, or a key of the
customer's), and DescribeTable says only the first apart from the other two.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext, each_resource, is_gone, tag_dict
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

_GONE = ("ResourceNotFoundException",)
LIST_TABLES = Call("dynamodb", "list_tables", result_key="TableNames")
DESCRIBE_TABLE = Call("dynamodb", "describe_table", required=("Table.TableName",), gone=_GONE)
DESCRIBE_TIME_TO_LIVE = Call("dynamodb", "describe_time_to_live", required=("TimeToLiveDescription",), gone=_GONE)
DESCRIBE_CONTINUOUS_BACKUPS = Call("dynamodb", "describe_continuous_backups",
                                   required=("ContinuousBackupsDescription",), gone=_GONE)
LIST_TAGS_OF_RESOURCE = Call("dynamodb", "list_tags_of_resource", result_key="Tags", required=("Key",))
DESCRIBE_KINESIS_STREAMING_DESTINATION = Call("dynamodb", "describe_kinesis_streaming_destination", gone=_GONE,
                                              empty_is_an_answer=True)


def _read_tables(ctx: AwsContext, region: str, names: list[str]) -> list[dict[str, Any]]:
    def read(name: str) -> dict[str, Any] | None:
        described = ctx.call(DESCRIBE_TABLE, region, name, TableName=name)
        if is_gone(described):
            return None  # deleted since it was listed: nothing rests there now
        # Unread (a gap already), the table is still there: a node whose configuration is unknown.
        record: dict[str, Any] = {"Table": described["Table"]} if described else {"Table": {"TableName": name},
                                                                                    "Unread": True}
        for call, key in ((DESCRIBE_TIME_TO_LIVE, "TimeToLiveDescription"),
                          (DESCRIBE_CONTINUOUS_BACKUPS, "ContinuousBackupsDescription")):
            answer = ctx.call(call, region, name, TableName=name)
            if answer is not None and not is_gone(answer):
                record[key] = answer[key]
        streaming = ctx.call(DESCRIBE_KINESIS_STREAMING_DESTINATION, region, name, TableName=name)
        if streaming is not None and not is_gone(streaming):
            record["KinesisDataStreamDestinations"] = list(streaming.get("KinesisDataStreamDestinations") or [])
        arn = record["Table"].get("TableArn")
        tags = ctx.pages(LIST_TAGS_OF_RESOURCE, region, name, ResourceArn=arn) if arn else None
        if tags is not None:
            record["Tags"] = tag_dict(tags)
        return record

    return [record for record in ctx.map(read, names) if record is not None]


def get_dynamodb(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    names = ctx.pages(LIST_TABLES, region, region)
    return [] if names is None else _read_tables(ctx, region, [str(name) for name in names])


def get_named_tables(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Tables that other facts name, read one by one when the listing could not be read."""
    names = sorted({arns.name_for_id(i) for i in wanted.get("dynamodb.table", ()) if f":{region}:" in i})
    return _read_tables(ctx, region, names)


def encryption_of(table: dict[str, Any]) -> dict[str, Any]:
    """Whose key encrypts the table: no SSEDescription (or one not enabled) is AWS's own key."""
    described = table.get("SSEDescription") or {}
    if described.get("Status") not in ("ENABLED", "UPDATING") or described.get("SSEType") != "KMS":
        return {"type": "aws-owned", "kms_key": None}
    return {"type": "kms", "kms_key": described.get("KMSMasterKeyArn")}


# What is read apart from DescribeTable: (the name `unread` gives it, the key of the record that holds it).
_READ_APART = (("ttl", "TimeToLiveDescription"), ("tags", "Tags"),
               ("point_in_time_recovery", "ContinuousBackupsDescription"),
               ("kinesis_streaming_destinations", "KinesisDataStreamDestinations"))


def transform_table(record: dict[str, Any], account: str, region: str) -> Facts:
    table = record["Table"]
    name = table["TableName"]
    table_id = table.get("TableArn") or arns.dynamodb_table_arn(region, account, name)
    attributes: dict[str, Any] = {}
    if not record.get("Unread"):  # only listed: its encryption is unknown, so not judged
        attributes.update({"encryption": encryption_of(table), "status": table.get("TableStatus", ""),
                           "deletion_protection": bool(table.get("DeletionProtectionEnabled"))})
    if "TimeToLiveDescription" in record:
        ttl = record["TimeToLiveDescription"]
        attributes["ttl"] = {"status": ttl.get("TimeToLiveStatus", "DISABLED"), "attribute": ttl.get("AttributeName")}
    if "ContinuousBackupsDescription" in record:
        recovery = record["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription") or {}
        attributes["point_in_time_recovery"] = recovery.get("PointInTimeRecoveryStatus") == "ENABLED"
    if "Tags" in record:
        attributes["tags"] = record["Tags"]
    unread = (["configuration"] if record.get("Unread") else []) + [
        key for key, said in _READ_APART if said not in record]
    if unread:
        attributes["unread"] = unread
    stream = table.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        attributes["stream"] = {"arn": table.get("LatestStreamArn"), "view_type": stream.get("StreamViewType")}
    edges = []
    for place, replica in enumerate(table.get("Replicas") or []):
        other = replica.get("RegionName")
        if not other or other == region:
            continue
        evidence = Evidence("dynamodb:DescribeTable", table_id, f"Table.Replicas[{place}].RegionName", other)
        edges.append(Edge(table_id, arns.dynamodb_table_arn(other, account, name), EdgeKind.WRITES, (evidence,)))
    if edges:
        attributes["replicas"] = sorted(replica.get("RegionName", "") for replica in table.get("Replicas") or [])
    # A Kinesis streaming destination receives every change of the table, as the stream does.
    for place, destination in enumerate(record.get("KinesisDataStreamDestinations") or []):
        stream_arn = destination.get("StreamArn")
        status = destination.get("DestinationStatus", "")
        if stream_arn and status in ("ACTIVE", "ENABLING", "UPDATING"):
            evidence = Evidence("dynamodb:DescribeKinesisStreamingDestination", table_id,
                                f"KinesisDataStreamDestinations[{place}].StreamArn", f"{stream_arn} ({status})")
            edges.append(Edge(table_id, stream_arn, EdgeKind.ROUTES, (evidence,)))
    node = Node(table_id, "dynamodb.table", name, stage_for("dynamodb.table", record.get("Tags")), account, region,
                True, attributes)
    return Facts((node,), tuple(edges))


def transform_dynamodb(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_table(record, account, region), DESCRIBE_TABLE,
                         lambda record: record["Table"]["TableName"], region)


COLLECTOR = Collector(
    service="dynamodb", label="DynamoDB",
    calls=(LIST_TABLES, DESCRIBE_TABLE, DESCRIBE_TIME_TO_LIVE, DESCRIBE_CONTINUOUS_BACKUPS, LIST_TAGS_OF_RESOURCE,
           DESCRIBE_KINESIS_STREAMING_DESTINATION),
    get=get_dynamodb, transform=transform_dynamodb,
    listings={"dynamodb.table": LIST_TABLES}, get_named=get_named_tables,
)
