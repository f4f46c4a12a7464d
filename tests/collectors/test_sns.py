"""SNS: the get on recorded answers through botocore's Stubber (topics listed over two pages, subscriptions
over two, a topic and a subscription deleted between listing and reading), the transform on what it read
(no address, phone number or endpoint credential kept anywhere), the get on moto, and what the topics'
protection answers and the SNS rules make of it.

SNS speaks the query protocol (XML), so `recorded_answers.parsed` (a JSON body through botocore's parser)
does not apply: `recorded/sns.json` holds each answer as the boto3 client returns it, and Stubber checks
it against the operation's output shape.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import sns, sqs
from collectors.context import AwsContext
from lineage.graph import build_graph
from lineage.model import EdgeKind, Facts, Severity
from lineage.protection import ENCRYPTION, RETENTION, protection
from lineage.rules import evaluate
from tests.collectors.recorded_answers import read_through, recorded

R, A, PARTNER = "eu-west-1", "111122223333", "444455556666"
ORDERS, ALERTS, LEGACY, PAYMENTS = (f"arn:aws:sns:{R}:{A}:{name}"
                                    for name in ("orders", "alerts", "legacy-events", "payments.fifo"))
FULFILMENT, SNS_DLQ = (f"arn:aws:sqs:{R}:{A}:{name}" for name in ("orders-fulfilment", "orders-sns-dlq"))
PARTNER_QUEUE = f"arn:aws:sqs:{R}:{PARTNER}:partner-orders"
NOTIFY = f"arn:aws:lambda:{R}:{A}:function:notify-customer"
ARCHIVE = f"arn:aws:firehose:{R}:{A}:deliverystream/orders-archive"
HOOK, LEGACY_MONITOR = "https://hooks.partner.example/sns/orders", "http://legacy-monitor.example.com:8080/alerts"
# What the recorded answers hold that no fact may: addresses, a phone number, an endpoint's credentials.
PERSONAL = ("alice.martin", "bob.nguyen", "carol.diaz", "@example", "+15555550100", "5555550100", "hunter2",
            "c2VjcmV0LXRva2Vu", "tenant=", "token=")


def _recorded_read() -> list[dict[str, Any]]:
    answers = recorded("sns")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("sns", R))
    first, second = answers["ListTopics"]
    stub.add_response("list_topics", first, {})
    stub.add_response("list_topics", second, {"NextToken": first["NextToken"]})
    listed: list[dict[str, Any]] = []
    for name in ("orders", "alerts", "legacy-events", "payments.fifo"):
        arn = f"arn:aws:sns:{R}:{A}:{name}"
        stub.add_response("get_topic_attributes", answers["GetTopicAttributes"][name], {"TopicArn": arn})
        stub.add_response("list_tags_for_resource", answers["ListTagsForResource"][name], {"ResourceArn": arn})
        token: dict[str, str] = {}
        for page in answers["ListSubscriptionsByTopic"][name]:
            stub.add_response("list_subscriptions_by_topic", page, {"TopicArn": arn, **token})
            token = {"NextToken": page["NextToken"]} if "NextToken" in page else {}
            listed += page["Subscriptions"]
    stub.add_client_error("get_topic_attributes", "NotFound", "Topic does not exist", 404,
                          expected_params={"TopicArn": f"arn:aws:sns:{R}:{A}:deleted-meanwhile"})
    for subscription in listed:
        arn = subscription["SubscriptionArn"]
        if not arn.startswith("arn:"):
            continue  # pending confirmation: nothing to ask
        if arn in answers["GetSubscriptionAttributes"]:
            stub.add_response("get_subscription_attributes", answers["GetSubscriptionAttributes"][arn],
                              {"SubscriptionArn": arn})
        else:  # unsubscribed between listing and reading
            stub.add_client_error("get_subscription_attributes", "NotFound", "Subscription does not exist", 404,
                                  expected_params={"SubscriptionArn": arn})
    return read_through(stub, ctx, sns.get_sns, R)


def _facts() -> Facts:
    return sns.transform_sns(_recorded_read(), A, R)


def _edges(facts: Facts) -> dict[tuple[str, str], Any]:
    return {(edge.source, edge.target): edge for edge in facts.edges}


def test_recorded_topics_become_nodes_with_their_encryption_fifo_tags_and_subscriptions() -> None:
    facts = _facts()
    topics = {node.id: node for node in facts.nodes if node.kind == "sns.topic"}
    assert set(topics) == {ORDERS, ALERTS, LEGACY, PAYMENTS}  # the topic deleted meanwhile is not there, nor a gap
    assert topics[ORDERS].attributes["encryption"] == {
        "type": "kms", "kms_key": "arn:aws:kms:eu-west-1:111122223333:key/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
        "customer_key": True}
    assert topics[ALERTS].attributes["encryption"] == {"type": "kms", "kms_key": "alias/aws/sns", "customer_key": False}
    assert topics[LEGACY].attributes["encryption"] == {"type": "none", "kms_key": None, "customer_key": False}
    assert topics[PAYMENTS].attributes["fifo"] is True and topics[ORDERS].attributes["fifo"] is False
    assert topics[PAYMENTS].attributes["archive_days"] == 30
    assert topics[ORDERS].attributes["tags"] == {"team": "shop", "lineage:pii": "email"}
    assert topics[LEGACY].attributes["tags"] == {} and topics[LEGACY].attributes["subscriptions"] == 0
    assert topics[ORDERS].attributes["subscriptions"] == 5
    # The subscription to alerts-old was deleted between listing and reading: gone, not counted.
    assert topics[ALERTS].attributes["subscriptions_by_protocol"] == {"email": 2, "http": 1, "sms": 1}
    assert topics[ALERTS].attributes["pending_subscriptions"] == [{"protocol": "email",
                                                                   "status": "PendingConfirmation"}]
    assert all(node.stage.value == "storage" for node in topics.values())
    assert "Policy" not in json.dumps([node.to_dict() for node in facts.nodes])  # not needed, not kept


def test_each_subscription_is_a_flow_in_the_direction_the_message_moves() -> None:
    facts = _facts()
    edges = _edges(facts)
    kinds = {key: edge.kind for key, edge in edges.items()}
    assert kinds == {
        (ORDERS, FULFILMENT): EdgeKind.ROUTES,  # as EventBridge routes to a queue
        (ORDERS, NOTIFY): EdgeKind.TRIGGERS,  # the alias `:live` is the function
        (ORDERS, HOOK): EdgeKind.WRITES,
        (ORDERS, PARTNER_QUEUE): EdgeKind.ROUTES,
        (ORDERS, ARCHIVE): EdgeKind.ROUTES,
        (ORDERS, SNS_DLQ): EdgeKind.WRITES,  # what could not be delivered to the queue
        (ALERTS, f"{ALERTS}#email"): EdgeKind.WRITES,
        (ALERTS, f"{ALERTS}#sms"): EdgeKind.WRITES,
        (ALERTS, LEGACY_MONITOR): EdgeKind.WRITES,
        (PAYMENTS, f"arn:aws:sqs:{R}:{A}:payments-ledger.fifo"): EdgeKind.ROUTES,
    }
    [filtered] = edges[(ORDERS, FULFILMENT)].evidence
    assert (filtered.operation, filtered.resource) == (
        "sns:GetSubscriptionAttributes", f"{ORDERS}:0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9")
    assert "FilterPolicy" in filtered.path
    assert json.loads(filtered.excerpt) == {
        "protocol": "sqs", "raw_message_delivery": True, "filter_policy_scope": "MessageBody",
        "filter_policy": '{"event":["order_placed","order_cancelled"],"total":[{"numeric":[">",100]}]}'}
    assert json.loads(edges[(ORDERS, NOTIFY)].evidence[0].excerpt)["filter_policy"] == "none: every message"
    [dead_letter] = edges[(ORDERS, SNS_DLQ)].evidence
    assert "RedrivePolicy" in dead_letter.path and dead_letter.excerpt == SNS_DLQ
    # One sink for both confirmed e-mail subscribers, each subscription its own evidence.
    assert len(edges[(ALERTS, f"{ALERTS}#email")].evidence) == 2
    externals = {node.id: node for node in facts.nodes if node.kind == "external"}
    assert externals[f"{ALERTS}#email"].name == "e-mail subscribers of alerts"
    assert externals[f"{ALERTS}#email"].attributes == {"protocol": "email", "subscribers": 2}
    assert externals[f"{ALERTS}#sms"].name == "SMS subscribers of alerts"
    assert externals[HOOK].attributes == {"protocol": "https"} and not externals[HOOK].observed


def test_no_address_phone_number_or_endpoint_credential_is_kept_anywhere() -> None:
    read = _recorded_read()
    facts = sns.transform_sns(read, A, R)
    graph = build_graph([facts])
    kept = json.dumps({"read": read, "nodes": [n.to_dict() for n in facts.nodes],
                       "edges": [e.to_dict() for e in facts.edges],
                       "graph": [n.to_dict() for n in graph.nodes.values()]})
    found = [text for text in PERSONAL if text in kept]
    assert found == []
    # The endpoint stays, without its query string: each time it is kept, it ends where its path ends.
    assert HOOK in kept and f"{HOOK}?" not in kept


def test_the_protection_of_each_topic_and_what_the_rules_find() -> None:
    dead_letter_queue = sqs.transform_sqs([{"QueueUrl": f"https://sqs.{R}.amazonaws.com/{A}/orders-sns-dlq",
                                            "Attributes": {"QueueArn": SNS_DLQ, "SqsManagedSseEnabled": "true",
                                                           "MessageRetentionPeriod": "1209600"}}], A, R)
    graph = build_graph([_facts(), dead_letter_queue])
    assert protection(graph, graph.nodes[ORDERS])[ENCRYPTION].customer_key is True
    assert protection(graph, graph.nodes[ALERTS])[ENCRYPTION].value == "SSE-KMS, AWS managed key alias/aws/sns"
    assert protection(graph, graph.nodes[LEGACY])[ENCRYPTION].ok is False
    legacy = protection(graph, graph.nodes[LEGACY])[RETENTION]
    assert (legacy.ok, legacy.value) == (True, "messages are not kept: delivered, then dropped")
    assert protection(graph, graph.nodes[PAYMENTS])[RETENTION].value == (
        "messages archived 30 days (FIFO archive policy), then dropped")
    findings = {(f.rule, f.node): f for f in evaluate(graph).findings}
    assert sorted(key for key in findings if key[0].startswith("sns.")) == [
        ("sns.http_subscription", ALERTS), ("sns.subscription_to_another_account", ORDERS),
        ("sns.topic_not_encrypted", LEGACY)]
    plain = findings[("sns.http_subscription", ALERTS)]
    assert plain.severity == Severity.HIGH and LEGACY_MONITOR in plain.message
    assert [e.resource for e in plain.evidence] == [f"{ALERTS}:728394a5-b6c7-4d8e-f90a-1b2c3d4e5f60"]
    crossing = findings[("sns.subscription_to_another_account", ORDERS)]
    assert PARTNER in crossing.message and crossing.evidence[0].resource.startswith(f"{ORDERS}:3e4f5061")
    assert crossing.severity == Severity.HIGH  # orders carries personal data (its tag): one step up
    # The subscription's dead-letter queue is recognised as one: nothing reads it.
    assert ("sqs.dead_letter_queue_unread", SNS_DLQ) in findings


def _topic(**record: Any) -> dict[str, Any]:
    return {"TopicArn": f"arn:aws:sns:{R}:{A}:odd", "Attributes": {}, "Tags": {}, "Subscriptions": [], **record}


def _subscription(protocol: str, endpoint: str, uuid: str = "u1", **record: Any) -> dict[str, Any]:
    return {"SubscriptionArn": f"arn:aws:sns:{R}:{A}:odd:{uuid}", "Protocol": protocol, "Endpoint": endpoint,
            "Owner": A, **record}


def test_what_could_not_be_read_or_understood_is_said_not_guessed() -> None:
    odd = f"arn:aws:sns:{R}:{A}:odd"
    facts = sns.transform_sns([
        _topic(Subscriptions=[
            _subscription("sqs", f"arn:aws:sqs:{R}:{A}:q", AttributesUnread=True),
            _subscription("lambda", "not-an-arn", "u2", Attributes={}),
            _subscription("sqs", f"arn:aws:sqs:{R}:{A}:r", "u3", Attributes={"RedrivePolicy": "{oops"}),
        ]),
        {"TopicArn": f"arn:aws:sns:{R}:{A}:unread", "Unread": True, "SubscriptionsUnread": True},
    ], A, R)
    nodes = {node.id: node for node in facts.nodes}
    assert nodes[f"arn:aws:sns:{R}:{A}:unread"].attributes == {"unread": ["configuration", "subscriptions"]}
    assert nodes[odd].attributes["unread"] == ["subscription attributes"]
    assert nodes[odd].attributes["warnings"] == ["Subscriptions[1]: a lambda endpoint that names no place",
                                                 "Subscriptions[2].RedrivePolicy: not a policy this reader understands"]
    edges = _edges(facts)
    unread = edges[(odd, f"arn:aws:sqs:{R}:{A}:q")].evidence[0]
    assert (unread.operation, unread.path) == ("sns:ListSubscriptionsByTopic", "Subscriptions[0]")
    assert json.loads(unread.excerpt) == {"protocol": "sqs", "attributes": "unread"}
    assert (odd, f"{odd}#lambda") in edges and "not-an-arn" not in json.dumps(nodes[f"{odd}#lambda"].to_dict())
    graph = build_graph([facts])
    assert protection(graph, graph.nodes[f"arn:aws:sns:{R}:{A}:unread"])[ENCRYPTION].ok is None
    # The topic whose configuration was not read is not judged; the one read without a key is.
    assert {f.node for f in evaluate(graph).findings if f.rule == "sns.topic_not_encrypted"} == {odd}


def test_a_denied_subscription_listing_is_a_gap_and_the_topic_says_so() -> None:
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("sns", R))
    stub.add_response("get_topic_attributes", {"Attributes": {"TopicArn": ORDERS}}, {"TopicArn": ORDERS})
    stub.add_response("list_tags_for_resource", {"Tags": []}, {"ResourceArn": ORDERS})
    stub.add_client_error("list_subscriptions_by_topic", "AuthorizationError", "not allowed", 403,
                          expected_params={"TopicArn": ORDERS})
    with stub:
        records = sns.get_named_topics(ctx, R, {"sns.topic": [ORDERS, f"arn:aws:sns:us-east-1:{A}:elsewhere"]})
    ctx.close()
    assert [(gap.operation, gap.resource) for gap in ctx.gaps] == [("ListSubscriptionsByTopic", ORDERS)]
    [topic] = sns.transform_sns(records, A, R).nodes
    assert topic.attributes["unread"] == ["subscriptions"] and "subscriptions" not in topic.attributes


@mock_aws
def test_sns_get_on_moto_a_topic_with_a_filtered_queue_subscription() -> None:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R])
    assert sns.get_sns(ctx, R) == [] and ctx.gaps == []  # no topic: an answer, not a gap
    client, queues = session.client("sns"), session.client("sqs")
    queue_url = queues.create_queue(QueueName="jobs")["QueueUrl"]
    queue = queues.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = client.create_topic(Name="jobs-events", Attributes={"KmsMasterKeyId": "alias/etl"},
                                Tags=[{"Key": "team", "Value": "etl"}])["TopicArn"]
    client.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue,
                     Attributes={"FilterPolicy": json.dumps({"kind": ["done"]}), "RawMessageDelivery": "true"})
    records = sns.get_sns(ctx, R)
    ctx.close()
    assert ctx.gaps == []
    facts = sns.transform_sns(records, ctx.account or A, R)
    [node] = facts.nodes
    assert node.id == topic and node.attributes["tags"] == {"team": "etl"}
    assert node.attributes["encryption"]["customer_key"] is True and node.attributes["subscriptions"] == 1
    [edge] = facts.edges
    assert (edge.source, edge.target, edge.kind) == (topic, queue, EdgeKind.ROUTES)
    assert json.loads(json.loads(edge.evidence[0].excerpt)["filter_policy"]) == {"kind": ["done"]}
