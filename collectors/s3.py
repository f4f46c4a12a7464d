"""S3: every bucket, with lifecycle, default encryption, public access block, TLS-only policy,
versioning, tags and EventBridge notifications.

`get_buckets` calls AWS (one listing, then one call per configuration per bucket, in the bucket's
own region); `transform_bucket` is a pure function of those responses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from collectors.context import AwsContext, each_answer, each_resource, is_absent, is_gone, tag_dict
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.model import CoverageGap, Edge, EdgeKind, Evidence, Facts, Node, stage_for


def _policy_problem(answer: Any) -> str | None:
    try:
        document = json.loads(answer.get("Policy", ""))
    except (TypeError, ValueError):
        return "the policy document is not JSON"
    return None if isinstance(document, dict) else "the policy document is not a JSON object"


_GONE = ("NoSuchBucket",)
PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
LIST_BUCKETS = Call("s3", "list_buckets", result_key="Buckets", required=("Name",),
                    iam_action="s3:ListAllMyBuckets")
GET_BUCKET_LOCATION = Call("s3", "get_bucket_location", gone=_GONE, empty_is_an_answer=True)
# One call per configuration per bucket, in the bucket's own region.
CONFIGURATION_CALLS: tuple[Call, ...] = (
    Call("s3", "get_bucket_lifecycle_configuration", required=("Rules",), absent=("NoSuchLifecycleConfiguration",),
         gone=_GONE, iam_action="s3:GetLifecycleConfiguration"),
    Call("s3", "get_bucket_encryption", required=("ServerSideEncryptionConfiguration.Rules",),
         absent=("ServerSideEncryptionConfigurationNotFoundError",), gone=_GONE,
         iam_action="s3:GetEncryptionConfiguration"),
    Call("s3", "get_public_access_block",
         required=tuple(f"PublicAccessBlockConfiguration.{setting}" for setting in PUBLIC_ACCESS_SETTINGS),
         absent=("NoSuchPublicAccessBlockConfiguration",), gone=_GONE, iam_action="s3:GetBucketPublicAccessBlock"),
    Call("s3", "get_bucket_policy", required=("Policy",), absent=("NoSuchBucketPolicy",), gone=_GONE,
         check=_policy_problem),
    Call("s3", "get_bucket_versioning", gone=_GONE, empty_is_an_answer=True),
    Call("s3", "get_bucket_tagging", required=("TagSet",), absent=("NoSuchTagSet", "NoSuchTagSetError"), gone=_GONE),
    Call("s3", "get_bucket_notification_configuration", gone=_GONE, empty_is_an_answer=True,
         iam_action="s3:GetBucketNotification"),
    Call("s3", "get_bucket_replication", required=("ReplicationConfiguration.Rules",),
         absent=("ReplicationConfigurationNotFoundError",), gone=_GONE, iam_action="s3:GetReplicationConfiguration"),
)


def _location_region(response: dict[str, Any] | None) -> str | None:
    if response is None:
        return None
    constraint = response.get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def _read_bucket(ctx: AwsContext, name: str, region: str | None, created: str = "") -> dict[str, Any] | None:
    """The responses of one bucket: `{"Name", "Region", "<method>": response | absent}`; None when the
    bucket no longer exists. A configuration missing from the record could not be read (a gap was noted).
    """
    record: dict[str, Any] = {"Name": name, "CreationDate": created}
    if not region:
        location = ctx.call(GET_BUCKET_LOCATION, ctx.home_region, name, Bucket=name)
        if is_gone(location):
            return None
        region = _location_region(location)
    record["Region"] = region or ""
    for call in CONFIGURATION_CALLS:
        response = ctx.call(call, region or ctx.home_region, name, Bucket=name)
        if is_gone(response):
            return None  # deleted while we read it: it is not part of the estate any more
        if response is not None:
            record[call.method] = response
    return record


def get_buckets(ctx: AwsContext, _region: str = "") -> list[dict[str, Any]]:
    """Every listed bucket's responses (see `_read_bucket`); a bucket deleted meanwhile is left out."""
    listing = ctx.pages(LIST_BUCKETS, ctx.home_region)
    if listing is None:
        return []
    records = ctx.map(lambda b: _read_bucket(ctx, b["Name"], b.get("BucketRegion"), str(b.get("CreationDate", ""))),
                      listing)
    return [r for r in records if r is not None]


def get_named_buckets(ctx: AwsContext, _region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Buckets that other facts name, read one by one when the listing could not be read."""
    names = sorted({arns.parse_s3_url(i)[0] for ids in wanted.values() for i in ids if arns.parse_s3_url(i)})
    records = ctx.map(lambda name: _read_bucket(ctx, name, None), names)
    return [r for r in records if r is not None]


# --- transform ----------------------------------------------------------------------------------


def filter_scope(rule: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, int]]:
    """The objects a lifecycle or replication rule applies to — (prefix, tags, size bounds) — however its
    filter spells them: the pre-2019 `Prefix` (still answered by some buckets), `Filter`, `Filter.And`."""
    prefix = rule.get("Prefix")
    tags: dict[str, str] = {}
    size: dict[str, int] = {}
    rule_filter = rule.get("Filter") or {}
    for part in (rule_filter, rule_filter.get("And") or {}):
        if "Prefix" in part:
            prefix = part["Prefix"]
        tags.update(tag_dict([part["Tag"]] if "Tag" in part else part.get("Tags")))
        size.update({key: part[key] for key in ("ObjectSizeGreaterThan", "ObjectSizeLessThan") if key in part})
    return str(prefix or ""), tags, size


def lifecycle_rules(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Each rule with the scope it applies to: prefix and tags, however the filter spells them."""
    rules = []
    for rule in response.get("Rules", []):
        prefix, tags, size = filter_scope(rule)
        expiration = rule.get("Expiration") or {}
        rules.append({
            "id": rule.get("ID", ""),
            "enabled": rule.get("Status") == "Enabled",
            "prefix": prefix,
            "tags": tags,
            "size": size,
            "expiration_days": expiration.get("Days"),
            "expiration_date": str(expiration["Date"]) if "Date" in expiration else None,
            "expires_delete_markers": bool(expiration.get("ExpiredObjectDeleteMarker")),
            "transitions": [
                {"days": t.get("Days"), "storage_class": t.get("StorageClass")}
                for t in rule.get("Transitions", [])
            ],
            "noncurrent_expiration_days": (rule.get("NoncurrentVersionExpiration") or {}).get(
                "NoncurrentDays"
            ),
            "noncurrent_transitions": len(rule.get("NoncurrentVersionTransitions", [])),
            "abort_incomplete_days": (rule.get("AbortIncompleteMultipartUpload") or {}).get(
                "DaysAfterInitiation"
            ),
        })
    return rules


def default_encryption(response: dict[str, Any]) -> dict[str, Any]:
    if is_absent(response):
        return {"algorithm": None, "kms_key": None, "bucket_key": False}
    rules = (response.get("ServerSideEncryptionConfiguration") or {}).get("Rules", [])
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        if default:
            return {
                "algorithm": default.get("SSEAlgorithm"),
                "kms_key": default.get("KMSMasterKeyID"),
                "bucket_key": bool(rule.get("BucketKeyEnabled")),
            }
    return {"algorithm": None, "kms_key": None, "bucket_key": False}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", []))


def _condition_values(condition: Any, operators: tuple[str, ...], key: str) -> list[str]:
    """Values a condition gives `key` under any of `operators`; condition keys ignore case in IAM."""
    if not isinstance(condition, dict):
        return []
    found: list[str] = []
    for operator in operators:
        block = condition.get(operator)
        if not isinstance(block, dict):
            continue
        for name, value in block.items():
            if isinstance(name, str) and name.lower() == key:
                found.extend(str(v).lower() for v in _as_list(value))
    return found


def policy_facts(document: str) -> dict[str, Any]:
    """What a bucket policy says about transport and encryption, with the statement as evidence."""
    facts: dict[str, Any] = {"tls_only": False, "requires_kms": False, "statements": []}
    try:
        policy = json.loads(document)
    except (json.JSONDecodeError, TypeError):
        policy = None
    if not isinstance(policy, dict):
        facts["unreadable"] = True
        return facts
    for statement in _as_list(policy.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        actions = [a.lower() for a in _as_list(statement.get("Action", [])) if isinstance(a, str)]
        condition = statement.get("Condition")
        sid = statement.get("Sid", "") if isinstance(statement.get("Sid"), str) else ""
        # `aws:SecureTransport` is always present, so BoolIfExists denies exactly what Bool does.
        insecure = _condition_values(condition, ("Bool", "BoolIfExists"), "aws:securetransport")
        if _is_everyone(statement.get("Principal")) and any(a in ("s3:*", "*") for a in actions) and (
            "false" in insecure
        ):
            facts["tls_only"] = True
            facts["statements"].append(sid or "deny when aws:SecureTransport is false")
        if any(a in ("s3:putobject", "s3:*", "*") for a in actions):
            required = _condition_values(condition, ("StringNotEquals", "StringNotEqualsIfExists"),
                                         "s3:x-amz-server-side-encryption")
            if any(value.startswith("aws:kms") for value in required):
                facts["requires_kms"] = True
                facts["statements"].append(sid or "deny uploads not encrypted with aws:kms")
    return facts


def _tags(response: dict[str, Any]) -> dict[str, str]:
    return {} if is_absent(response) else tag_dict(response["TagSet"])


def _lifecycle(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [] if is_absent(response) else lifecycle_rules(response)


def _public_access_block(response: dict[str, Any]) -> dict[str, Any] | None:
    return None if is_absent(response) else dict(response["PublicAccessBlockConfiguration"])


def _policy(response: dict[str, Any]) -> dict[str, Any]:
    if is_absent(response):
        return {"present": False, "tls_only": False, "requires_kms": False, "statements": []}
    return {"present": True, **policy_facts(response["Policy"])}


def _versioning(response: dict[str, Any]) -> str:
    return response.get("Status") or "Disabled"


def _eventbridge_notifications(response: dict[str, Any]) -> bool:
    return "EventBridgeConfiguration" in response


def _replication(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Each replication rule: what it copies (prefix, tags), where (bucket, account when the owner is
    overridden), in which storage class, and under which key the replicas are kept."""
    if is_absent(response):
        return []
    rules = []
    for rule in response["ReplicationConfiguration"]["Rules"]:
        destination = rule.get("Destination") or {}
        prefix, tags, _ = filter_scope(rule)
        kms = ((rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}).get("Status")
        rules.append({
            "id": rule.get("ID", ""),
            "status": rule.get("Status", ""),
            "prefix": prefix,
            "tags": tags,
            # `arn:PARTITION:s3:::NAME`: the bucket's name is what follows the empty region and account.
            "destination_bucket": str(destination.get("Bucket", "")).rpartition(":::")[2],
            "destination_account": destination.get("Account"),
            "storage_class": destination.get("StorageClass"),
            "replica_kms_key": (destination.get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"),
            "kms_encrypted_objects": kms == "Enabled",
        })
    return rules


# What each configuration answer becomes: (attribute, reader, name said in `unread` when it is missing).
_READERS: dict[str, tuple[str, Callable[[dict[str, Any]], Any], str]] = {
    "get_bucket_tagging": ("tags", _tags, "tags"),
    "get_bucket_lifecycle_configuration": ("lifecycle_rules", _lifecycle, "lifecycle"),
    "get_bucket_encryption": ("encryption", default_encryption, "encryption"),
    "get_public_access_block": ("public_access_block", _public_access_block, "public_access_block"),
    "get_bucket_policy": ("policy", _policy, "policy"),
    "get_bucket_versioning": ("versioning", _versioning, "versioning"),
    "get_bucket_notification_configuration": ("eventbridge_notifications", _eventbridge_notifications,
                                              "notifications"),
    "get_bucket_replication": ("replication", _replication, "replication"),
}


def transform_bucket(record: dict[str, Any], account: str) -> Node:
    """A bucket node from the responses `get_buckets` recorded; unread configuration is left out."""
    return bucket_and_gaps(record, account)[0]


def bucket_and_gaps(record: dict[str, Any], account: str) -> tuple[Node, list[CoverageGap]]:
    """The bucket node, and a gap for each configuration whose answer no reader expected: that one
    configuration is unread, the rest of the bucket stands."""
    name = record["Name"]
    attributes: dict[str, Any] = {"created": record.get("CreationDate", "")}
    unread: list[str] = []
    gaps: list[CoverageGap] = []
    for call in CONFIGURATION_CALLS:
        attribute, reader, label = _READERS[call.method]
        if call.method not in record:
            unread.append(label)
            continue
        values, problems = each_answer([record[call.method]], reader, call, lambda _: name, record.get("Region", ""))
        if values:
            attributes[attribute] = values[0]
        else:
            unread.append(label)
            gaps.extend(problems)
    if unread:
        attributes["unread"] = unread
    tags = attributes.get("tags") or {}
    node = Node(
        id=arns.bucket_arn(name),
        kind="s3.bucket",
        name=name,
        stage=stage_for("s3.bucket", tags),
        account=account,
        region=record.get("Region", ""),
        observed=True,
        attributes=attributes,
    )
    return node, gaps


# Where a bucket's event notifications go, by the key that lists them and the key that names the target.
_NOTIFIED = (("LambdaFunctionConfigurations", "LambdaFunctionArn"), ("QueueConfigurations", "QueueArn"),
             ("TopicConfigurations", "TopicArn"))


def notification_flows(bucket: str, bucket_id: str, response: dict[str, Any]) -> list[Edge]:
    """A flow from the bucket — from the path its prefix filter names, when it has one — to each function,
    queue and topic told of its objects, with the events and filters as evidence. A prefix that ends
    mid-name (`raw/2024-`) starts at the path that holds it (`raw`)."""
    edges = []
    for key, target_key in _NOTIFIED:
        for place, configuration in enumerate(response.get(key) or []):
            target = configuration.get(target_key)
            if not target:
                continue
            rules = ((configuration.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []
            filters = {str(rule.get("Name", "")).lower(): str(rule.get("Value", "")) for rule in rules}
            prefix = filters.get("prefix", "").lstrip("/").rpartition("/")[0]
            said = ", ".join(configuration.get("Events") or []) + "".join(
                f"; {name} {value}" for name, value in sorted(filters.items()))
            evidence = Evidence("s3:GetBucketNotificationConfiguration", bucket_id, f"{key}[{place}]", said[:300])
            source = arns.s3_location_id(bucket, prefix) if prefix else bucket_id
            edges.append(Edge(source, arns.unqualified_lambda_arn(target), EdgeKind.NOTIFIES, (evidence,)))
    return edges


def replication_flows(bucket: str, bucket_id: str, rules: list[dict[str, Any]]) -> list[Edge]:
    """A flow from the bucket — from the path an enabled rule's prefix names — to the same keys in the
    destination bucket: replicas keep their keys."""
    edges = []
    for place, rule in enumerate(rules):
        destination = rule.get("destination_bucket")
        if rule.get("status") != "Enabled" or not destination or not arns.is_bucket_name(destination):
            continue
        prefix = str(rule.get("prefix", "")).lstrip("/").rpartition("/")[0]
        said = "; ".join(f"{key} {rule[key]}" for key in ("id", "prefix", "destination_account", "storage_class",
                                                           "replica_kms_key") if rule.get(key))
        evidence = Evidence("s3:GetReplicationConfiguration", bucket_id, f"ReplicationConfiguration.Rules[{place}]",
                            f"to {destination}" + (f" ({said})" if said else ""))
        source = arns.s3_location_id(bucket, prefix) if prefix else bucket_id
        target = arns.s3_location_id(destination, prefix) if prefix else arns.bucket_arn(destination)
        edges.append(Edge(source, target, EdgeKind.WRITES, (evidence,)))
    return edges


def bucket_facts(record: dict[str, Any], account: str) -> Facts:
    node, gaps = bucket_and_gaps(record, account)
    edges: list[Edge] = []
    if node.attributes.get("eventbridge_notifications") and node.region:
        bus = arns.event_bus_arn(node.region, account, "default")
        evidence = Evidence("s3:GetBucketNotificationConfiguration", node.id, "EventBridgeConfiguration", "{}")
        edges.append(Edge(node.id, bus, EdgeKind.NOTIFIES, (evidence,)))
    if "notifications" not in node.attributes.get("unread", ()):
        edges.extend(notification_flows(node.name, node.id, record.get("get_bucket_notification_configuration") or {}))
    edges.extend(replication_flows(node.name, node.id, node.attributes.get("replication") or []))
    return Facts((node,), tuple(edges), tuple(gaps))


def transform_buckets(records: list[dict[str, Any]], account: str, _region: str = "") -> Facts:
    return each_resource(records, lambda record: bucket_facts(record, account), LIST_BUCKETS,
                         lambda record: record.get("Name", ""))


COLLECTOR = Collector(
    service="s3", label="S3 buckets", calls=(LIST_BUCKETS, GET_BUCKET_LOCATION, *CONFIGURATION_CALLS),
    get=get_buckets, transform=transform_buckets, regional=False,
    listings={"s3.bucket": LIST_BUCKETS, "s3.location": LIST_BUCKETS}, get_named=get_named_buckets,
)
