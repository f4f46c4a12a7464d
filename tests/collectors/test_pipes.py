"""EventBridge Pipes: the get on recorded answers through botocore's Stubber (two pages, a pipe deleted
between listing and reading), the transform on what it read (a DynamoDB stream → Lambda enrichment →
event bus pipe with a filter, a dead-letter queue and its records logged; an SQS → Step Functions pipe),
and the get on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import pipes
from collectors.context import AwsContext
from lineage.graph import build_graph
from lineage.model import EdgeKind, Stage
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
CHANGES, ORDERS_PIPE = (f"arn:aws:pipes:{R}:{A}:pipe/{name}" for name in ("enrollment-changes", "orders-to-workflow"))
TABLE = f"arn:aws:dynamodb:{R}:{A}:table/enrollments"
ENRICH = f"arn:aws:lambda:{R}:{A}:function:enrich-enrollment"
BUS = f"arn:aws:events:{R}:{A}:event-bus/learning-events"
DLQ, ORDERS = f"arn:aws:sqs:{R}:{A}:enrollment-pipe-dlq", f"arn:aws:sqs:{R}:{A}:orders"
LOG_GROUP = f"arn:aws:logs:{R}:{A}:log-group:/aws/vendedlogs/pipes/enrollment-changes"
MACHINE = f"arn:aws:states:{R}:{A}:stateMachine:fulfil-order"


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("pipes")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("pipes", R))
    pages = answers["ListPipes"]
    stub.add_response("list_pipes", parsed("pipes", "ListPipes", pages[0]), {})
    stub.add_response("list_pipes", parsed("pipes", "ListPipes", pages[1]), {"NextToken": pages[0]["NextToken"]})
    for name in ("enrollment-changes", "orders-to-workflow"):
        stub.add_response("describe_pipe", parsed("pipes", "DescribePipe", answers["DescribePipe"][name]),
                          {"Name": name})
    stub.add_client_error("describe_pipe", "NotFoundException", "Pipe deleted-meanwhile does not exist.", 404,
                          expected_params={"Name": "deleted-meanwhile"})
    return read_through(stub, ctx, pipes.get_pipes, R)


def test_recorded_pipes_become_nodes_with_flows_from_source_through_enrichment_to_target() -> None:
    facts = pipes.transform_pipes(_recorded_read(), A, R)
    nodes = {n.id: n for n in facts.nodes}
    assert set(nodes) == {CHANGES, ORDERS_PIPE}  # the one deleted meanwhile is not a gap, not a node
    assert {n.stage for n in nodes.values()} == {Stage.PROCESSING}
    changes = nodes[CHANGES].attributes
    assert (changes["state"], changes["tags"]) == ("RUNNING", {"team": "learning", "lineage:pii": "email"})
    assert changes["kms_key"] == f"arn:aws:kms:{R}:{A}:key/1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
    assert changes["logging"] == {"level": "ERROR", "include_execution_data": ["ALL"], "destinations": [LOG_GROUP]}
    assert changes["source"]["starting_position"] == "LATEST" and changes["source"]["dead_letter_queue"] == DLQ
    assert nodes[ORDERS_PIPE].attributes["target"]["invocation_type"] == "FIRE_AND_FORGET"
    assert nodes[ORDERS_PIPE].attributes["logging"]["destinations"] == [f"arn:aws:s3:::pipe-logs-{A}/orders"]
    assert nodes[ORDERS_PIPE].attributes["tags"] == {} and nodes[ORDERS_PIPE].attributes["kms_key"] is None

    flows = {(e.source, e.kind, e.target): e for e in facts.edges}
    assert set(flows) == {
        (TABLE, EdgeKind.READS, CHANGES),  # the stream is the table's changes
        (CHANGES, EdgeKind.WRITES, DLQ),  # failed batches set aside
        (CHANGES, EdgeKind.INVOKES, ENRICH),  # the function, not its alias
        (CHANGES, EdgeKind.ROUTES, BUS),
        (CHANGES, EdgeKind.WRITES, LOG_GROUP),  # the records themselves are logged (IncludeExecutionData ALL)
        (ORDERS, EdgeKind.READS, ORDERS_PIPE),
        (ORDERS_PIPE, EdgeKind.TRIGGERS, MACHINE),  # logged without execution data: no flow to the log bucket
    }
    source, pattern = flows[(TABLE, EdgeKind.READS, CHANGES)].evidence
    assert source.path == "Source" and "/stream/" in source.excerpt and "LATEST" in source.excerpt
    assert pattern.path == "SourceParameters.FilterCriteria.Filters[0].Pattern" and "INSERT" in pattern.excerpt
    assert "DeadLetterConfig" in flows[(CHANGES, EdgeKind.WRITES, DLQ)].evidence[0].path
    target, template = flows[(CHANGES, EdgeKind.ROUTES, BUS)].evidence
    assert (target.path, template.path) == ("Target", "TargetParameters.InputTemplate")
    assert "<$.body>" in template.excerpt
    assert [e.path for e in flows[(CHANGES, EdgeKind.INVOKES, ENRICH)].evidence] == [
        "Enrichment", "EnrichmentParameters.InputTemplate"]


def test_a_pipe_from_a_table_reaches_the_graph_as_the_table_s_reader() -> None:
    graph = build_graph([pipes.transform_pipes(_recorded_read(), A, R)])
    assert [e.target for e in graph.flows_out(TABLE)] == [CHANGES]
    assert graph.nodes[CHANGES].attributes["personal_data"]["categories"] == ["email"]  # its tag says so


def test_a_pipe_that_could_not_be_described_keeps_its_listed_flows_and_a_broker_its_address_only() -> None:
    listed = {"Name": "p", "Arn": f"arn:aws:pipes:{R}:{A}:pipe/p", "CurrentState": "RUNNING", "Unread": True,
              "Source": "smk://kafka-user:hunter2@broker.internal:9092?auth=token", "Target": ORDERS,
              "Enrichment": f"arn:aws:execute-api:{R}:{A}:a1b2c3/prod/POST/enrich"}
    facts = pipes.transform_pipes([listed], A, R)
    [node] = facts.nodes
    assert node.attributes["unread"] == ["configuration"]
    assert {(e.source, e.kind, e.target) for e in facts.edges} == {
        ("smk://broker.internal:9092", EdgeKind.READS, listed["Arn"]),
        (listed["Arn"], EdgeKind.INVOKES, f"arn:aws:execute-api:{R}:{A}:a1b2c3/prod/POST/enrich"),
        (listed["Arn"], EdgeKind.ROUTES, ORDERS),
    }
    assert "hunter2" not in json.dumps([e.to_dict() for e in facts.edges])


@mock_aws
def test_pipes_get_on_moto() -> None:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R])
    assert pipes.get_pipes(ctx, R) == [] and ctx.gaps == []
    client = session.client("pipes")
    account = "123456789012"
    client.create_pipe(
        Name="orders-to-workflow", RoleArn=f"arn:aws:iam::{account}:role/pipe",
        Source=f"arn:aws:sqs:{R}:{account}:orders", SourceParameters={"SqsQueueParameters": {"BatchSize": 1}},
        Enrichment=f"arn:aws:lambda:{R}:{account}:function:enrich:live",
        Target=f"arn:aws:states:{R}:{account}:stateMachine:fulfil",
        TargetParameters={"InputTemplate": '{"order": <$.body>}'}, Tags={"team": "shop"})
    records = pipes.get_pipes(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    facts = pipes.transform_pipes(records, account, R)
    [node] = facts.nodes
    assert node.id == f"arn:aws:pipes:{R}:{account}:pipe/orders-to-workflow"
    assert node.attributes["tags"] == {"team": "shop"}
    assert {(e.source, e.kind, e.target) for e in facts.edges} == {
        (f"arn:aws:sqs:{R}:{account}:orders", EdgeKind.READS, node.id),
        (node.id, EdgeKind.INVOKES, f"arn:aws:lambda:{R}:{account}:function:enrich"),
        (node.id, EdgeKind.TRIGGERS, f"arn:aws:states:{R}:{account}:stateMachine:fulfil"),
    }
