"""CloudWatch Logs: the get on recorded answers through botocore's Stubber (DescribeLogGroups over two pages, a
group deleted between listing and reading), the transform on what it read, the rules and protection answers
on log groups, reading named groups when the listing is denied, and the get on moto."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import awslambda, logs
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.graph import build_graph
from lineage.model import EdgeKind, Facts, Severity
from lineage.protection import ENCRYPTION, RETENTION, protection
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
ORDERS, LEGACY, AUDIT = (arns.log_group_arn(R, A, name) for name in ("/aws/lambda/orders", "/aws/lambda/legacy-api",
                                                                      "/audit/trail"))
FIREHOSE = f"arn:aws:firehose:{R}:{A}:deliverystream/orders-logs"
SHIPPER = f"arn:aws:lambda:{R}:{A}:function:log-shipper"
CENTRAL = f"arn:aws:logs:{R}:999988887777:destination:central-audit"
KEY = f"arn:aws:kms:{R}:{A}:key/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


def _stub_group(stub: Stubber, answers: dict[str, Any], name: str) -> None:
    stub.add_response("describe_subscription_filters", parsed("logs", "DescribeSubscriptionFilters",
                                                              answers["DescribeSubscriptionFilters"][name]),
                      {"logGroupName": name})
    stub.add_response("list_tags_for_resource", parsed("logs", "ListTagsForResource",
                                                       answers["ListTagsForResource"][name]),
                      {"resourceArn": arns.log_group_arn(R, A, name)})


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("logs")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("logs", R))
    pages = answers["DescribeLogGroups"]
    stub.add_response("describe_log_groups", parsed("logs", "DescribeLogGroups", pages[0]), {})
    stub.add_response("describe_log_groups", parsed("logs", "DescribeLogGroups", pages[1]),
                      {"nextToken": pages[0]["nextToken"]})
    for name in ("/aws/lambda/orders", "/aws/lambda/legacy-api", "/audit/trail"):
        _stub_group(stub, answers, name)
    stub.add_client_error("describe_subscription_filters", "ResourceNotFoundException",
                          "The specified log group does not exist.",
                          expected_params={"logGroupName": "/aws/lambda/deleted-meanwhile"})
    return read_through(stub, ctx, logs.get_logs, R)


def test_recorded_log_groups_become_nodes_with_retention_key_and_subscriptions() -> None:
    records = _recorded_read()
    facts = logs.transform_logs(records, A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert set(nodes) == {ORDERS, LEGACY, AUDIT}  # the group deleted meanwhile holds nothing: no node, no gap
    assert nodes[ORDERS].id == f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/orders"  # the ARN without `:*`
    orders = nodes[ORDERS]
    assert (orders.kind, orders.name, orders.stage.value, orders.account, orders.region) == (
        "logs.log_group", "/aws/lambda/orders", "storage", A, R)
    assert {key: orders.attributes[key] for key in ("retention_days", "kms_key", "class", "stored_bytes", "tags")} == {
        "retention_days": 30, "kms_key": KEY, "class": "STANDARD", "stored_bytes": 52428800, "tags": {"team": "shop"}}
    assert nodes[LEGACY].attributes["retention_days"] is None and nodes[LEGACY].attributes["kms_key"] is None
    assert nodes[AUDIT].attributes["class"] == "INFREQUENT_ACCESS" and nodes[AUDIT].attributes["tags"] == {}
    assert all("unread" not in node.attributes for node in facts.nodes)
    # Nothing large is carried: only the few fields a node keeps.
    assert set(records[0]["logGroup"]) <= set(logs._GROUP_FIELDS)
    flows = {(e.source, e.target, e.kind) for e in facts.edges}
    assert flows == {(ORDERS, FIREHOSE, EdgeKind.ROUTES), (LEGACY, SHIPPER, EdgeKind.TRIGGERS),
                     (AUDIT, CENTRAL, EdgeKind.ROUTES)}  # a destination forwards: routed to
    evidence = {e.source: e.evidence[0] for e in facts.edges}
    assert evidence[ORDERS].operation == "logs:DescribeSubscriptionFilters"
    assert evidence[ORDERS].path == "subscriptionFilters[0].destinationArn"
    assert "'errors-to-firehose'" in evidence[ORDERS].excerpt and '{ $.level = "ERROR" }' in evidence[ORDERS].excerpt
    assert "'ship-everything', no pattern (every event)" in evidence[LEGACY].excerpt
    assert "distribution Random" in evidence[AUDIT].excerpt


def test_the_lambda_collectors_log_group_name_meets_the_log_group_node() -> None:
    function = {"Function": {"FunctionName": "orders", "FunctionArn": f"arn:aws:lambda:{R}:{A}:function:orders"}}
    [node] = awslambda.transform_function(function, A, R).nodes
    assert arns.log_group_arn(R, A, node.attributes["log_group"]) == ORDERS


def test_protection_of_log_groups_and_their_rules() -> None:
    graph = build_graph([logs.transform_logs(_recorded_read(), A, R)])
    orders = protection(graph, graph.nodes[ORDERS])
    assert (orders[ENCRYPTION].ok, orders[ENCRYPTION].customer_key) == (True, True)
    assert orders[RETENTION].value == "events kept 30 days" and orders[RETENTION].ok is True
    legacy = protection(graph, graph.nodes[LEGACY])
    assert (legacy[ENCRYPTION].ok, legacy[ENCRYPTION].customer_key) == (True, False)  # AWS-owned keys, still encrypted
    assert legacy[RETENTION].ok is False and legacy[RETENTION].evidence[0].path == "logGroups[].retentionInDays"
    findings = {(f.rule, f.node): f for f in evaluate(graph).findings if f.rule.startswith("logs.")}
    assert set(findings) == {("logs.no_retention", LEGACY), ("logs.subscription_to_another_account", AUDIT)}
    # legacy-api is tagged as holding email: a group that keeps it for ever is one step more severe.
    assert findings[("logs.no_retention", LEGACY)].severity == Severity.MEDIUM
    crossing = findings[("logs.subscription_to_another_account", AUDIT)]
    assert crossing.severity == Severity.MEDIUM and "999988887777" in crossing.message
    assert "'to-security-account'" in crossing.evidence[0].excerpt


def test_a_subscription_filter_unread_keeps_the_group_marked_unread() -> None:
    answers = recorded("logs")
    page = {"logGroups": answers["DescribeLogGroups"][0]["logGroups"][:1]}
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("logs", R))
    stub.add_response("describe_log_groups", parsed("logs", "DescribeLogGroups", page), {})
    stub.add_client_error("describe_subscription_filters", "AccessDeniedException", "not authorized",
                          expected_params={"logGroupName": "/aws/lambda/orders"})
    stub.add_response("list_tags_for_resource", parsed("logs", "ListTagsForResource", {"tags": {}}),
                      {"resourceArn": ORDERS})
    with stub:
        records = logs.get_logs(ctx, R)
    ctx.close()
    assert [(g.operation, g.resource) for g in ctx.gaps] == [("DescribeSubscriptionFilters", "/aws/lambda/orders")]
    [node] = logs.transform_logs(records, A, R).nodes
    assert node.id == ORDERS and node.attributes["unread"] == ["subscription_filters"]
    assert node.attributes["retention_days"] == 30


def test_named_groups_are_read_by_prefix_when_the_listing_is_denied() -> None:
    answers = recorded("logs")
    orders = answers["DescribeLogGroups"][0]["logGroups"][0]
    longer = {**orders, "logGroupName": "/aws/lambda/orders-v2",
              "arn": f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/orders-v2:*"}
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("logs", R))
    stub.add_response("describe_log_groups", parsed("logs", "DescribeLogGroups", {"logGroups": [orders, longer]}),
                      {"logGroupNamePrefix": "/aws/lambda/orders"})
    stub.add_response("describe_log_groups", parsed("logs", "DescribeLogGroups", {"logGroups": []}),
                      {"logGroupNamePrefix": "/gone"})
    _stub_group(stub, answers, "/aws/lambda/orders")
    wanted = {"logs.log_group": [ORDERS, arns.log_group_arn(R, A, "/gone"), arns.log_group_arn("us-east-1", A, "x")]}
    with stub:
        records = logs.get_named_log_groups(ctx, R, wanted)
        stub.assert_no_pending_responses()
    ctx.close()
    assert ctx.gaps == []
    assert [node.id for node in logs.transform_logs(records, A, R).nodes] == [ORDERS]


def test_a_record_no_transform_expected_costs_only_that_group() -> None:
    good = {"logGroup": {"logGroupName": "ok", "arn": f"arn:aws:logs:{R}:{A}:log-group:ok:*"}, "tags": {},
            "subscriptionFilters": []}
    facts = logs.transform_logs([good, {"logGroup": {}}], A, R)
    assert [n.name for n in facts.nodes] == ["ok"] and [g.operation for g in facts.gaps] == ["DescribeLogGroups"]
    assert facts.nodes[0].attributes["retention_days"] is None and facts.nodes[0].attributes["class"] == "STANDARD"


def _zipped() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


@mock_aws
def test_logs_get_on_moto() -> None:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R])
    account = ctx.identify()
    assert logs.get_logs(ctx, R) == [] and ctx.gaps == []
    role = session.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    function = session.client("lambda").create_function(
        FunctionName="shipper", Runtime="python3.12", Role=role, Handler="app.handler",
        Code={"ZipFile": _zipped()})["FunctionArn"]
    client = session.client("logs")
    client.create_log_group(logGroupName="/aws/lambda/orders", tags={"team": "shop"})
    client.put_retention_policy(logGroupName="/aws/lambda/orders", retentionInDays=14)
    client.put_subscription_filter(logGroupName="/aws/lambda/orders", filterName="ship", filterPattern="ERROR",
                                   destinationArn=function)
    client.create_log_group(logGroupName="/aws/lambda/chatty")
    records = logs.get_logs(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    facts: Facts = logs.transform_logs(records, account, R)
    nodes = {node.name: node for node in facts.nodes}
    orders = nodes["/aws/lambda/orders"]
    assert orders.id == arns.log_group_arn(R, account, "/aws/lambda/orders")
    assert orders.attributes["retention_days"] == 14 and orders.attributes["tags"] == {"team": "shop"}
    assert nodes["/aws/lambda/chatty"].attributes["retention_days"] is None
    assert [(e.source, e.target, e.kind) for e in facts.edges] == [(orders.id, function, EdgeKind.TRIGGERS)]
    assert "'ship', pattern 'ERROR'" in facts.edges[0].evidence[0].excerpt
