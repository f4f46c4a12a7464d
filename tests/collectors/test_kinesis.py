"""Kinesis Data Streams: the get on recorded answers through botocore's Stubber (ListStreams in two pages, a
stream deleted between listing and reading), the transform on what it read, streams read by name when the
listing is denied, the get on moto, and what the encryption and retention answers and the rules make of it."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import kinesis
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.graph import build_graph
from lineage.model import Severity
from lineage.protection import ENCRYPTION, RETENTION, protection
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
CLICKS, AUDIT, LEGACY, DELETED = (f"arn:aws:kinesis:{R}:{A}:stream/{name}"
                                  for name in ("clickstream", "audit-events", "legacy-metrics", "deleted-meanwhile"))
CUSTOMER_KEY = f"arn:aws:kms:{R}:{A}:key/8c1f2d3e-4a5b-46c7-98d9-0e1f2a3b4c5d"
SESSIONIZER = f"{CLICKS}/consumer/sessionizer:1714564800"


def _stub_stream(stub: Stubber, answers: dict[str, Any], name: str, consumers: bool) -> None:
    arn = f"arn:aws:kinesis:{R}:{A}:stream/{name}"
    stub.add_response("describe_stream_summary", parsed("kinesis", "DescribeStreamSummary",
                                                        answers["DescribeStreamSummary"][name]), {"StreamARN": arn})
    if consumers:
        stub.add_response("list_stream_consumers", parsed("kinesis", "ListStreamConsumers",
                                                          answers["ListStreamConsumers"][name]), {"StreamARN": arn})
    stub.add_response("list_tags_for_stream", parsed("kinesis", "ListTagsForStream",
                                                     answers["ListTagsForStream"][name]),
                      {"StreamARN": arn, "Limit": 50})


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("kinesis")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("kinesis", R))
    stub.add_response("list_streams", parsed("kinesis", "ListStreams", answers["ListStreams"][0]), {})
    stub.add_response("list_streams", parsed("kinesis", "ListStreams", answers["ListStreams"][1]),
                      {"NextToken": answers["ListStreams"][0]["NextToken"]})
    # Only the stream whose summary counts a consumer is asked for its consumers.
    for name, consumers in (("clickstream", True), ("audit-events", False), ("legacy-metrics", False)):
        _stub_stream(stub, answers, name, consumers)
    stub.add_client_error("describe_stream_summary", "ResourceNotFoundException",
                          f"Stream deleted-meanwhile under account {A} not found.",
                          expected_params={"StreamARN": DELETED})
    return read_through(stub, ctx, kinesis.get_kinesis, R)


def test_recorded_streams_become_nodes_with_encryption_retention_mode_and_consumers() -> None:
    facts = kinesis.transform_kinesis(_recorded_read(), A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert set(nodes) == {CLICKS, AUDIT, LEGACY}  # the stream deleted meanwhile holds nothing, and is no gap
    assert facts.edges == () and facts.gaps == ()
    clicks, audit, legacy = nodes[CLICKS], nodes[AUDIT], nodes[LEGACY]
    assert clicks.kind == "kinesis.stream" and clicks.name == "clickstream" and clicks.stage.value == "storage"
    assert clicks.attributes == {
        "mode": "PROVISIONED", "status": "ACTIVE", "retention_hours": 24, "consumers": ["sessionizer"],
        "encryption": {"type": "kms", "kms_key": CUSTOMER_KEY, "customer_key": True},
        "tags": {"team": "web", "lineage:pii": "email"}}
    assert audit.attributes["encryption"] == {"type": "none", "kms_key": None, "customer_key": False}
    assert (audit.attributes["mode"], audit.attributes["retention_hours"]) == ("ON_DEMAND", 168)
    assert audit.attributes["consumers"] == [] and audit.attributes["tags"] == {}
    assert legacy.attributes["encryption"] == {"type": "kms", "kms_key": "alias/aws/kinesis", "customer_key": False}
    assert legacy.attributes["status"] == "UPDATING" and "unread" not in legacy.attributes


def test_the_protection_of_each_stream_and_the_rules() -> None:
    graph = build_graph([kinesis.transform_kinesis(_recorded_read(), A, R)])
    clicks = protection(graph, graph.nodes[CLICKS])
    assert clicks[ENCRYPTION].ok is True and clicks[ENCRYPTION].customer_key is True
    assert clicks[ENCRYPTION].value == f"SSE-KMS, customer managed key {CUSTOMER_KEY}"
    assert clicks[ENCRYPTION].evidence[0].operation == "kinesis:DescribeStreamSummary"
    assert protection(graph, graph.nodes[LEGACY])[ENCRYPTION].customer_key is False
    audit = protection(graph, graph.nodes[AUDIT])
    assert audit[ENCRYPTION].ok is False and audit[ENCRYPTION].value == "none: records rest unencrypted"
    assert (audit[RETENTION].ok, audit[RETENTION].value) == (True, "records kept 168 hours (7 days) at most")
    assert audit[RETENTION].evidence[0].path == "StreamDescriptionSummary.RetentionPeriodHours"
    assert protection(graph, graph.nodes[CLICKS])[RETENTION].value == "records kept 24 hours at most"

    findings = evaluate(graph).findings
    found = {(f.rule, f.node): f for f in findings if f.rule.startswith("kinesis.")}
    # Only the unencrypted stream that keeps a week of records: the others are encrypted and keep the default day.
    assert {(rule, node, f.severity) for (rule, node), f in found.items()} == {
        ("kinesis.stream_not_encrypted", AUDIT, Severity.MEDIUM),
        ("kinesis.retention_beyond_need", AUDIT, Severity.INFO)}
    retention = found[("kinesis.retention_beyond_need", AUDIT)]
    assert "168 hours (7 days)" in retention.message and "144 more hours" in retention.message
    assert "billed" in retention.message and "decrease-stream-retention-period" in retention.remediation
    assert retention.evidence[0].excerpt == "168"
    # clickstream carries personal data (its tag) under a key of the customer's own: no finding for it.
    assert graph.nodes[CLICKS].attributes["personal_data"]["categories"] == ["email"]
    assert not [f for f in findings if f.node == CLICKS and f.rule.startswith("pii.personal_data_without")]


def test_a_stream_whose_summary_was_not_read_keeps_what_the_listing_said_and_is_not_judged() -> None:
    listed = recorded("kinesis")["ListStreams"][0]["StreamSummaries"][1]
    facts = kinesis.transform_kinesis([{"Stream": listed}], A, R)
    [stream] = facts.nodes
    assert stream.id == AUDIT and stream.observed
    assert stream.attributes == {"mode": "ON_DEMAND", "status": "ACTIVE",
                                 "unread": ["configuration", "consumers", "tags"]}
    graph = build_graph([facts])
    assert protection(graph, graph.nodes[AUDIT])[ENCRYPTION].ok is None
    assert protection(graph, graph.nodes[AUDIT])[RETENTION].ok is None
    assert not [f for f in evaluate(graph).findings if f.rule.startswith("kinesis.")]


def test_a_summary_no_transform_expected_costs_only_its_stream() -> None:
    answers = recorded("kinesis")["DescribeStreamSummary"]
    odd = {"Stream": {"StreamName": "odd", "StreamARN": f"arn:aws:kinesis:{R}:{A}:stream/odd"},
           "Summary": {"StreamName": "odd", "RetentionPeriodHours": "a day"}}
    good = {"Stream": {"StreamName": "clickstream", "StreamARN": CLICKS},
            "Summary": answers["clickstream"]["StreamDescriptionSummary"], "Consumers": [], "Tags": {}}
    facts = kinesis.transform_kinesis([odd, good], A, R)
    assert [n.id for n in facts.nodes] == [CLICKS]
    [gap] = facts.gaps
    assert (gap.operation, gap.resource) == ("DescribeStreamSummary", f"arn:aws:kinesis:{R}:{A}:stream/odd")


def test_a_consumer_arn_names_its_stream_and_every_other_arn_is_left_as_it_is() -> None:
    assert arns.kinesis_stream_of(SESSIONIZER) == CLICKS
    assert arns.kinesis_stream_of("arn:aws-cn:kinesis:cn-north-1:1:stream/s/consumer/c:1") == \
        "arn:aws-cn:kinesis:cn-north-1:1:stream/s"
    for other in (CLICKS, f"arn:aws:sqs:{R}:{A}:consumer", f"arn:aws:dynamodb:{R}:{A}:table/t/stream/2024",
                  f"arn:aws:firehose:{R}:{A}:deliverystream/d", "s3://bucket/consumer/x", "not an arn"):
        assert arns.kinesis_stream_of(other) == other
    assert arns.kind_for_arn(arns.kinesis_stream_of(SESSIONIZER)) == "kinesis.stream"
    assert arns.kinesis_stream_arn(R, A, "clickstream") == CLICKS


def test_streams_named_elsewhere_are_read_by_name_and_tags_read_page_by_page() -> None:
    """ListStreams denied: a stream another fact names (here by its consumer's ARN, and by its own) is read by
    ARN, once; one in another region is left to that region's task. Tags beyond one page are followed."""
    answers = recorded("kinesis")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("kinesis", R))
    stub.add_response("describe_stream_summary", parsed("kinesis", "DescribeStreamSummary",
                                                        answers["DescribeStreamSummary"]["clickstream"]),
                      {"StreamARN": CLICKS})
    stub.add_response("list_stream_consumers", parsed("kinesis", "ListStreamConsumers",
                                                      answers["ListStreamConsumers"]["clickstream"]),
                      {"StreamARN": CLICKS})
    stub.add_response("list_tags_for_stream", {"Tags": [{"Key": "lineage:pii", "Value": "email"}],
                                               "HasMoreTags": True}, {"StreamARN": CLICKS, "Limit": 50})
    stub.add_response("list_tags_for_stream", {"Tags": [{"Key": "team", "Value": "web"}], "HasMoreTags": False},
                      {"StreamARN": CLICKS, "Limit": 50, "ExclusiveStartTagKey": "lineage:pii"})
    wanted = {"kinesis.stream": [SESSIONIZER, CLICKS, "arn:aws:kinesis:us-east-1:111122223333:stream/far"]}
    records = read_through(stub, ctx, lambda c, r: kinesis.get_named_streams(c, r, wanted), R)
    [stream] = kinesis.transform_kinesis(records, A, R).nodes
    assert stream.id == CLICKS and stream.attributes["tags"] == {"lineage:pii": "email", "team": "web"}
    assert stream.attributes["consumers"] == ["sessionizer"]


@mock_aws
def test_kinesis_get_on_moto() -> None:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R])
    assert kinesis.get_kinesis(ctx, R) == [] and ctx.gaps == []
    client = session.client("kinesis")
    client.create_stream(StreamName="clicks", ShardCount=1)
    client.start_stream_encryption(StreamName="clicks", EncryptionType="KMS", KeyId="alias/clicks")
    client.add_tags_to_stream(StreamName="clicks", Tags={"team": "web"})
    clicks_arn = client.describe_stream_summary(StreamName="clicks")["StreamDescriptionSummary"]["StreamARN"]
    client.register_stream_consumer(StreamARN=clicks_arn, ConsumerName="sessionizer")
    client.create_stream(StreamName="audit", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    client.increase_stream_retention_period(StreamName="audit", RetentionPeriodHours=168)
    records = kinesis.get_kinesis(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    nodes = {n.name: n for n in kinesis.transform_kinesis(records, ctx.account or A, R).nodes}
    assert set(nodes) == {"clicks", "audit"} and nodes["clicks"].id == clicks_arn
    clicks, audit = nodes["clicks"].attributes, nodes["audit"].attributes
    assert clicks["encryption"] == {"type": "kms", "kms_key": "alias/clicks", "customer_key": True}
    assert clicks["consumers"] == ["sessionizer"] and clicks["tags"] == {"team": "web"}
    assert audit["encryption"]["type"] == "none" and audit["retention_hours"] == 168
    assert audit["mode"] == "ON_DEMAND" and audit["consumers"] == [] and audit["tags"] == {}
