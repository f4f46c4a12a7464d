"""SQS: the get on recorded answers through botocore's Stubber (a queue deleted between listing and reading
included), the transform on what it read, the get on moto (an account without queues too), and what the
queues' configuration answers and the encryption rules make of it."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import sqs
from collectors.context import AwsContext
from lineage.graph import build_graph
from lineage.model import Severity
from lineage.protection import ENCRYPTION, RETENTION, protection
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
URL = f"https://sqs.{R}.amazonaws.com/{A}/"
ORDERS, DLQ, LEGACY = (f"arn:aws:sqs:{R}:{A}:{name}" for name in ("orders", "orders-dlq", "legacy-events"))


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("sqs")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("sqs", R))
    stub.add_response("list_queues", parsed("sqs", "ListQueues", answers["ListQueues"][0]), {})
    stub.add_response("list_queues", parsed("sqs", "ListQueues", answers["ListQueues"][1]),
                      {"NextToken": answers["ListQueues"][0]["NextToken"]})
    for name in ("orders", "orders-dlq", "legacy-events"):
        stub.add_response("get_queue_attributes", parsed("sqs", "GetQueueAttributes",
                                                         answers["GetQueueAttributes"][name]),
                          {"QueueUrl": URL + name, "AttributeNames": ["All"]})
        stub.add_response("list_queue_tags", parsed("sqs", "ListQueueTags", answers["ListQueueTags"][name]),
                          {"QueueUrl": URL + name})
    stub.add_client_error("get_queue_attributes", "AWS.SimpleQueueService.NonExistentQueue",
                          "The specified queue does not exist.",
                          expected_params={"QueueUrl": URL + "deleted-meanwhile", "AttributeNames": ["All"]})
    return read_through(stub, ctx, sqs.get_sqs, R)


def test_recorded_queues_become_nodes_with_their_encryption_retention_and_dead_letter_queue() -> None:
    facts = sqs.transform_sqs(_recorded_read(), A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert set(nodes) == {ORDERS, DLQ, LEGACY}
    assert nodes[ORDERS].attributes["encryption"] == {
        "type": "kms", "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
        "customer_key": True}
    assert nodes[DLQ].attributes["encryption"]["type"] == "sse-sqs"
    assert nodes[LEGACY].attributes["encryption"] == {"type": "kms", "kms_key": "alias/aws/sqs", "customer_key": False}
    assert nodes[ORDERS].attributes["retention_seconds"] == 345600 and nodes[DLQ].attributes["tags"] == {}
    [redrive] = facts.edges  # failed messages move on: the same data, in the dead-letter queue
    assert (redrive.source, redrive.target, redrive.kind.value) == (ORDERS, DLQ, "writes")
    assert redrive.evidence[0].path == "Attributes.RedrivePolicy.deadLetterTargetArn"


def test_the_protection_of_each_queue_and_personal_data_without_a_customer_key() -> None:
    graph = build_graph([sqs.transform_sqs(_recorded_read(), A, R)])
    assert protection(graph, graph.nodes[ORDERS])[ENCRYPTION].customer_key is True
    assert protection(graph, graph.nodes[LEGACY])[ENCRYPTION].customer_key is False
    assert protection(graph, graph.nodes[DLQ])[RETENTION].value == "messages kept 14 days 0 hours at most"
    findings = evaluate(graph).findings
    # orders holds personal data (its tag) and passes it to the dead-letter queue, which has AWS's keys only.
    assert graph.nodes[DLQ].attributes["personal_data"]["categories"] == ["email"]
    assert {(f.rule, f.node) for f in findings if f.rule == "pii.personal_data_without_customer_key"} == {
        ("pii.personal_data_without_customer_key", DLQ)}
    # Every queue is encrypted; the dead-letter queue has no reader in what was read.
    assert [(f.rule, f.node) for f in findings if f.rule.startswith("sqs.")] == [
        ("sqs.dead_letter_queue_unread", DLQ)]


def test_a_queue_without_encryption_is_a_finding_and_an_unread_one_is_not_judged() -> None:
    plain = {"QueueUrl": URL + "plain", "Attributes": {
        "QueueArn": f"arn:aws:sqs:{R}:{A}:plain", "MessageRetentionPeriod": "60", "SqsManagedSseEnabled": "false"}}
    unread = {"QueueUrl": URL + "unread", "Unread": True}
    graph = build_graph([sqs.transform_sqs([plain, unread], A, R)])
    found = [(f.rule, f.node, f.severity) for f in evaluate(graph).findings if f.rule.startswith("sqs.")]
    assert found == [("sqs.queue_not_encrypted", f"arn:aws:sqs:{R}:{A}:plain", Severity.MEDIUM)]
    assert graph.nodes[f"arn:aws:sqs:{R}:{A}:unread"].attributes["unread"] == ["configuration"]
    assert protection(graph, graph.nodes[f"arn:aws:sqs:{R}:{A}:unread"])[ENCRYPTION].ok is None


def test_a_redrive_policy_nobody_can_read_is_a_warning_on_the_queue() -> None:
    odd = {"QueueUrl": URL + "odd", "Attributes": {"QueueArn": f"arn:aws:sqs:{R}:{A}:odd", "RedrivePolicy": "{oops"}}
    facts = sqs.transform_sqs([odd], A, R)
    [queue] = facts.nodes
    assert facts.edges == () and queue.attributes["warnings"] == ["RedrivePolicy: not a policy this reader understands"]


@mock_aws
def test_sqs_get_on_moto_and_an_account_without_queues() -> None:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R])
    assert sqs.get_sqs(ctx, R) == [] and ctx.gaps == []  # no QueueUrls in the answer: no queue, not a gap
    client = session.client("sqs")
    dlq = client.create_queue(QueueName="jobs-dlq")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    client.create_queue(QueueName="jobs", tags={"team": "etl"}, Attributes={
        "KmsMasterKeyId": "alias/etl", "RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":"3"}}'})
    records = sqs.get_sqs(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    facts = sqs.transform_sqs(records, ctx.account or A, R)
    jobs = next(n for n in facts.nodes if n.name == "jobs")
    assert jobs.attributes["tags"] == {"team": "etl"} and jobs.attributes["encryption"]["customer_key"] is True
    assert [(e.source, e.target) for e in facts.edges] == [(jobs.id, dlq_arn)]
