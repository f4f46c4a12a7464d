"""Data Firehose: the get on recorded answers through botocore's Stubber (a listing in two pages, tags in two
pages, a stream deleted between listing and reading), the transform on what it read (sources, destinations,
the transformation function, encryption, never a credential), the get on moto, the streams read by name
when the listing is denied, and what the protection answers and the rules make of them."""

from __future__ import annotations

import copy
import json
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from moto import mock_aws

from collectors import firehose
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.graph import build_graph
from lineage.model import EdgeKind, Facts, Severity
from lineage.protection import ENCRYPTION, RETENTION, protection
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
LAKE, SEARCH, WAREHOUSE, PARTNER = (f"arn:aws:firehose:{R}:{A}:deliverystream/{name}" for name in (
    "clickstream-to-lake", "orders-to-search", "orders-to-warehouse", "partner-feed"))
NAMES = ("clickstream-to-lake", "orders-to-search", "orders-to-warehouse", "partner-feed")
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
ENRICH = f"arn:aws:lambda:{R}:{A}:function:enrich-clicks"
ORDERS_STREAM = f"arn:aws:kinesis:{R}:{A}:stream/orders"
DOMAIN = f"arn:aws:es:{R}:{A}:domain/orders-search"
REDSHIFT = "jdbc:redshift://analytics.c1a2b3c4d5e6.eu-west-1.redshift.amazonaws.com:5439/warehouse"
PARTNER_URL = "http://ingest.partner.example.com/v1/events"
LAKE_KEY = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"


def _stub_stream(stub: Stubber, answers: dict[str, Any], name: str) -> None:
    stub.add_response("describe_delivery_stream", parsed("firehose", "DescribeDeliveryStream",
                                                         answers["DescribeDeliveryStream"][name]),
                      {"DeliveryStreamName": name})
    arguments: dict[str, Any] = {"DeliveryStreamName": name}
    for page in answers["ListTagsForDeliveryStream"][name]:
        stub.add_response("list_tags_for_delivery_stream", parsed("firehose", "ListTagsForDeliveryStream", page),
                          dict(arguments))
        if page["Tags"]:
            arguments["ExclusiveStartTagKey"] = page["Tags"][-1]["Key"]


def _context() -> AwsContext:
    return AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("firehose")
    ctx = _context()
    stub = Stubber(ctx.client("firehose", R))
    first, second = answers["ListDeliveryStreams"]
    stub.add_response("list_delivery_streams", parsed("firehose", "ListDeliveryStreams", first), {})
    stub.add_response("list_delivery_streams", parsed("firehose", "ListDeliveryStreams", second),
                      {"ExclusiveStartDeliveryStreamName": first["DeliveryStreamNames"][-1]})
    _stub_stream(stub, answers, "clickstream-to-lake")
    stub.add_client_error("describe_delivery_stream", "ResourceNotFoundException",
                          "Firehose deleted-meanwhile under account 111122223333 not found.",
                          expected_params={"DeliveryStreamName": "deleted-meanwhile"})
    for name in NAMES[1:]:
        _stub_stream(stub, answers, name)
    return read_through(stub, ctx, firehose.get_firehose, R)


def _facts() -> Facts:
    return firehose.transform_firehose(_recorded_read(), A, R)


def _edges(facts: Facts) -> set[tuple[str, str, str]]:
    return {(edge.source, edge.target, edge.kind.value) for edge in facts.edges}


def test_every_page_of_streams_and_tags_is_read_and_a_stream_gone_meanwhile_is_not_a_gap() -> None:
    records = _recorded_read()
    assert [record["Name"] for record in records] == list(NAMES)
    assert records[0]["Tags"] == {"lineage:pii": "email", "team": "web-analytics"}  # both pages of tags
    assert records[1]["Tags"] == {}


def test_recorded_streams_become_nodes_with_their_sources_destinations_and_function() -> None:
    facts = _facts()
    nodes = {node.id: node for node in facts.nodes}
    assert set(nodes) == {LAKE, SEARCH, WAREHOUSE, PARTNER}
    assert all(node.kind == "firehose.delivery_stream" and node.observed for node in nodes.values())
    assert _edges(facts) == {
        # Direct PUT: producers put records, no source edge. The literal folder before `!{…}` is the place.
        (LAKE, "arn:aws:s3:::acme-data-lake/events", "writes"),
        (LAKE, "arn:aws:s3:::acme-data-lake/errors/clickstream", "writes"),
        (LAKE, ENRICH, "invokes"),
        # Read from a Kinesis stream, delivered to OpenSearch, every document backed up to S3.
        (ORDERS_STREAM, SEARCH, "reads"),
        (SEARCH, DOMAIN, "writes"),
        (SEARCH, "arn:aws:s3:::acme-search-backup/orders", "writes"),
        # Redshift, through its intermediate copy location (and its error prefix).
        (WAREHOUSE, REDSHIFT, "writes"),
        (WAREHOUSE, "arn:aws:s3:::acme-warehouse-staging/orders", "writes"),
        (WAREHOUSE, "arn:aws:s3:::acme-warehouse-staging/orders-errors", "writes"),
        # An HTTP endpoint without its credentials, and the bucket failed records go to.
        (PARTNER, PARTNER_URL, "writes"),
        (PARTNER, "arn:aws:s3:::acme-partner-feed-failures", "writes"),
    }
    lake = nodes[LAKE].attributes
    assert lake["source_type"] == "DirectPut" and lake["source"] == "direct_put"
    assert lake["destination_types"] == ["ExtendedS3"]  # AWS's repeat of it as plain S3 is not a second one
    assert lake["encryption"] == {"type": "kms", "customer_key": True, "key_type": "CUSTOMER_MANAGED_CMK",
                                  "status": "ENABLED", "kms_key": f"arn:aws:kms:{R}:{A}:key/{LAKE_KEY}"}
    assert lake["destination_encryption"] == {
        "type": "kms", "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d"}
    assert lake["buffering"] == {"size_mb": 128, "interval_seconds": 300}
    assert lake["processors"] == [ENRICH] and lake["tags"]["lineage:pii"] == "email"
    search = nodes[SEARCH].attributes
    assert search["source"] == ORDERS_STREAM and search["destination_types"] == ["Amazonopensearchservice"]
    assert search["destination_encryption"] == {"type": "none", "kms_key": None}
    assert nodes[WAREHOUSE].attributes["encryption"] == {"type": "kms", "kms_key": None, "customer_key": False,
                                                         "key_type": "AWS_OWNED_CMK", "status": "ENABLED"}
    assert nodes[PARTNER].attributes["encryption"]["type"] == "none"


def test_the_evidence_says_where_each_flow_was_read() -> None:
    by_key = {(edge.source, edge.target): edge for edge in _facts().edges}
    [data] = by_key[(LAKE, "arn:aws:s3:::acme-data-lake/events")].evidence
    assert data.path == "Destinations[0].ExtendedS3DestinationDescription.Prefix" and data.dynamic
    assert data.excerpt == ("delivery: s3://acme-data-lake/events/!{partitionKeyFromQuery:customer_id}/"
                            "!{timestamp:yyyy}/!{timestamp:MM}/")
    [error] = by_key[(LAKE, "arn:aws:s3:::acme-data-lake/errors/clickstream")].evidence
    assert error.path.endswith("ErrorOutputPrefix") and error.excerpt.startswith("error output of delivery")
    [invoked] = by_key[(LAKE, ENRICH)].evidence
    assert invoked.path.endswith("ProcessingConfiguration.Processors[1].Parameters.LambdaArn")
    assert invoked.excerpt.endswith(":function:enrich-clicks:$LATEST")
    [source] = by_key[(ORDERS_STREAM, SEARCH)].evidence
    assert source.path == "Source.KinesisStreamSourceDescription.KinesisStreamARN"
    [backup] = by_key[(SEARCH, "arn:aws:s3:::acme-search-backup/orders")].evidence
    assert backup.excerpt == "backup (AllDocuments): s3://acme-search-backup/orders/"


def test_no_credential_of_an_endpoint_is_kept_anywhere() -> None:
    records = _recorded_read()
    warehouse = next(record for record in records if record["Name"] == "orders-to-warehouse")
    redshift = warehouse["Description"]["Destinations"][0]["RedshiftDestinationDescription"]
    redshift["ClusterJDBCURL"] += "?user=loader&password=Wh5tL0ader"
    facts = firehose.transform_firehose(records, A, R)
    text = json.dumps({"nodes": [node.to_dict() for node in facts.nodes],
                       "edges": [edge.to_dict() for edge in facts.edges]})
    assert ACCESS_KEY not in text and "feed:" not in text and "access_key" not in text
    assert "Wh5tL0ader" not in text and "password" not in text
    assert REDSHIFT in text and PARTNER_URL in text


@pytest.mark.parametrize(("prefix", "folder"), [
    ("", ""), ("raw/events/", "raw/events"), ("/raw/events", "raw"), ("logs/app-", "logs"),
    ("!{timestamp:yyyy}/", ""), ("year=!{timestamp:yyyy}/", ""), ("raw/events-!{timestamp:yyyy}/x/", "raw"),
    ("a/b/!{partitionKeyFromQuery:k}/c/", "a/b"),
])
def test_the_static_folder_of_a_prefix(prefix: str, folder: str) -> None:
    assert firehose.static_prefix(prefix) == folder


def test_protection_answers_and_the_rules() -> None:
    graph = build_graph([_facts()])
    lake, search, warehouse, partner = (graph.nodes[i] for i in (LAKE, SEARCH, WAREHOUSE, PARTNER))
    assert protection(graph, lake)[ENCRYPTION].customer_key is True
    assert protection(graph, warehouse)[ENCRYPTION].ok is True
    assert protection(graph, warehouse)[ENCRYPTION].customer_key is False
    assert protection(graph, partner)[ENCRYPTION].ok is False
    assert protection(graph, search)[ENCRYPTION].ok is None  # the Kinesis stream's own encryption applies
    assert protection(graph, search)[RETENTION].ok is True
    found = {(f.rule, f.node, f.severity) for f in evaluate(graph).findings if f.rule.startswith("firehose.")}
    assert found == {("firehose.http_endpoint_plain", PARTNER, Severity.HIGH),
                     ("firehose.stream_not_encrypted", PARTNER, Severity.LOW)}
    [plain] = [f for f in evaluate(graph).findings if f.rule == "firehose.http_endpoint_plain"]
    assert plain.evidence[0].excerpt == PARTNER_URL
    assert plain.evidence[0].path == "Destinations[0].HttpEndpointDestinationDescription.EndpointConfiguration.Url"


def test_https_and_a_kinesis_source_fire_nothing() -> None:
    records = copy.deepcopy(_recorded_read())
    partner = next(record for record in records if record["Name"] == "partner-feed")
    endpoint = partner["Description"]["Destinations"][0]["HttpEndpointDestinationDescription"]["EndpointConfiguration"]
    endpoint["Url"] = "https://ingest.partner.example.com/v1/events"
    partner["Description"]["DeliveryStreamEncryptionConfiguration"] = {"KeyType": "AWS_OWNED_CMK", "Status": "ENABLED"}
    graph = build_graph([firehose.transform_firehose(records, A, R)])
    assert [f for f in evaluate(graph).findings if f.rule.startswith("firehose.")] == []


def test_other_destinations_and_an_unknown_one_are_read_without_a_crash() -> None:
    s3_backup = {"RoleARN": "r", "BucketARN": "arn:aws:s3:::backup", "Prefix": "failed/",
                 "BufferingHints": {}, "CompressionFormat": "GZIP",
                 "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"}}
    destinations = [
        {"DestinationId": "d1", "SnowflakeDestinationDescription": {
            "AccountUrl": "https://xy12345.eu-west-1.snowflakecomputing.com", "User": "loader", "Database": "RAW",
            "Schema": "PUBLIC", "Table": "EVENTS", "S3DestinationDescription": s3_backup}},
        {"DestinationId": "d2", "SplunkDestinationDescription": {
            "HECEndpoint": "http://splunk.example.com:8088", "HECToken": "0f8a1c1e-2d3b-4c5d-8e9f-1a2b3c4d5e6f",
            "HECEndpointType": "Event", "S3DestinationDescription": s3_backup}},
        {"DestinationId": "d3", "AmazonOpenSearchServerlessDestinationDescription": {
            "CollectionEndpoint": "https://abc123.eu-west-1.aoss.amazonaws.com", "IndexName": "logs"}},
        {"DestinationId": "d4", "IcebergDestinationDescription": {
            "CatalogConfiguration": {"CatalogARN": f"arn:aws:glue:{R}:{A}:catalog",
                                     "WarehouseLocation": "s3://lakehouse/warehouse/"},
            "DestinationTableConfigurationList": [
                {"DestinationDatabaseName": "Sales", "DestinationTableName": "Orders"}],
            "S3DestinationDescription": s3_backup}},
        {"DestinationId": "d5", "IcebergDestinationDescription": {
            "CatalogConfiguration": {"WarehouseLocation": "s3://lakehouse/warehouse/"}}},
        {"DestinationId": "d6", "FutureDestinationDescription": {"Where": "somewhere"}},
    ]
    record = {"Name": "many", "Tags": {}, "Description": {
        "DeliveryStreamName": "many", "DeliveryStreamARN": f"arn:aws:firehose:{R}:{A}:deliverystream/many",
        "DeliveryStreamType": "MSKAsSource", "DeliveryStreamStatus": "ACTIVE",
        "Source": {"MSKSourceDescription": {"MSKClusterARN": f"arn:aws:kafka:{R}:{A}:cluster/events/1a2b",
                                            "TopicName": "clicks"}},
        "Destinations": destinations}}
    facts = firehose.transform_firehose([record], A, R)
    assert facts.gaps == ()
    many = f"arn:aws:firehose:{R}:{A}:deliverystream/many"
    assert _edges(facts) == {
        (f"arn:aws:kafka:{R}:{A}:cluster/events/1a2b", many, "reads"),
        (many, "https://xy12345.eu-west-1.snowflakecomputing.com", "writes"),
        (many, "http://splunk.example.com:8088", "writes"),
        (many, "https://abc123.eu-west-1.aoss.amazonaws.com", "writes"),
        (many, arns.glue_table_arn(R, A, "sales", "orders"), "writes"),
        (many, "arn:aws:s3:::lakehouse/warehouse", "writes"),
        (many, "arn:aws:s3:::backup/failed", "writes"),
    }
    [node] = facts.nodes
    assert node.attributes["destination_types"] == [
        "AmazonOpenSearchServerless", "Future", "Iceberg", "Snowflake", "Splunk"]
    assert node.attributes["warnings"] == [
        "Destinations[5].FutureDestinationDescription: a destination type this reader does not know"]
    assert "0f8a1c1e" not in json.dumps(node.to_dict())  # the HEC token
    graph = build_graph([facts])
    assert {f.rule for f in evaluate(graph).findings if f.rule.startswith("firehose.")} == {
        "firehose.http_endpoint_plain"}  # a Splunk HEC endpoint over plain HTTP; MSK keeps its own records


def test_a_stream_whose_description_is_denied_stays_a_node_marked_unread() -> None:
    ctx = _context()
    stub = Stubber(ctx.client("firehose", R))
    stub.add_response("list_delivery_streams", {"DeliveryStreamNames": ["secret"], "HasMoreDeliveryStreams": False},
                      {})
    stub.add_client_error("describe_delivery_stream", "AccessDeniedException", "not authorized",
                          expected_params={"DeliveryStreamName": "secret"})
    stub.add_response("list_tags_for_delivery_stream", {"Tags": [], "HasMoreTags": False},
                      {"DeliveryStreamName": "secret"})
    with stub:
        records = firehose.get_firehose(ctx, R)
    ctx.close()
    assert [(g.operation, g.resource) for g in ctx.gaps] == [("DescribeDeliveryStream", "secret")]
    [node] = firehose.transform_firehose(records, A, R).nodes
    assert node.id == f"arn:aws:firehose:{R}:{A}:deliverystream/secret" and node.observed
    assert node.attributes == {"unread": ["configuration"], "tags": {}}
    graph = build_graph([Facts((node,))])
    assert protection(graph, node)[ENCRYPTION].ok is None
    assert [f for f in evaluate(graph).findings if f.rule.startswith("firehose.")] == []


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data

    def read(self, *_: Any, **__: Any) -> bytes:
        return self._data


def test_a_listing_answer_without_its_names_is_a_gap() -> None:
    """`{}` (Stubber refuses to hand it over: the answer is sent as AWS would send it)."""
    ctx = _context()
    client = ctx.client("firehose", R)
    client.meta.events.register_first("before-send.firehose.ListDeliveryStreams", lambda request, **_: AWSResponse(
        request.url, 200, {"Content-Type": "application/x-amz-json-1.1"}, _Body(b"{}")))
    assert firehose.get_firehose(ctx, R) == []
    ctx.close()
    assert [(g.operation, g.error.split(":")[0]) for g in ctx.gaps] == [("ListDeliveryStreams", "UnusableAnswer")]


def test_more_destinations_are_asked_for_until_none_remain() -> None:
    answers = recorded("firehose")
    first = answers["DescribeDeliveryStream"]["partner-feed"]
    second = copy.deepcopy(answers["DescribeDeliveryStream"]["orders-to-warehouse"])
    first["DeliveryStreamDescription"]["HasMoreDestinations"] = True
    second["DeliveryStreamDescription"]["Destinations"][0]["DestinationId"] = "destinationId-000000000002"
    ctx = _context()
    stub = Stubber(ctx.client("firehose", R))
    stub.add_response("describe_delivery_stream", parsed("firehose", "DescribeDeliveryStream", first),
                      {"DeliveryStreamName": "partner-feed"})
    stub.add_response("describe_delivery_stream", parsed("firehose", "DescribeDeliveryStream", second),
                      {"DeliveryStreamName": "partner-feed",
                       "ExclusiveStartDestinationId": "destinationId-000000000001"})
    stub.add_response("list_tags_for_delivery_stream", {"Tags": [], "HasMoreTags": False},
                      {"DeliveryStreamName": "partner-feed"})
    [record] = read_through(stub, ctx, lambda c, r: firehose.get_named_delivery_streams(
        c, r, {"firehose.delivery_stream": [PARTNER, f"arn:aws:firehose:us-east-1:{A}:deliverystream/elsewhere"]}), R)
    assert [d["DestinationId"] for d in record["Description"]["Destinations"]] == [
        "destinationId-000000000001", "destinationId-000000000002"]
    [node] = firehose.transform_firehose([record], A, R).nodes
    assert node.attributes["destination_types"] == ["HttpEndpoint", "Redshift"]


@mock_aws
def test_firehose_get_on_moto_and_the_streams_named_when_the_listing_is_denied() -> None:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R])
    assert firehose.get_firehose(ctx, R) == [] and ctx.gaps == []
    session.client("s3").create_bucket(Bucket="clicks-lake", CreateBucketConfiguration={"LocationConstraint": R})
    created = session.client("firehose").create_delivery_stream(
        DeliveryStreamName="clicks", DeliveryStreamType="DirectPut", Tags=[{"Key": "team", "Value": "web"}],
        ExtendedS3DestinationConfiguration={
            "RoleARN": f"arn:aws:iam::{A}:role/firehose", "BucketARN": "arn:aws:s3:::clicks-lake",
            "Prefix": "clicks/!{timestamp:yyyy}/", "ErrorOutputPrefix": "failed/",
            "BufferingHints": {"SizeInMBs": 64, "IntervalInSeconds": 60}, "CompressionFormat": "GZIP"})
    records = firehose.get_firehose(ctx, R)
    named = firehose.get_named_delivery_streams(ctx, R, {"firehose.delivery_stream": [created["DeliveryStreamARN"]]})
    ctx.close()
    assert ctx.gaps == []
    assert named == records
    facts = firehose.transform_firehose(records, ctx.account or A, R)
    [node] = facts.nodes
    assert node.id == created["DeliveryStreamARN"] and node.attributes["tags"] == {"team": "web"}
    assert node.attributes["destination_types"] == ["ExtendedS3"]
    assert {(e.target, e.kind) for e in facts.edges} == {("arn:aws:s3:::clicks-lake/clicks", EdgeKind.WRITES),
                                                          ("arn:aws:s3:::clicks-lake/failed", EdgeKind.WRITES)}
