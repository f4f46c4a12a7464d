"""DynamoDB: the get on recorded answers through botocore's Stubber (a table deleted between listing and
reading included), the transform on what it read, the get on moto, and what the tables' configuration
answers and the TTL rule make of it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import dynamodb
from collectors.context import AwsContext
from lineage.graph import build_graph
from lineage.model import Facts, Severity, Stage
from lineage.moto_support import seed_streaming_destinations
from lineage.protection import ENCRYPTION, RETENTION, protection
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
CUSTOMERS = f"arn:aws:dynamodb:{R}:{A}:table/customers"
SESSIONS = f"arn:aws:dynamodb:{R}:{A}:table/sessions"


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("dynamodb")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("dynamodb", R))
    stub.add_response("list_tables", parsed("dynamodb", "ListTables", answers["ListTables"][0]), {})
    stub.add_response("list_tables", parsed("dynamodb", "ListTables", answers["ListTables"][1]),
                      {"ExclusiveStartTableName": "sessions"})
    for name in ("customers", "sessions"):
        arn = f"arn:aws:dynamodb:{R}:{A}:table/{name}"
        stub.add_response("describe_table", parsed("dynamodb", "DescribeTable", answers["DescribeTable"][name]),
                          {"TableName": name})
        for method, operation in (("describe_time_to_live", "DescribeTimeToLive"),
                                  ("describe_continuous_backups", "DescribeContinuousBackups"),
                                  ("describe_kinesis_streaming_destination", "DescribeKinesisStreamingDestination")):
            stub.add_response(method, parsed("dynamodb", operation, answers[operation][name]), {"TableName": name})
        stub.add_response("list_tags_of_resource", parsed("dynamodb", "ListTagsOfResource",
                                                          answers["ListTagsOfResource"][name]), {"ResourceArn": arn})
    stub.add_client_error("describe_table", "ResourceNotFoundException", "Requested resource not found",
                          expected_params={"TableName": "page-views"})
    return read_through(stub, ctx, dynamodb.get_dynamodb, R)


def test_recorded_tables_become_nodes_with_their_protection_and_replicas() -> None:
    facts = dynamodb.transform_dynamodb(_recorded_read(), A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert set(nodes) == {CUSTOMERS, SESSIONS}
    customers, sessions = nodes[CUSTOMERS], nodes[SESSIONS]
    assert customers.attributes["encryption"] == {
        "type": "kms", "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/mrk-1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6"}
    assert sessions.attributes["encryption"] == {"type": "aws-owned", "kms_key": None}
    assert customers.attributes["ttl"] == {"status": "DISABLED", "attribute": None}
    assert sessions.attributes["ttl"] == {"status": "ENABLED", "attribute": "expires_at"}
    assert customers.attributes["point_in_time_recovery"] is True
    assert sessions.attributes["point_in_time_recovery"] is False
    assert customers.attributes["stream"]["view_type"] == "NEW_AND_OLD_IMAGES"
    assert customers.attributes["tags"]["data-classification"] == "confidential"
    assert customers.stage == Stage.STORAGE and sessions.stage == Stage.PROCESSING  # its lineage:stage tag
    # A global table: every write reaches the replica in the other region; its own region is no flow. Every
    # change also goes to the active Kinesis streaming destination; the disabled one receives nothing.
    replication, streaming = sorted(facts.edges, key=lambda e: e.kind.value, reverse=True)
    assert (replication.source, replication.target, replication.kind.value) == (
        CUSTOMERS, f"arn:aws:dynamodb:us-east-1:{A}:table/customers", "writes")
    assert replication.evidence[0].path == "Table.Replicas[0].RegionName"
    assert (streaming.source, streaming.target, streaming.kind.value) == (
        CUSTOMERS, f"arn:aws:kinesis:{R}:{A}:stream/customer-changes", "routes")
    assert streaming.evidence[0].path == "KinesisDataStreamDestinations[0].StreamArn"


def test_a_table_whose_ttl_could_not_be_read_is_not_judged_on_it() -> None:
    record = {"Table": recorded("dynamodb")["DescribeTable"]["sessions"]["Table"]}
    [table] = dynamodb.transform_dynamodb([record], A, R).nodes
    assert "ttl" not in table.attributes and table.attributes["unread"] == [
        "ttl", "tags", "point_in_time_recovery", "kinesis_streaming_destinations"]
    graph = build_graph([Facts((table,))])
    assert protection(graph, table)[RETENTION].ok is None
    assert [f.rule for f in evaluate(graph).findings if f.node == table.id] == []


def test_a_table_without_ttl_is_a_finding_raised_where_personal_data_rests() -> None:
    facts = dynamodb.transform_dynamodb(_recorded_read(), A, R)
    graph = build_graph([facts])
    answers = protection(graph, graph.nodes[CUSTOMERS])
    assert answers[RETENTION].ok is False and answers[ENCRYPTION].ok is True
    assert answers[ENCRYPTION].customer_key is None  # DescribeTable does not say whose key it is
    assert protection(graph, graph.nodes[SESSIONS])[ENCRYPTION].customer_key is False
    found = [f for f in evaluate(graph).findings if f.rule == "dynamodb.no_ttl"]
    assert [(f.node, f.severity) for f in found] == [(CUSTOMERS, Severity.LOW)]
    assert found[0].evidence[0].operation == "dynamodb:DescribeTimeToLive"
    read = next(node for node in facts.nodes if node.id == CUSTOMERS)
    personal = replace(read, attributes={**read.attributes, "tags": {"lineage:pii": "email"}})
    graph = build_graph([Facts((personal,))])
    assert graph.nodes[CUSTOMERS].attributes["personal_labels"][0]["operation"] == "dynamodb:ListTagsOfResource"
    [raised] = [f for f in evaluate(graph).findings if f.rule == "dynamodb.no_ttl"]
    assert raised.severity == Severity.MEDIUM and "Personal data" in raised.message


@mock_aws
def test_dynamodb_get_on_moto() -> None:
    session = boto3.Session(region_name=R)
    client = session.client("dynamodb")
    client.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
                        Tags=[{"Key": "team", "Value": "shop"}])
    client.update_time_to_live(TableName="orders",
                               TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    ctx = AwsContext(session, [R])
    ctx.identify()
    stream = f"arn:aws:kinesis:{R}:{ctx.account}:stream/order-changes"
    seed_streaming_destinations(ctx.account, R, "orders", [stream])  # moto cannot enable one itself
    records = dynamodb.get_dynamodb(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    facts = dynamodb.transform_dynamodb(records, ctx.account, R)
    [table] = facts.nodes
    assert [(e.source, e.target, e.kind.value) for e in facts.edges] == [(table.id, stream, "routes")]
    assert table.name == "orders" and table.attributes["ttl"] == {"status": "ENABLED", "attribute": "expires_at"}
    assert table.attributes["tags"] == {"team": "shop"} and table.attributes["stream"]["view_type"] == "NEW_IMAGE"
    assert table.attributes["encryption"]["type"] == "aws-owned"


def test_a_table_that_cannot_be_described_is_kept_with_what_else_was_read() -> None:
    record = {"Table": {"TableName": "sessions"}, "Unread": True,
              "TimeToLiveDescription": recorded("dynamodb")["DescribeTimeToLive"]["sessions"]["TimeToLiveDescription"]}
    [table] = dynamodb.transform_dynamodb([record], A, R).nodes
    assert table.id == SESSIONS and table.observed
    assert table.attributes["unread"] == ["configuration", "tags", "point_in_time_recovery",
                                          "kinesis_streaming_destinations"]
    assert "encryption" not in table.attributes and table.attributes["ttl"]["status"] == "ENABLED"
    graph = build_graph([Facts((table,))])
    assert protection(graph, graph.nodes[SESSIONS])[ENCRYPTION].ok is None  # unknown, never guessed
