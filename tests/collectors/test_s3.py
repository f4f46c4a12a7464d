"""S3: the transform on recorded responses; the get against moto and, where moto falls short, Stubber."""

from __future__ import annotations

import json
from datetime import datetime

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from collectors import s3
from collectors.context import AwsContext, absent

# Responses as real S3 gives them (2024 and later: SSE-S3 on every bucket by default).
RECORDED = {
    "Name": "raw", "Region": "eu-west-1", "CreationDate": "2024-01-02 00:00:00+00:00",
    "get_bucket_lifecycle_configuration": {"Rules": [
        {"ID": "old-style", "Prefix": "logs/", "Status": "Enabled", "Expiration": {"Days": 7}},
        {"ID": "and", "Status": "Enabled", "Filter": {"And": {"Prefix": "tmp/", "Tags": [
            {"Key": "k", "Value": "v"}], "ObjectSizeGreaterThan": 10}},
         "Expiration": {"Days": 1}, "NoncurrentVersionExpiration": {"NoncurrentDays": 3},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}},
        {"ID": "tag", "Status": "Disabled", "Filter": {"Tag": {"Key": "a", "Value": "b"}},
         "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}]},
    ]},
    "get_bucket_encryption": {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}},
    "get_public_access_block": absent("NoSuchPublicAccessBlockConfiguration"),
    "get_bucket_policy": {"Policy": json.dumps({"Statement": [
        {"Sid": "TLS", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:*"],
         "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}},
        {"Sid": "KMS", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}}]})},
    "get_bucket_versioning": {"Status": "Enabled"},
    "get_bucket_tagging": {"TagSet": [{"Key": "lineage:stage", "Value": "generation"}]},
    "get_bucket_notification_configuration": {"EventBridgeConfiguration": {}},
    "get_bucket_replication": absent("ReplicationConfigurationNotFoundError"),
}


def test_transform_reads_every_configuration_as_recorded() -> None:
    node = s3.transform_bucket(RECORDED, "111122223333")
    attributes = node.attributes
    assert node.id == "arn:aws:s3:::raw" and node.region == "eu-west-1" and node.stage.value == "generation"
    rules = {r["id"]: r for r in attributes["lifecycle_rules"]}
    assert rules["old-style"]["prefix"] == "logs/" and rules["old-style"]["expiration_days"] == 7
    assert rules["and"]["prefix"] == "tmp/" and rules["and"]["tags"] == {"k": "v"}
    assert rules["and"]["size"] == {"ObjectSizeGreaterThan": 10} and rules["and"]["noncurrent_expiration_days"] == 3
    assert rules["tag"]["enabled"] is False
    assert rules["tag"]["transitions"] == [{"days": 30, "storage_class": "GLACIER"}]
    assert attributes["encryption"] == {"algorithm": "AES256", "kms_key": None, "bucket_key": False}
    assert attributes["public_access_block"] is None
    assert attributes["policy"]["tls_only"] and attributes["policy"]["requires_kms"]
    assert attributes["versioning"] == "Enabled" and attributes["eventbridge_notifications"]
    assert "unread" not in attributes


def test_eventbridge_notifications_are_a_flow_to_the_default_bus() -> None:
    facts = s3.transform_buckets([RECORDED], "111122223333")
    [edge] = facts.edges
    assert (edge.source, edge.target, edge.kind.value) == (
        "arn:aws:s3:::raw", "arn:aws:events:eu-west-1:111122223333:event-bus/default", "notifies")


# A notification configuration as S3 returns it: a function told of new JSON under `landing/`, a queue
# told of every removal, a topic of objects whose key prefix ends mid-name.
NOTIFICATIONS = {
    "LambdaFunctionConfigurations": [{
        "Id": "new-json", "LambdaFunctionArn": "arn:aws:lambda:eu-west-1:111122223333:function:ingest:live",
        "Events": ["s3:ObjectCreated:*"], "Filter": {"Key": {"FilterRules": [
            {"Name": "Prefix", "Value": "landing/"}, {"Name": "Suffix", "Value": ".json"}]}}}],
    "QueueConfigurations": [{"Id": "removed", "QueueArn": "arn:aws:sqs:eu-west-1:111122223333:removals",
                             "Events": ["s3:ObjectRemoved:*"]}],
    "TopicConfigurations": [{"Id": "daily", "TopicArn": "arn:aws:sns:eu-west-1:111122223333:exports",
                             "Events": ["s3:ObjectCreated:Put"], "Filter": {"Key": {"FilterRules": [
                                 {"Name": "prefix", "Value": "exports/2024-"}]}}}],
}


def test_event_notifications_are_flows_from_the_path_their_filter_names() -> None:
    record = {**RECORDED, "get_bucket_notification_configuration": NOTIFICATIONS}
    flows = {(e.source, e.target, e.kind.value): e for e in s3.transform_buckets([record], "111122223333").edges}
    assert set(flows) == {
        ("arn:aws:s3:::raw/landing", "arn:aws:lambda:eu-west-1:111122223333:function:ingest", "notifies"),
        ("arn:aws:s3:::raw", "arn:aws:sqs:eu-west-1:111122223333:removals", "notifies"),
        ("arn:aws:s3:::raw/exports", "arn:aws:sns:eu-west-1:111122223333:exports", "notifies"),
    }
    evidence = flows[("arn:aws:s3:::raw/landing", "arn:aws:lambda:eu-west-1:111122223333:function:ingest",
                      "notifies")].evidence[0]
    assert evidence.path == "LambdaFunctionConfigurations[0]"
    assert evidence.excerpt == "s3:ObjectCreated:*; prefix landing/; suffix .json"


@mock_aws
def test_event_notifications_are_read_on_moto() -> None:
    session = boto3.Session(region_name="eu-west-1")
    queue = session.client("sqs").create_queue(QueueName="arrivals")["QueueUrl"]
    queue_arn = session.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    client = session.client("s3")
    client.create_bucket(Bucket="drop", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    client.put_bucket_notification_configuration(Bucket="drop", NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
         "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "in/"}]}}}]})
    ctx = AwsContext(session, ["eu-west-1"])
    facts = s3.transform_buckets(s3.get_buckets(ctx, "eu-west-1"), ctx.account)
    ctx.close()
    assert ctx.gaps == []
    assert [(e.source, e.target) for e in facts.edges] == [("arn:aws:s3:::drop/in", queue_arn)]


# A replication configuration as S3 returns it: `exports/` to a bucket in another account under its key,
# everything tagged `share` to a bucket of the same account (the legacy prefix-less form), one rule off.
REPLICATION = {"ReplicationConfiguration": {"Role": "arn:aws:iam::111122223333:role/replication", "Rules": [
    {"ID": "to-partner", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "exports/2024-"},
     "DeleteMarkerReplication": {"Status": "Disabled"},
     "SourceSelectionCriteria": {"SseKmsEncryptedObjects": {"Status": "Enabled"}},
     "Destination": {"Bucket": "arn:aws:s3:::partner-inbox", "Account": "444455556666", "StorageClass": "STANDARD_IA",
                     "AccessControlTranslation": {"Owner": "Destination"},
                     "EncryptionConfiguration": {"ReplicaKmsKeyID": "arn:aws:kms:eu-west-1:444455556666:key/k"}}},
    {"ID": "shared", "Priority": 2, "Status": "Enabled", "Filter": {"Tag": {"Key": "share", "Value": "yes"}},
     "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws-cn:s3:::raw-dr"}},
    {"ID": "off", "Priority": 3, "Status": "Disabled", "Filter": {}, "DeleteMarkerReplication": {"Status": "Disabled"},
     "Destination": {"Bucket": "arn:aws:s3:::nowhere"}},
]}}


def test_replication_rules_are_flows_from_the_path_they_copy_to_the_same_keys_elsewhere() -> None:
    record = {**RECORDED, "get_bucket_replication": REPLICATION}
    facts = s3.transform_buckets([record], "111122223333")
    flows = {(e.source, e.target, e.kind.value): e for e in facts.edges if e.kind.value == "writes"}
    assert set(flows) == {("arn:aws:s3:::raw/exports", "arn:aws:s3:::partner-inbox/exports", "writes"),
                          ("arn:aws:s3:::raw", "arn:aws:s3:::raw-dr", "writes")}
    evidence = flows[("arn:aws:s3:::raw/exports", "arn:aws:s3:::partner-inbox/exports", "writes")].evidence[0]
    assert evidence.operation == "s3:GetReplicationConfiguration"
    assert evidence.path == "ReplicationConfiguration.Rules[0]"
    assert "destination_account 444455556666" in evidence.excerpt
    [rule] = [r for r in facts.nodes[0].attributes["replication"] if r["id"] == "to-partner"]
    assert rule["replica_kms_key"].endswith(":key/k") and rule["kms_encrypted_objects"] is True
    assert rule["prefix"] == "exports/2024-" and rule["storage_class"] == "STANDARD_IA"


@mock_aws
def test_replication_is_read_on_moto() -> None:
    session = boto3.Session(region_name="us-east-1")
    client = session.client("s3")
    for name in ("src", "dst"):
        client.create_bucket(Bucket=name)
        client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    client.put_bucket_replication(Bucket="src", ReplicationConfiguration={
        "Role": "arn:aws:iam::123456789012:role/r", "Rules": [
            {"ID": "all", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": "data/"},
             "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws:s3:::dst"}}]})
    ctx = AwsContext(session, ["us-east-1"])
    facts = s3.transform_buckets(s3.get_buckets(ctx), ctx.account)
    ctx.close()
    assert ctx.gaps == []
    # moto answers every rule's filter with an empty prefix; `lineage.moto_support` has it answer the filter put, as
    # real S3 does (the recorded test above): the path replicated is the path under the prefix.
    assert [(e.source, e.target) for e in facts.edges] == [("arn:aws:s3:::src/data", "arn:aws:s3:::dst/data")]


def test_configuration_that_could_not_be_read_is_said_to_be_unread_not_assumed_absent() -> None:
    node = s3.transform_bucket({"Name": "b", "Region": "us-east-1"}, "1")
    assert set(node.attributes["unread"]) == {"lifecycle", "encryption", "policy", "versioning", "tags",
                                              "public_access_block", "notifications", "replication"}
    assert "lifecycle_rules" not in node.attributes and "encryption" not in node.attributes


def test_policy_without_tls_deny_is_not_tls_only() -> None:
    allow = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                       "Resource": "*"}]})
    assert s3.policy_facts(allow)["tls_only"] is False
    assert s3.policy_facts("not json")["unreadable"] is True


def context(session: boto3.Session, **kwargs) -> AwsContext:
    return AwsContext(session, ["us-east-1"], workers=4, **kwargs)


@mock_aws
def test_get_makes_one_call_per_configuration_per_bucket() -> None:
    session = boto3.Session(region_name="us-east-1")
    client = session.client("s3")
    for name in ("bkt-a", "bkt-b", "bkt-c"):
        client.create_bucket(Bucket=name)
    client.put_bucket_lifecycle_configuration(Bucket="bkt-a", LifecycleConfiguration={"Rules": [
        {"ID": "x", "Status": "Enabled", "Filter": {"Prefix": "p/"}, "Expiration": {"Days": 1}}]})
    ctx = context(session)
    records = s3.get_buckets(ctx)
    ctx.close()
    assert sorted(r["Name"] for r in records) == ["bkt-a", "bkt-b", "bkt-c"]
    assert ctx.gaps == []
    assert ctx.api_calls["s3:ListBuckets"] == 1
    for operation in ("GetBucketLifecycleConfiguration", "GetBucketEncryption", "GetPublicAccessBlock",
                      "GetBucketPolicy", "GetBucketVersioning", "GetBucketTagging",
                      "GetBucketNotificationConfiguration", "GetBucketReplication"):
        assert ctx.api_calls[f"s3:{operation}"] == 3, operation
    facts = s3.transform_buckets(records, "123456789012")
    by_name = {n.name: n for n in facts.nodes}
    assert by_name["bkt-a"].attributes["lifecycle_rules"][0]["prefix"] == "p/"
    assert by_name["bkt-b"].attributes["lifecycle_rules"] == []
    assert by_name["bkt-b"].attributes["policy"]["present"] is False


def _stubbed_context(operations: list[tuple[str, dict, dict | None, str | None]]) -> tuple[AwsContext, Stubber]:
    session = boto3.Session(region_name="us-east-1")
    ctx = AwsContext(session, ["us-east-1"], workers=1, max_attempts=1)
    client = ctx.client("s3", "us-east-1")
    stubber = Stubber(client)
    for method, response, params, error in operations:
        if error:
            stubber.add_client_error(method, service_error_code=error, http_status_code=403, expected_params=params)
        else:
            stubber.add_response(method, response, params)
    stubber.activate()
    return ctx, stubber


def test_bucket_region_from_listing_saves_location_call_and_access_denied_is_a_gap() -> None:
    # Real ListBuckets answers BucketRegion; moto does not. AccessDenied on one call is one gap.
    bucket = {"Name": "b", "CreationDate": datetime(2024, 1, 1), "BucketRegion": "us-east-1"}
    calls = [("list_buckets", {"Buckets": [bucket], "Owner": {"ID": "o"}}, None, None),
             ("get_bucket_lifecycle_configuration", {}, {"Bucket": "b"}, "AccessDenied"),
             ("get_bucket_encryption", {"ServerSideEncryptionConfiguration": {"Rules": [
                 {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}}, {"Bucket": "b"}, None),
             ("get_public_access_block", {}, {"Bucket": "b"}, "NoSuchPublicAccessBlockConfiguration"),
             ("get_bucket_policy", {}, {"Bucket": "b"}, "NoSuchBucketPolicy"),
             ("get_bucket_versioning", {}, {"Bucket": "b"}, None),
             ("get_bucket_tagging", {}, {"Bucket": "b"}, "NoSuchTagSet"),
             ("get_bucket_notification_configuration", {"EventBridgeConfiguration": {}}, {"Bucket": "b"}, None),
             ("get_bucket_replication", {}, {"Bucket": "b"}, "ReplicationConfigurationNotFoundError")]
    ctx, stubber = _stubbed_context(calls)
    [record] = s3.get_buckets(ctx)
    ctx.close()
    stubber.assert_no_pending_responses()
    assert "s3:GetBucketLocation" not in ctx.api_calls
    [gap] = ctx.gaps
    assert (gap.service, gap.operation, gap.resource) == ("s3", "GetBucketLifecycleConfiguration", "b")
    assert gap.error.startswith("AccessDenied")
    node = s3.transform_bucket(record, "1")
    assert node.attributes["unread"] == ["lifecycle"]
    assert node.attributes["encryption"]["algorithm"] == "AES256"
    assert node.attributes["eventbridge_notifications"] is True
    assert node.attributes["public_access_block"] is None and node.attributes["tags"] == {}


def test_throttling_after_retries_is_a_gap_and_the_listing_failure_leaves_no_buckets() -> None:
    ctx, stubber = _stubbed_context([("list_buckets", {}, None, "ThrottlingException")])
    assert s3.get_buckets(ctx) == []
    ctx.close()
    assert [g.error.split(":")[0] for g in ctx.gaps] == ["ThrottlingException"]


@pytest.mark.parametrize("constraint,region", [(None, "us-east-1"), ("EU", "eu-west-1"), ("ap-south-1", "ap-south-1")])
def test_location_constraint_names_the_region(constraint, region) -> None:
    assert s3._location_region({"LocationConstraint": constraint}) == region
