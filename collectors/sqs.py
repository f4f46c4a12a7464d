"""SQS: queues, whose key encrypts the messages waiting in each, how long they wait at most, and the
dead-letter queue a queue's failed messages move to (a flow: the same messages, elsewhere).

A queue keeps a message at most fourteen days (MessageRetentionPeriod), so retention is always
bounded; encryption is not: a queue made before 2022 may have none.
"""

from __future__ import annotations

import json
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

_GONE = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
LIST_QUEUES = Call("sqs", "list_queues", result_key="QueueUrls", empty_is_an_answer=True)
GET_QUEUE_ATTRIBUTES = Call("sqs", "get_queue_attributes", required=("Attributes",), gone=_GONE)
LIST_QUEUE_TAGS = Call("sqs", "list_queue_tags", gone=_GONE, empty_is_an_answer=True)
# AWS managed keys are named by their alias; any other key, or alias, is the customer's own.
AWS_MANAGED_KEY = "alias/aws/sqs"


def _read_queues(ctx: AwsContext, region: str, urls: list[str]) -> list[dict[str, Any]]:
    def read(url: str) -> dict[str, Any] | None:
        answer = ctx.call(GET_QUEUE_ATTRIBUTES, region, url, QueueUrl=url, AttributeNames=["All"])
        if is_gone(answer):
            return None  # deleted since it was listed
        record: dict[str, Any] = {"QueueUrl": url}
        if answer is None:
            record["Unread"] = True  # a gap already: the queue is there, its configuration unknown
        else:
            record["Attributes"] = answer["Attributes"]
        tags = ctx.call(LIST_QUEUE_TAGS, region, url, QueueUrl=url)
        if tags is not None and not is_gone(tags):
            record["Tags"] = dict(tags.get("Tags") or {})
        return record

    return [record for record in ctx.map(read, urls) if record is not None]


def get_sqs(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    urls = ctx.pages(LIST_QUEUES, region, region)
    return [] if urls is None else _read_queues(ctx, region, [str(url) for url in urls])


def get_named_queues(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Queues that other facts name, read one by one when the listing could not be read."""
    urls = []
    for queue_id in sorted(wanted.get("sqs.queue", ())):
        parsed = arns.parse_arn(queue_id)
        if parsed is not None and parsed.region == region and parsed.account:
            urls.append(queue_url(region, parsed.account, parsed.resource))
    return _read_queues(ctx, region, urls)


def queue_url(region: str, account: str, name: str) -> str:
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


def encryption_of(attributes: dict[str, Any]) -> dict[str, Any]:
    key = attributes.get("KmsMasterKeyId")
    if key:
        customer = not arns.names_aws_managed_key(str(key), AWS_MANAGED_KEY)
        return {"type": "kms", "kms_key": key, "customer_key": customer}
    if str(attributes.get("SqsManagedSseEnabled", "")).lower() == "true":
        return {"type": "sse-sqs", "kms_key": None, "customer_key": False}
    return {"type": "none", "kms_key": None, "customer_key": False}


def _name_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def transform_queue(record: dict[str, Any], account: str, region: str) -> Facts:
    url = record["QueueUrl"]
    queue = record.get("Attributes") or {}
    name = _name_of(url)
    queue_id = queue.get("QueueArn") or arns.queue_url_to_arn(url) or arns.sqs_queue_arn(region, account, name)
    # Not the URL: it names the endpoint the scan used (a moto server's differs from AWS's), not the queue.
    attributes: dict[str, Any] = {}
    if record.get("Unread"):
        attributes["unread"] = ["configuration"]
    else:
        attributes["encryption"] = encryption_of(queue)
        if queue.get("MessageRetentionPeriod", "").isdigit():
            attributes["retention_seconds"] = int(queue["MessageRetentionPeriod"])
        attributes["fifo"] = str(queue.get("FifoQueue", "")).lower() == "true"
    if "Tags" in record:
        attributes["tags"] = record["Tags"]
    edges: list[Edge] = []
    warnings: list[str] = []
    if queue.get("RedrivePolicy"):
        try:
            redrive = json.loads(queue["RedrivePolicy"])
            target = str(redrive["deadLetterTargetArn"])
        except (ValueError, KeyError, TypeError):
            warnings.append("RedrivePolicy: not a policy this reader understands")
        else:
            attributes["dead_letter_queue"] = target
            evidence = Evidence("sqs:GetQueueAttributes", queue_id, "Attributes.RedrivePolicy.deadLetterTargetArn",
                                target)
            edges.append(Edge(queue_id, target, EdgeKind.WRITES, (evidence,)))
    if queue.get("RedriveAllowPolicy"):
        attributes["redrive_allow_policy"] = queue["RedriveAllowPolicy"][:500]
    if warnings:
        attributes["warnings"] = warnings
    node = Node(queue_id, "sqs.queue", name, stage_for("sqs.queue", record.get("Tags")), account, region, True,
                attributes)
    return Facts((node,), tuple(edges))


def transform_sqs(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_queue(record, account, region), GET_QUEUE_ATTRIBUTES,
                         lambda record: record["QueueUrl"], region)


COLLECTOR = Collector(
    service="sqs", label="SQS",
    calls=(LIST_QUEUES, GET_QUEUE_ATTRIBUTES, LIST_QUEUE_TAGS),
    get=get_sqs, transform=transform_sqs,
    listings={"sqs.queue": LIST_QUEUES}, get_named=get_named_queues,
)
