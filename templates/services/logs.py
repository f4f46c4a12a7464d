"""CloudWatch Logs groups and subscription filters in a template → `DescribeLogGroups`,
`DescribeSubscriptionFilters` and `ListTagsForResource` as the deployed groups answer them → the CloudWatch Logs
collector's transform.

Where the template is silent a group keeps its events for ever, under keys AWS owns, in the STANDARD class;
`aws_defaults` says which. A subscription filter on a group the template does not define (the group Lambda makes
for a function on its first run, a group of another stack) gives its flow without a node for the group, which a
scan finds where it is.
"""

from __future__ import annotations

from typing import Any

from collectors import logs
from lineage import arn as arns
from lineage.model import Facts
from templates.services.common import by_owner, finished, tag_map
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::Logs::LogGroup", "AWS::Logs::SubscriptionFilter"})


def filter_record(placed: Placed) -> dict[str, Any]:
    """`DescribeSubscriptionFilters`' entry, as the collector keeps it. A filter without a name gets one at
    deployment: its logical id stands in."""
    properties = placed.properties
    record = {"filterName": str(properties.get("FilterName") or placed.logical_id),
              "filterPattern": str(properties.get("FilterPattern") or ""),
              "destinationArn": str(properties.get("DestinationArn") or ""),
              "distribution": str(properties.get("Distribution") or "ByLogStream")}
    return record


def group_record(group: Placed, filters: list[dict[str, Any]], region: str, account: str
                 ) -> tuple[dict[str, Any], list[str]]:
    """(the answers a scan records for the deployed group, the configuration AWS's defaults gave)."""
    properties = group.properties
    defaults: list[str] = []
    arn = arns.log_group_arn(region, account, group.name)
    described: dict[str, Any] = {"logGroupName": group.name, "arn": f"{arn}:*", "logGroupArn": arn,
                                 "storedBytes": 0}
    days = properties.get("RetentionInDays")
    if days is None:
        defaults.append("retention")
    elif str(days).isdigit():
        described["retentionInDays"] = int(days)
    if properties.get("KmsKeyId"):
        described["kmsKeyId"] = str(properties["KmsKeyId"])
    else:
        defaults.append("encryption")
    if properties.get("LogGroupClass"):
        described["logGroupClass"] = str(properties["LogGroupClass"])
    else:
        described["logGroupClass"] = "STANDARD"
        defaults.append("class")
    return {"logGroup": described, "subscriptionFilters": filters, "tags": tag_map(properties.get("Tags"))}, defaults


def _filters(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """Each subscription filter, by the name of the group it is on."""
    return {group: [filter_record(p) for p in placed]
            for group, placed in by_owner(stack, "AWS::Logs::SubscriptionFilter", "LogGroupName", None,
                                          "subscription filter {}: names no log group").items()}


def facts(stack: Stack) -> Facts:
    filters = _filters(stack)
    records, defaults, unknown = [], {}, {}
    for placed in stack.placed.values():
        if placed.type == "AWS::Logs::LogGroup":
            record, defaults[placed.id] = group_record(placed, filters.pop(placed.name, []), stack.region,
                                                       stack.account)
            records.append(record)
            if placed.properties.get("RetentionInDays") is not None and "retentionInDays" not in record["logGroup"]:
                unknown[placed.id] = ["retention_days"]  # not "never expires": a value nobody gave
    parts = [finished(logs.transform_logs(records, stack.account, stack.region), defaults, unknown)]
    for name, elsewhere in filters.items():
        flows = logs.transform_logs([{"logGroup": {"logGroupName": name}, "subscriptionFilters": elsewhere}],
                                    stack.account, stack.region)
        parts.append(Facts((), flows.edges, flows.gaps))  # the group is where it is defined, not here
    return Facts.concat(parts)


