"""KMS: the keys other facts name, read once each after the other collectors ran (moto, and Stubber for
the answers moto does not give), and what a place's encryption answer and the rotation rule make of them."""

from __future__ import annotations

import dataclasses

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import kms, sqs
from collectors.context import AwsContext
from lineage.graph import build_graph
from lineage.model import Facts, Node, Stage
from lineage.protection import ENCRYPTION, places_under, protection
from lineage.rules import evaluate
from lineage.scan import collect

R, A = "eu-west-1", "111122223333"


def _place(node_id: str, kind: str, observed: bool = True, account: str = A, **attributes: object) -> Node:
    return Node(node_id, kind, node_id.rsplit(":", 1)[-1], Stage.STORAGE, account, R, observed, attributes)


def test_the_keys_named_are_every_form_of_reference_in_the_scanned_account_only() -> None:
    facts = [Facts((
        _place(f"arn:aws:sqs:{R}:{A}:q", "sqs.queue", encryption={"type": "kms", "kms_key": "alias/orders"}),
        _place(f"arn:aws:sqs:{R}:{A}:r", "sqs.queue", encryption={"type": "kms", "kms_key": "1234abcd-12ab"}),
        _place("arn:aws:s3:::b", "s3.bucket", replication=[{"replica_kms_key": f"arn:aws:kms:{R}:{A}:key/k2"}]),
        _place(f"arn:aws:logs:{R}:{A}:log-group:x", "logs.log_group", kms_key=f"arn:aws:kms:{R}:{A}:key/k3"),
        _place(f"arn:aws:sqs:{R}:444455556666:p", "sqs.queue", account="444455556666",
               encryption={"kms_key": "alias/theirs"}),  # another account's key: its policy decides, not ours
        _place(f"arn:aws:sqs:{R}:{A}:u", "sqs.queue", observed=False, encryption={"kms_key": "alias/unread"}),
    ))]
    assert sorted(node.id for node in kms.keys_named(facts, A)) == [
        f"arn:aws:kms:{R}:{A}:alias/orders", f"arn:aws:kms:{R}:{A}:key/1234abcd-12ab",
        f"arn:aws:kms:{R}:{A}:key/k2", f"arn:aws:kms:{R}:{A}:key/k3"]
    assert {node.kind for node in kms.keys_named(facts, A)} == {"kms.key"}


@mock_aws
def test_a_scan_reads_the_keys_its_queues_name_once_each_and_judges_their_rotation() -> None:
    session = boto3.Session(region_name=R)
    client = session.client("kms")
    rotating = client.create_key(Description="orders key")["KeyMetadata"]
    client.enable_key_rotation(KeyId=rotating["KeyId"])
    still = client.create_key(Description="legacy key")["KeyMetadata"]
    client.create_alias(AliasName="alias/legacy", TargetKeyId=still["KeyId"])
    queues = session.client("sqs")
    queues.create_queue(QueueName="orders", Attributes={"KmsMasterKeyId": rotating["Arn"]})
    queues.create_queue(QueueName="legacy", Attributes={"KmsMasterKeyId": "alias/legacy"})
    queues.create_queue(QueueName="legacy-too", Attributes={"KmsMasterKeyId": still["KeyId"]})
    ctx = AwsContext(session, [R, "us-east-1"])  # a second region: it names none of these keys, reads none
    ctx.identify()
    facts = collect(ctx, collectors=(sqs.COLLECTOR, kms.COLLECTOR))
    ctx.close()
    assert ctx.gaps == []
    assert ctx.api_calls["kms:DescribeKey"] == 3 and ctx.api_calls["kms:GetKeyRotationStatus"] == 3
    graph = build_graph(facts)
    keys = {node.id: node for node in graph.nodes.values() if node.kind == "kms.key"}
    assert set(keys) == {rotating["Arn"], still["Arn"]}  # an alias and a key id of one key: one node
    rotation = keys[still["Arn"]].attributes["rotation"]
    assert (rotation["applies"], rotation["enabled"]) == (True, False)
    assert keys[rotating["Arn"]].attributes["rotation"]["enabled"] is True
    assert sorted(keys[still["Arn"]].attributes["named_as"]) == sorted([
        f"arn:aws:kms:{R}:{ctx.account}:alias/legacy", f"arn:aws:kms:{R}:{ctx.account}:key/{still['KeyId']}"])
    legacy = graph.nodes[f"arn:aws:sqs:{R}:{ctx.account}:legacy"]
    answer = protection(graph, legacy)[ENCRYPTION]
    assert answer.customer_key is True and "rotation off" in answer.value
    assert answer.evidence[-1].operation == "kms:DescribeKey"
    assert [p.name for p in places_under(graph, keys[still["Arn"]])] == ["legacy", "legacy-too"]
    found = [(f.rule, f.node) for f in evaluate(graph).findings if f.rule == "kms.key_rotation_off"]
    assert found == [("kms.key_rotation_off", still["Arn"])]


def test_keys_that_do_not_rotate_by_nature_and_keys_gone_are_no_finding_and_no_gap() -> None:
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("kms", R))
    gone = f"arn:aws:kms:{R}:{A}:key/gone"  # read first: the keys are read in order of their ids
    stub.add_client_error("describe_key", "NotFoundException", "no such key", expected_params={"KeyId": gone})
    signing = f"arn:aws:kms:{R}:{A}:key/sign"
    stub.add_response("describe_key", {"KeyMetadata": {"KeyId": "sign", "Arn": signing, "AWSAccountId": A,
                                                       "KeyManager": "CUSTOMER", "KeySpec": "ECC_NIST_P256",
                                                       "KeyState": "Enabled"}}, {"KeyId": signing})
    stub.add_client_error("get_key_rotation_status", "UnsupportedOperationException", "not supported",
                          expected_params={"KeyId": "sign"})
    with stub:
        records = kms.get_named_keys(ctx, R, {"kms.key": [signing, gone]})
        stub.assert_no_pending_responses()
    ctx.close()
    assert ctx.gaps == []
    facts = kms.transform_kms(records, A, R)
    [key] = facts.nodes
    assert key.attributes["rotation"] == {"applies": False} and key.attributes["customer_key"] is True
    assert [f for f in evaluate(build_graph([facts])).findings if f.rule == "kms.key_rotation_off"] == []


@mock_aws
def test_a_failure_to_find_what_facts_name_is_that_collectors_gap_and_the_rest_is_read() -> None:
    session = boto3.Session(region_name=R)
    session.client("sqs").create_queue(QueueName="orders", Attributes={"KmsMasterKeyId": "alias/orders"})

    def broken(facts: object, account: str) -> list[Node]:
        raise ValueError("a fact shaped as nothing expected")

    finding_fails = dataclasses.replace(kms.COLLECTOR, named_in=broken)
    ctx = AwsContext(session, [R])
    ctx.identify()
    facts = collect(ctx, collectors=(sqs.COLLECTOR, finding_fails))
    ctx.close()
    [gap] = ctx.gaps
    assert (gap.service, gap.operation) == ("kms", "find the resources other facts name")
    assert "ValueError: a fact shaped as nothing expected" in gap.error
    assert "kms:DescribeKey" not in ctx.api_calls
    assert [n.name for f in facts for n in f.nodes if n.kind == "sqs.queue"] == ["orders"]
