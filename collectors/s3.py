"""S3: every bucket, with lifecycle, default encryption, public access block, TLS-only policy,
versioning, tags and EventBridge notifications.

`get_buckets` calls AWS (one listing, then one call per configuration per bucket, in the bucket's
own region); `transform_bucket` is a pure function of those responses.
"""

from __future__ import annotations

import json
from typing import Any

from collectors.context import AwsContext, is_absent
from lineage import arn as arns
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

# (method, error codes that mean "not configured"): one call per configuration per bucket
_CONFIGURATION_CALLS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("get_bucket_lifecycle_configuration", ("NoSuchLifecycleConfiguration",)),
    ("get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",)),
    ("get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",)),
    ("get_bucket_policy", ("NoSuchBucketPolicy",)),
    ("get_bucket_versioning", ()),
    ("get_bucket_tagging", ("NoSuchTagSet", "NoSuchTagSetError")),
    ("get_bucket_notification_configuration", ()),
)


def _location_region(response: dict[str, Any] | None) -> str | None:
    if response is None:
        return None
    constraint = response.get("LocationConstraint")
    if not constraint:
        return "us-east-1"
    return "eu-west-1" if constraint == "EU" else constraint


def get_buckets(ctx: AwsContext) -> list[dict[str, Any]]:
    """Raw responses per bucket: `{"Name", "Region", "<method>": response | absent}`.

    A configuration missing from a bucket's record could not be read (a coverage gap was noted).
    """
    home = ctx.regions[0] if ctx.regions else "us-east-1"
    listing = ctx.pages(ctx.client("s3", home), "list_buckets", "Buckets")
    if listing is None:
        return []

    def read_bucket(bucket: dict[str, Any]) -> dict[str, Any]:
        name = bucket["Name"]
        record: dict[str, Any] = {"Name": name, "CreationDate": str(bucket.get("CreationDate", ""))}
        region = bucket.get("BucketRegion")
        if not region:
            region = _location_region(
                ctx.call(ctx.client("s3", home), "get_bucket_location", name, Bucket=name)
            )
        record["Region"] = region or ""
        client = ctx.client("s3", region or home)
        for method, absent_codes in _CONFIGURATION_CALLS:
            response = ctx.call(client, method, name, absent_codes, Bucket=name)
            if response is not None:
                record[method] = response
        return record

    return ctx.map(read_bucket, listing)


# --- transform ----------------------------------------------------------------------------------


def lifecycle_rules(response: dict[str, Any]) -> list[dict[str, Any]]:
    """Each rule with the scope it applies to: prefix and tags, however the filter spells them."""
    rules = []
    for rule in response.get("Rules", []):
        prefix = rule.get("Prefix")  # the pre-2019 form, still answered by some buckets
        tags: dict[str, str] = {}
        size: dict[str, int] = {}
        filt = rule.get("Filter") or {}
        if "Prefix" in filt:
            prefix = filt["Prefix"]
        if "Tag" in filt:
            tags[filt["Tag"]["Key"]] = filt["Tag"]["Value"]
        for key in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
            if key in filt:
                size[key] = filt[key]
        conjunction = filt.get("And") or {}
        if "Prefix" in conjunction:
            prefix = conjunction["Prefix"]
        for tag in conjunction.get("Tags", []):
            tags[tag["Key"]] = tag["Value"]
        for key in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
            if key in conjunction:
                size[key] = conjunction[key]
        expiration = rule.get("Expiration") or {}
        rules.append({
            "id": rule.get("ID", ""),
            "enabled": rule.get("Status") == "Enabled",
            "prefix": prefix or "",
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


def policy_facts(document: str) -> dict[str, Any]:
    """What a bucket policy says about transport and encryption, with the statement as evidence."""
    facts: dict[str, Any] = {"tls_only": False, "requires_kms": False, "statements": []}
    try:
        policy = json.loads(document)
    except (json.JSONDecodeError, TypeError):
        facts["unreadable"] = True
        return facts
    for statement in _as_list(policy.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        actions = [a.lower() for a in _as_list(statement.get("Action", []))]
        condition = statement.get("Condition") or {}
        sid = statement.get("Sid", "")
        secure = (condition.get("Bool") or {}).get("aws:SecureTransport")
        if (
            _is_everyone(statement.get("Principal"))
            and any(a in ("s3:*", "*") for a in actions)
            and str(_as_list(secure)[0] if secure is not None else "").lower() == "false"
        ):
            facts["tls_only"] = True
            facts["statements"].append(sid or "deny when aws:SecureTransport is false")
        if any(a in ("s3:putobject", "s3:*", "*") for a in actions):
            for operator in ("StringNotEquals", "StringNotEqualsIfExists"):
                required = (condition.get(operator) or {}).get("s3:x-amz-server-side-encryption")
                if required is not None and any(
                    str(v).startswith("aws:kms") for v in _as_list(required)
                ):
                    facts["requires_kms"] = True
                    facts["statements"].append(sid or "deny uploads not encrypted with aws:kms")
    return facts


def transform_bucket(record: dict[str, Any], account: str) -> Node:
    """A bucket node from the responses `get_buckets` recorded; unread configuration is left out."""
    name = record["Name"]
    attributes: dict[str, Any] = {"created": record.get("CreationDate", "")}
    unread: list[str] = []
    if "get_bucket_tagging" in record:
        response = record["get_bucket_tagging"]
        attributes["tags"] = (
            {} if is_absent(response) else {t["Key"]: t["Value"] for t in response.get("TagSet", [])}
        )
    if "get_bucket_lifecycle_configuration" in record:
        response = record["get_bucket_lifecycle_configuration"]
        attributes["lifecycle_rules"] = [] if is_absent(response) else lifecycle_rules(response)
    else:
        unread.append("lifecycle")
    if "get_bucket_encryption" in record:
        attributes["encryption"] = default_encryption(record["get_bucket_encryption"])
    else:
        unread.append("encryption")
    if "get_public_access_block" in record:
        response = record["get_public_access_block"]
        attributes["public_access_block"] = (
            None if is_absent(response) else response.get("PublicAccessBlockConfiguration", {})
        )
    if "get_bucket_policy" in record:
        response = record["get_bucket_policy"]
        attributes["policy"] = (
            {"present": False, "tls_only": False, "requires_kms": False, "statements": []}
            if is_absent(response)
            else {"present": True, **policy_facts(response.get("Policy", ""))}
        )
    else:
        unread.append("policy")
    if "get_bucket_versioning" in record:
        attributes["versioning"] = record["get_bucket_versioning"].get("Status") or "Disabled"
    else:
        unread.append("versioning")
    if "get_bucket_notification_configuration" in record:
        notifications = record["get_bucket_notification_configuration"]
        attributes["eventbridge_notifications"] = "EventBridgeConfiguration" in notifications
    if unread:
        attributes["unread"] = unread
    tags = attributes.get("tags") or {}
    return Node(
        id=arns.bucket_arn(name),
        kind="s3.bucket",
        name=name,
        stage=stage_for("s3.bucket", tags),
        account=account,
        region=record.get("Region", ""),
        observed=True,
        attributes=attributes,
    )


def transform_buckets(records: list[dict[str, Any]], account: str) -> Facts:
    nodes = []
    edges = []
    for record in records:
        node = transform_bucket(record, account)
        nodes.append(node)
        if node.attributes.get("eventbridge_notifications") and node.region:
            bus = arns.event_bus_arn(node.region, account, "default")
            evidence = Evidence("s3:GetBucketNotificationConfiguration", node.id,
                                "EventBridgeConfiguration", "{}")
            edges.append(Edge(node.id, bus, EdgeKind.NOTIFIES, (evidence,)))
    return Facts(tuple(nodes), tuple(edges))
