"""S3 buckets in a template → the answers a scan of the deployed buckets reads → the S3 collector's transform.

Where the template is silent, the bucket gets what AWS gives every new bucket: SSE-S3 encryption (since
January 2023) and all four public-access blocks (since April 2023). `defaults` on the node says which
configuration came from AWS's default rather than from the template.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from collectors import s3
from collectors.context import absent
from lineage import arn as arns
from lineage.model import Facts
from templates.services.common import finished, is_true, list_of, mapping_of, truth
from templates.stack import Placed, Stack, each_placed

TYPES = frozenset({"AWS::S3::Bucket", "AWS::S3::BucketPolicy"})
AWS_DEFAULT_ENCRYPTION = {"ServerSideEncryptionConfiguration": {"Rules": [
    {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]}}
AWS_DEFAULT_PUBLIC_ACCESS_BLOCK = {"PublicAccessBlockConfiguration": dict.fromkeys(s3.PUBLIC_ACCESS_SETTINGS, True)}


def lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A rule of `LifecycleConfiguration.Rules` as `GetBucketLifecycleConfiguration` answers it."""
    scope: dict[str, Any] = {}
    tags = [{"Key": t.get("Key"), "Value": t.get("Value")} for t in list_of(rule.get("TagFilters"))
            if isinstance(t, Mapping)]
    prefix = rule.get("Prefix")
    for key in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        if key in rule:
            scope[key] = int(rule[key])
    if tags or scope:
        scope.update({"Prefix": prefix} if prefix is not None else {})
        scope.update({"Tags": tags} if tags else {})
        scope = {"And": scope}
    elif prefix is not None:
        scope = {"Prefix": prefix}
    answer: dict[str, Any] = {"ID": rule.get("Id", ""), "Status": rule.get("Status", ""), "Filter": scope}
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = int(rule["ExpirationInDays"])
    if "ExpirationDate" in rule:
        expiration["Date"] = str(rule["ExpirationDate"])
    if rule.get("ExpiredObjectDeleteMarker"):
        expiration["ExpiredObjectDeleteMarker"] = True
    if expiration:
        answer["Expiration"] = expiration
    transitions = [*list_of(rule.get("Transitions")), *([rule["Transition"]] if isinstance(rule.get("Transition"),
                                                                                         Mapping) else [])]
    if transitions:
        answer["Transitions"] = [{"Days": t.get("TransitionInDays"), "StorageClass": t.get("StorageClass")}
                                 for t in transitions if isinstance(t, Mapping)]
    noncurrent = mapping_of(rule.get("NoncurrentVersionExpiration"))
    days = noncurrent.get("NoncurrentDays", rule.get("NoncurrentVersionExpirationInDays"))
    if days is not None:
        answer["NoncurrentVersionExpiration"] = {"NoncurrentDays": int(days)}
    noncurrent_transitions = [*list_of(rule.get("NoncurrentVersionTransitions")),
                              *([rule["NoncurrentVersionTransition"]]
                                if isinstance(rule.get("NoncurrentVersionTransition"), Mapping) else [])]
    if noncurrent_transitions:
        answer["NoncurrentVersionTransitions"] = noncurrent_transitions
    abort = mapping_of(rule.get("AbortIncompleteMultipartUpload"))
    if "DaysAfterInitiation" in abort:
        answer["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": int(abort["DaysAfterInitiation"])}
    return answer


def _notifications(configuration: Mapping[str, Any], reference: Callable[[str, Any], Any]) -> dict[str, Any]:
    """`NotificationConfiguration` as `GetBucketNotificationConfiguration` answers it; a target the template leaves
    to deployment is the `dynamic:` place `reference(path, value)` gives."""
    answer: dict[str, Any] = {}
    for written, answered, target_written, target_answered in (
            ("LambdaConfigurations", "LambdaFunctionConfigurations", "Function", "LambdaFunctionArn"),
            ("QueueConfigurations", "QueueConfigurations", "Queue", "QueueArn"),
            ("TopicConfigurations", "TopicConfigurations", "Topic", "TopicArn")):
        items = []
        for place, item in enumerate(list_of(configuration.get(written))):
            if not isinstance(item, Mapping):
                continue
            rules = list_of(mapping_of(mapping_of(item.get("Filter")).get("S3Key")).get("Rules"))
            target = reference(f"NotificationConfiguration.{written}[{place}].{target_written}",
                               item.get(target_written, ""))
            entry: dict[str, Any] = {target_answered: target, "Events": [item.get("Event", "")]}
            if rules:
                entry["Filter"] = {"Key": {"FilterRules": [{"Name": r.get("Name"), "Value": r.get("Value")}
                                                           for r in rules if isinstance(r, Mapping)]}}
            items.append(entry)
        if items:
            answer[answered] = items
    if is_true(mapping_of(configuration.get("EventBridgeConfiguration")).get("EventBridgeEnabled")):
        answer["EventBridgeConfiguration"] = {}
    return answer


def _replication(configuration: Mapping[str, Any]) -> dict[str, Any]:
    rules = []
    for rule in list_of(configuration.get("Rules")):
        if not isinstance(rule, Mapping):
            continue
        answered = {("ID" if key == "Id" else key): value for key, value in rule.items()}
        scope = mapping_of(rule.get("Filter"))
        if "TagFilter" in scope:
            answered["Filter"] = {**{k: v for k, v in scope.items() if k != "TagFilter"}, "Tag": scope["TagFilter"]}
        elif "And" in scope:
            conjunction = mapping_of(scope["And"])
            answered["Filter"] = {"And": {**({"Prefix": conjunction["Prefix"]} if "Prefix" in conjunction else {}),
                                          "Tags": list_of(conjunction.get("TagFilters"))}}
        rules.append(answered)
    return {"ReplicationConfiguration": {"Role": configuration.get("Role", ""), "Rules": rules}}


def _lifecycle_answer(properties: Mapping[str, Any]) -> dict[str, Any]:
    rules = list_of(mapping_of(properties.get("LifecycleConfiguration")).get("Rules"))
    if not rules:
        return absent("NoSuchLifecycleConfiguration")
    return {"Rules": [lifecycle_rule(rule) for rule in rules if isinstance(rule, Mapping)]}


def _encryption_answer(properties: Mapping[str, Any]) -> dict[str, Any] | None:
    rules = list_of(mapping_of(properties.get("BucketEncryption")).get("ServerSideEncryptionConfiguration"))
    if not rules:
        return None
    return {"ServerSideEncryptionConfiguration": {"Rules": [
        {"ApplyServerSideEncryptionByDefault": dict(mapping_of(rule.get("ServerSideEncryptionByDefault"))),
         "BucketKeyEnabled": is_true(rule.get("BucketKeyEnabled"))}
        for rule in rules if isinstance(rule, Mapping)]}}


def _public_access_answer(properties: Mapping[str, Any]) -> dict[str, Any] | None:
    block = properties.get("PublicAccessBlockConfiguration")
    if not isinstance(block, Mapping):
        return None
    settings = {setting: truth(block.get(setting, False)) for setting in s3.PUBLIC_ACCESS_SETTINGS}
    undecided = sorted(setting for setting, value in settings.items() if value is None)
    if undecided:
        raise ValueError(f"{', '.join(undecided)} known only at deployment")
    return {"PublicAccessBlockConfiguration": settings}


def _tagging_answer(properties: Mapping[str, Any]) -> dict[str, Any]:
    tags = [{"Key": t["Key"], "Value": t.get("Value", "")} for t in list_of(properties.get("Tags"))
            if isinstance(t, Mapping) and "Key" in t]
    return {"TagSet": tags} if tags else absent("NoSuchTagSet")


def _replication_answer(properties: Mapping[str, Any]) -> dict[str, Any]:
    replication = properties.get("ReplicationConfiguration")
    return _replication(replication) if isinstance(replication, Mapping) else absent(
        "ReplicationConfigurationNotFoundError")


# What AWS answers for a configuration the template leaves out, where AWS gives new buckets one.
_AWS_DEFAULTS = {"get_bucket_encryption": ("encryption", AWS_DEFAULT_ENCRYPTION),
                 "get_public_access_block": ("public_access_block", AWS_DEFAULT_PUBLIC_ACCESS_BLOCK)}


def _policy_answer(policy: Mapping[str, Any] | str | None) -> dict[str, Any]:
    if isinstance(policy, str):
        raise ValueError(f"its policy is known only at deployment ({policy[:100]})")
    return {"Policy": json.dumps(policy)} if policy is not None else absent("NoSuchBucketPolicy")


def bucket_record(bucket: Placed, policy: Mapping[str, Any] | str | None, region: str,
                  reference: Callable[[str, Any], Any] = lambda _path, value: value) -> dict[str, Any]:
    """The answers a scan would record for the deployed bucket (see `collectors.s3._read_bucket`). A configuration
    whose properties cannot be read (a number written as a macro's text) is left out of the record: the collector's
    transform then says it is unread, as it does for an answer a scan could not get, and nothing is judged on it."""
    properties = bucket.properties
    builders = {
        "get_bucket_lifecycle_configuration": lambda: _lifecycle_answer(properties),
        "get_bucket_encryption": lambda: _encryption_answer(properties),
        "get_public_access_block": lambda: _public_access_answer(properties),
        "get_bucket_policy": lambda: _policy_answer(policy),
        "get_bucket_versioning": lambda: {"Status": s} if (s := mapping_of(properties.get("VersioningConfiguration"))
                                                           .get("Status")) else {},
        "get_bucket_tagging": lambda: _tagging_answer(properties),
        "get_bucket_notification_configuration": lambda: _notifications(
            mapping_of(properties.get("NotificationConfiguration")), reference),
        "get_bucket_replication": lambda: _replication_answer(properties),
    }
    record: dict[str, Any] = {"Name": bucket.name, "Region": region, "CreationDate": ""}
    defaults: list[str] = []
    unreadable: list[str] = []
    for method, build in builders.items():
        try:
            answer = build()
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            said = str(error) if isinstance(error, ValueError) else f"{type(error).__name__}: {error}"
            unreadable.append(f"{method.removeprefix('get_').replace('_', ' ')}: {said}"[:300])
            continue
        if answer is None:
            label, answer = _AWS_DEFAULTS[method]
            defaults.append(label)
        record[method] = answer
    if defaults:
        record["defaults"] = defaults
    if unreadable:
        record["unreadable"] = unreadable
    return record


def _policies(stack: Stack) -> dict[str, Mapping[str, Any] | str]:
    """Each bucket policy's document, by the name of the bucket it is on (as the template writes it: a name known
    only at deployment, `${Env}-raw`, is the same text in the bucket and in its policy); the expression of a
    document known only at deployment (the bucket's policy is then unread, never taken as absent)."""
    policies: dict[str, Mapping[str, Any] | str] = {}
    for placed in stack.placed.values():
        if placed.type == "AWS::S3::BucketPolicy":
            bucket = placed.properties.get("Bucket")
            document = placed.properties.get("PolicyDocument")
            if isinstance(bucket, str) and isinstance(document, Mapping | str):
                policies[bucket] = document
    return policies


def _policy_of(bucket: Placed, policies: Mapping[str, Mapping[str, Any] | str]) -> Mapping[str, Any] | str | None:
    written = bucket.properties.get("BucketName")
    if bucket.name in policies:
        return policies[bucket.name]
    return policies.get(written) if isinstance(written, str) else None


def facts(stack: Stack) -> Facts:
    policies = _policies(stack)
    records = each_placed(stack, frozenset({"AWS::S3::Bucket"}), lambda placed: bucket_record(
        placed, _policy_of(placed, policies), stack.region,
        lambda path, value: stack.reference(placed.id, path, value)))
    parts = s3.transform_buckets(records, stack.account)
    defaults = {record["Name"]: record["defaults"] for record in records if "defaults" in record}
    stack.warnings.extend(f"bucket {record['Name']}: {why}" for record in records
                          for why in record.get("unreadable", ()))
    by_id = {arns.bucket_arn(name): labels for name, labels in defaults.items()}
    return finished(parts, by_id, {})
