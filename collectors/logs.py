"""CloudWatch Logs: log groups — how long each keeps its events, whose key encrypts them — and where their
subscription filters send those events (a function, a Kinesis stream, a Firehose delivery stream, or a
Logs destination, often in another account).

A log group keeps what functions print, request payloads included, so it is a place data rests. It is
always encrypted at rest (with keys AWS owns unless a KMS key is associated), and without a retention
policy it never expires. Accounts hold thousands of groups: each node keeps only a few fields, and the
subscription filters and tags of every group are read concurrently.
"""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.delivery import target_edge_kind
from lineage.model import Edge, Evidence, Facts, Node, stage_for

_GONE = ("ResourceNotFoundException",)
DESCRIBE_LOG_GROUPS = Call("logs", "describe_log_groups", result_key="logGroups", required=("logGroupName",))
# At most two filters per group: one call, with its nextToken followed should AWS ever send one. Not a
# listing through `pages`, so that a group deleted since it was listed is said to be gone, not a gap.
# An answer without its list or map is read as none: the reference does not promise an empty one is sent.
DESCRIBE_SUBSCRIPTION_FILTERS = Call("logs", "describe_subscription_filters", gone=_GONE, empty_is_an_answer=True)
# ListTagsLogGroup is deprecated; this one takes the group's ARN without the `:*`.
LIST_TAGS_FOR_RESOURCE = Call("logs", "list_tags_for_resource", gone=_GONE, empty_is_an_answer=True)

# What a node keeps of DescribeLogGroups and DescribeSubscriptionFilters: nothing else is carried along.
_GROUP_FIELDS = ("logGroupName", "arn", "logGroupArn", "retentionInDays", "kmsKeyId", "logGroupClass",
                 "storedBytes")
_FILTER_FIELDS = ("filterName", "filterPattern", "destinationArn", "distribution")
_MAX_FILTER_PAGES = 10


def _subscription_filters(ctx: AwsContext, region: str, name: str) -> list[dict[str, Any]] | dict[str, str] | None:
    """The group's filters; the `gone` marker when the group no longer exists; None (a gap) when unread."""
    filters: list[dict[str, Any]] = []
    arguments: dict[str, Any] = {"logGroupName": name}
    for _ in range(_MAX_FILTER_PAGES):
        answer = ctx.call(DESCRIBE_SUBSCRIPTION_FILTERS, region, name, **arguments)
        if answer is None or is_gone(answer):
            return answer
        filters += [{key: item[key] for key in _FILTER_FIELDS if key in item}
                    for item in answer.get("subscriptionFilters") or [] if isinstance(item, dict)]
        if not answer.get("nextToken"):
            break
        arguments["nextToken"] = answer["nextToken"]
    return filters


def _read_groups(ctx: AwsContext, region: str, groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`[{"logGroup": …, "subscriptionFilters": […], "tags": {…}}]`; a key left out was not read (a gap
    says why), and a group deleted since it was listed is left out."""

    def read(group: dict[str, Any]) -> dict[str, Any] | None:
        name = group["logGroupName"]
        record: dict[str, Any] = {"logGroup": {key: group[key] for key in _GROUP_FIELDS if key in group}}
        filters = _subscription_filters(ctx, region, name)
        if is_gone(filters):
            return None
        if filters is not None:
            record["subscriptionFilters"] = filters
        tags = ctx.call(LIST_TAGS_FOR_RESOURCE, region, name, resourceArn=group_id(group, ctx.account, region))
        if is_gone(tags):
            return None
        if tags is not None:
            record["tags"] = dict(tags.get("tags") or {})
        return record

    return [record for record in ctx.map(read, groups) if record is not None]


def get_logs(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    groups = ctx.pages(DESCRIBE_LOG_GROUPS, region, region)
    return [] if groups is None else _read_groups(ctx, region, groups)


def _name_of(group_id: str) -> str:
    parsed = arns.parse_arn(group_id)
    resource = parsed.resource if parsed is not None else ""
    name = resource.removeprefix("log-group:") if resource.startswith("log-group:") else ""
    return name.removesuffix(":*")


def get_named_log_groups(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Log groups that other facts name, read one by one (DescribeLogGroups by name prefix, the exact name
    kept) when the listing could not be read."""
    names = sorted({name for group_id in wanted.get("logs.log_group", ()) if f":{region}:" in group_id
                    for name in [_name_of(group_id)] if name})

    def find(name: str) -> dict[str, Any] | None:
        listed = ctx.pages(DESCRIBE_LOG_GROUPS, region, name, logGroupNamePrefix=name)
        return next((group for group in listed or [] if group["logGroupName"] == name), None)

    return _read_groups(ctx, region, [group for group in ctx.map(find, names) if group is not None])


# --- transform ----------------------------------------------------------------------------------


def group_id(group: dict[str, Any], account: str, region: str) -> str:
    """`arn:aws:logs:REGION:ACCOUNT:log-group:NAME`, as `log_group_arn` writes it whoever names the group: the
    account and region from the ARN AWS gave (`…:NAME:*`), else the scan's."""
    parsed = arns.parse_arn(str(group.get("arn") or group.get("logGroupArn") or ""))
    if parsed is not None:
        region, account = parsed.region or region, parsed.account or account
    return arns.log_group_arn(region, account, group["logGroupName"])


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _subscription_edge(source: str, place: int, subscription: dict[str, Any]) -> Edge | None:
    destination = str(subscription.get("destinationArn") or "")
    if not destination:
        return None
    target = arns.unqualified_lambda_arn(destination)
    name = str(subscription.get("filterName", ""))
    pattern = str(subscription.get("filterPattern") or "")
    said = f"filter {name!r}, pattern {pattern!r}" if pattern else f"filter {name!r}, no pattern (every event)"
    if subscription.get("distribution"):
        said += f", distribution {subscription['distribution']}"
    evidence = Evidence("logs:DescribeSubscriptionFilters", source,
                        f"subscriptionFilters[{place}].destinationArn", f"{destination} ({said})"[:300])
    return Edge(source, target, target_edge_kind(arns.kind_for_arn(target)), (evidence,))


def transform_log_group(record: dict[str, Any], account: str, region: str) -> Facts:
    group = record["logGroup"]
    node_id = group_id(group, account, region)
    kms_key = group.get("kmsKeyId") or None
    attributes: dict[str, Any] = {
        # Absent: the group never expires.
        "retention_days": _int_or_none(group.get("retentionInDays")),
        "kms_key": kms_key,
        # Always encrypted at rest; a KMS key is the customer's own, else the keys are AWS's.
        "encryption": {"type": "kms", "kms_key": kms_key} if kms_key else {"type": "aws-owned", "kms_key": None},
        "class": group.get("logGroupClass") or "STANDARD",  # what AWS gives a group created without one
        "stored_bytes": _int_or_none(group.get("storedBytes")),
    }
    if "tags" in record:
        attributes["tags"] = record["tags"]
    unread = [key for key, said in (("subscription_filters", "subscriptionFilters"), ("tags", "tags"))
              if said not in record]
    if unread:
        attributes["unread"] = unread
    edges = [edge for place, subscription in enumerate(record.get("subscriptionFilters") or [])
             if (edge := _subscription_edge(node_id, place, subscription)) is not None]
    parsed = arns.parse_arn(node_id)
    node = Node(node_id, "logs.log_group", group["logGroupName"], stage_for("logs.log_group", record.get("tags")),
                parsed.account if parsed else account, parsed.region if parsed else region, True, attributes)
    return Facts((node,), tuple(edges))


def transform_logs(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_log_group(record, account, region), DESCRIBE_LOG_GROUPS,
                         lambda record: record["logGroup"]["logGroupName"], region)


COLLECTOR = Collector(
    service="logs", label="CloudWatch Logs",
    calls=(DESCRIBE_LOG_GROUPS, DESCRIBE_SUBSCRIPTION_FILTERS, LIST_TAGS_FOR_RESOURCE),
    get=get_logs, transform=transform_logs,
    listings={"logs.log_group": DESCRIBE_LOG_GROUPS}, get_named=get_named_log_groups,
)
