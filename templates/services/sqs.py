"""SQS queues in a template → `GetQueueAttributes` (All) and `ListQueueTags` as the deployed queue answers them →
the SQS collector's transform.

Where the template is silent, the queue gets what SQS gives every queue made over HTTPS with Signature Version 4,
as CloudFormation makes them: SSE-SQS encryption (the default for new queues since late 2022) and messages kept
four days (MessageRetentionPeriod 345600). `aws_defaults` on the node says which configuration came from AWS's
default. A queue policy (`QueuePolicy`, `QueueInlinePolicy`) is the queue's `Policy` attribute, as SQS answers it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from collectors import sqs
from lineage.model import Facts
from templates.intrinsics import is_determined
from templates.services.common import as_text, finished, is_true, tag_map
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::SQS::Queue", "AWS::SQS::QueuePolicy", "AWS::SQS::QueueInlinePolicy"})
DEFAULT_RETENTION_SECONDS = 345600
# What GetQueueAttributes answers for a queue made without them (SQS's documented defaults).
_DEFAULTS = {"VisibilityTimeout": "30", "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "0"}
# Properties SQS answers under the same name, as text.
_SAME = ("VisibilityTimeout", "DelaySeconds", "ReceiveMessageWaitTimeSeconds", "MaximumMessageSize",
         "KmsDataKeyReusePeriodSeconds", "DeduplicationScope", "FifoThroughputLimit")


def _policy_text(value: Any) -> str:
    """A redrive (allow) policy as SQS answers it: JSON text, the receive count a number."""
    if isinstance(value, str):
        return value
    policy = dict(value) if isinstance(value, Mapping) else {}
    count = policy.get("maxReceiveCount")
    if isinstance(count, str) and count.isdigit():
        policy["maxReceiveCount"] = int(count)
    return json.dumps(policy, separators=(",", ":"))


def _left_to_deployment(value: Any) -> bool:
    """A policy that is a parameter nobody gave (`${Redrive}`), not a document of its own."""
    return isinstance(value, str) and not is_determined(value) and not value.lstrip().startswith("{")


def queue_name_of(url: str) -> str:
    """The queue a URL (what `Ref` gives) names: its last segment."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def queue_record(queue: Placed, policy: Mapping[str, Any] | None, region: str, account: str
                 ) -> tuple[dict[str, Any], list[str], list[str]]:
    """(the answers a scan records for the deployed queue, the configuration AWS's defaults gave, what the
    template leaves to a value nobody gave)."""
    properties = queue.properties
    defaults: list[str] = []
    unknown: list[str] = []
    attributes: dict[str, Any] = {"QueueArn": queue.id, **_DEFAULTS}
    attributes.update({key: as_text(properties[key]) for key in _SAME if key in properties})
    if "MessageRetentionPeriod" in properties:
        attributes["MessageRetentionPeriod"] = as_text(properties["MessageRetentionPeriod"])
    else:
        attributes["MessageRetentionPeriod"] = str(DEFAULT_RETENTION_SECONDS)
        defaults.append("retention")
    key = properties.get("KmsMasterKeyId")
    if key:
        attributes["KmsMasterKeyId"] = as_text(key)
        attributes["SqsManagedSseEnabled"] = "false"
        attributes.setdefault("KmsDataKeyReusePeriodSeconds", "300")
    elif "SqsManagedSseEnabled" in properties:
        attributes["SqsManagedSseEnabled"] = "true" if is_true(properties["SqsManagedSseEnabled"]) else "false"
        if not is_determined(properties["SqsManagedSseEnabled"]):
            unknown.append("encryption")
    else:
        attributes["SqsManagedSseEnabled"] = "true"
        defaults.append("encryption")
    if is_true(properties.get("FifoQueue")):
        attributes["FifoQueue"] = "true"
        attributes["ContentBasedDeduplication"] = as_text(is_true(properties.get("ContentBasedDeduplication")))
    for name in ("RedrivePolicy", "RedriveAllowPolicy"):
        if properties.get(name) and not _left_to_deployment(properties[name]):
            attributes[name] = _policy_text(properties[name])
    if policy is not None:
        attributes["Policy"] = json.dumps(policy)
    record = {"QueueUrl": sqs.queue_url(region, account, queue.name), "Attributes": attributes,
              "Tags": tag_map(properties.get("Tags"), as_text)}
    return record, defaults, unknown


def _policies(stack: Stack) -> dict[str, Mapping[str, Any]]:
    """Each queue policy's document, by the name of each queue it is on."""
    policies: dict[str, Mapping[str, Any]] = {}
    for placed in stack.placed.values():
        document = placed.properties.get("PolicyDocument")
        if not isinstance(document, Mapping):
            continue
        if placed.type == "AWS::SQS::QueuePolicy":
            queues = placed.properties.get("Queues")
            for url in queues if isinstance(queues, list) else []:
                if isinstance(url, str):
                    policies[queue_name_of(url)] = document
        elif placed.type == "AWS::SQS::QueueInlinePolicy" and isinstance(placed.properties.get("Queue"), str):
            policies[queue_name_of(placed.properties["Queue"])] = document
    return policies


def facts(stack: Stack) -> Facts:
    policies = _policies(stack)
    records, defaults, unknown = [], {}, {}
    for placed in stack.placed.values():
        if placed.type == "AWS::SQS::Queue":
            record, defaults[placed.id], unknown[placed.id] = queue_record(placed, policies.get(placed.name),
                                                                           stack.region, stack.account)
            records.append(record)
    return finished(sqs.transform_sqs(records, stack.account, stack.region), defaults, unknown)


