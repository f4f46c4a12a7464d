"""EventBridge: every event bus, its key, its rules (pattern or schedule) and their targets.

A pattern's `source` values become `events.source` nodes at the generation stage; an S3 pattern
that names buckets ties those buckets to the rule; each target is a flow from the rule, with its
input transformer and dead-letter queue recorded.
"""

from __future__ import annotations

import json
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage import redact
from lineage.delivery import target_edge_kind
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Stage, stage_for
from lineage.patterns import PatternError, pattern_facts

LIST_EVENT_BUSES = Call("events", "list_event_buses", result_key="EventBuses", required=("Name",))
DESCRIBE_EVENT_BUS = Call("events", "describe_event_bus", required=("Name",), gone=("ResourceNotFoundException",))
LIST_RULES = Call("events", "list_rules", result_key="Rules", required=("Name",))
LIST_TARGETS_BY_RULE = Call("events", "list_targets_by_rule", result_key="Targets", required=("Id", "Arn"))


def _read_buses(ctx: AwsContext, region: str, buses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`[{"bus": DescribeEventBus, "rules": [{"rule": …, "targets": [...]}]}]`; a bus deleted meanwhile
    is left out."""

    def read_bus(bus: dict[str, Any]) -> dict[str, Any] | None:
        described = ctx.call(DESCRIBE_EVENT_BUS, region, bus["Name"], Name=bus["Name"])
        if is_gone(described):
            return None
        rules = ctx.pages(LIST_RULES, region, bus["Name"], EventBusName=bus["Name"])
        return {"bus": described or bus, "rules": rules or [], **({} if rules is not None else {"unread": True})}

    records = [r for r in ctx.map(read_bus, buses) if r is not None]

    def read_targets(item: tuple[str, dict[str, Any]]) -> dict[str, Any]:
        bus_name, rule = item
        targets = ctx.pages(LIST_TARGETS_BY_RULE, region, rule.get("Arn", rule["Name"]), Rule=rule["Name"],
                            EventBusName=bus_name)
        return {"rule": rule, "targets": targets, "region": region}

    # Targets of every rule of every bus on the pool at once, then handed back to their bus in order.
    pairs = [(record["bus"]["Name"], rule) for record in records for rule in record["rules"]]
    with_targets = iter(ctx.map(read_targets, pairs))
    for record in records:
        record["rules"] = [next(with_targets) for _ in record["rules"]]
    return records


def get_event_buses(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    """Every bus of one region, with its rules and their targets (see `_read_buses`)."""
    buses = ctx.pages(LIST_EVENT_BUSES, region, region)
    return [] if buses is None else _read_buses(ctx, region, buses)


def get_named_event_buses(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Buses that other facts name, read one by one when the listing could not be read."""
    names = sorted({arns.name_for_id(bus) for bus in wanted.get("events.bus", ())})
    return _read_buses(ctx, region, [{"Name": name} for name in names])


# --- transform ----------------------------------------------------------------------------------

def _target_summary(target: dict[str, Any]) -> dict[str, Any]:
    transformer = target.get("InputTransformer")
    return {
        "id": target.get("Id", ""),
        "arn": target.get("Arn", ""),
        "input": "transformer" if transformer else (
            "constant" if "Input" in target else ("path" if "InputPath" in target else "event")
        ),
        "input_template": (transformer or {}).get("InputTemplate"),
        "input_paths": (transformer or {}).get("InputPathsMap"),
        "input_path": target.get("InputPath"),
        "dead_letter_queue": (target.get("DeadLetterConfig") or {}).get("Arn"),
        "role": target.get("RoleArn"),
        "retry": target.get("RetryPolicy"),
    }


def transform_rule(record: dict[str, Any], bus_id: str, account: str, region: str) -> Facts:
    rule = record["rule"]
    rule_id = rule.get("Arn") or arns.event_rule_arn(region, account, rule.get("EventBusName", ""),
                                                      rule["Name"])
    nodes: list[Node] = []
    edges: list[Edge] = []
    warnings: list[str] = []
    matchers: list[dict[str, Any]] = []
    pattern_text = rule.get("EventPattern")
    schedule = rule.get("ScheduleExpression")
    if pattern_text:
        try:
            facts = pattern_facts(pattern_text)
        except PatternError as error:
            warnings.append(str(error))
        else:
            for source in facts.sources:
                source_id = arns.event_source_id(region, account, source)
                nodes.append(Node(source_id, "events.source", source, Stage.GENERATION, account,
                                  region, observed=False, attributes={"pattern_value": source}))
                evidence = Evidence("events:ListRules", rule_id, "EventPattern.source", source)
                edges.append(Edge(source_id, rule_id, EdgeKind.ROUTES, (evidence,)))
            for bucket in facts.buckets:
                evidence = Evidence("events:ListRules", rule_id, "EventPattern.detail.bucket.name", bucket)
                edges.append(Edge(arns.bucket_arn(bucket), rule_id, EdgeKind.NOTIFIES, (evidence,)))
            matchers = [matcher.to_dict() for matcher in facts.bucket_matchers]
    edges.append(Edge(bus_id, rule_id, EdgeKind.ROUTES,
                      (Evidence("events:ListRules", rule_id, "EventBusName", rule.get("EventBusName", "")),)))
    targets = record.get("targets")
    summaries = []
    for index, target in enumerate(targets or []):
        target_arn = target.get("Arn", "")
        if not target_arn:
            continue
        target_id = arns.unqualified_lambda_arn(target_arn)
        summary = _target_summary(target)
        summaries.append(summary)
        excerpt = redact.short(json.dumps({k: v for k, v in summary.items() if v and k not in ("arn", "id")},
                                          sort_keys=True), 200)
        evidence = Evidence("events:ListTargetsByRule", rule_id, f"Targets[{index}]", excerpt)
        edges.append(Edge(rule_id, target_id, target_edge_kind(arns.kind_for_arn(target_id)), (evidence,)))
        if summary["dead_letter_queue"]:
            dlq = Evidence("events:ListTargetsByRule", rule_id, f"Targets[{index}].DeadLetterConfig.Arn",
                           summary["dead_letter_queue"])
            edges.append(Edge(rule_id, summary["dead_letter_queue"], EdgeKind.WRITES, (dlq,)))
    attributes: dict[str, Any] = {
        "state": rule.get("State", ""),
        "event_pattern": pattern_text,
        "schedule": schedule,
        "description": rule.get("Description", ""),
        "managed_by": rule.get("ManagedBy"),
        "targets": summaries,
    }
    if matchers:  # the graph ties the buckets they match to the rule, once it knows the buckets
        attributes["bucket_matchers"] = matchers
    if targets is None:
        attributes["unread"] = ["targets"]
    if warnings:
        attributes["warnings"] = warnings
    # A schedule is where data movement starts: the rule itself is the generator.
    stage = Stage.GENERATION if schedule and not pattern_text else stage_for("events.rule")
    nodes.append(Node(rule_id, "events.rule", rule["Name"], stage, account, region, True, attributes))
    return Facts(tuple(nodes), tuple(edges))


def transform_event_bus(record: dict[str, Any], account: str, region: str) -> Facts:
    bus = record["bus"]
    bus_id = bus.get("Arn") or arns.event_bus_arn(region, account, bus["Name"])
    attributes: dict[str, Any] = {
        "kms_key": bus.get("KmsKeyIdentifier"),
        "has_policy": bool(bus.get("Policy")),
        "description": bus.get("Description", ""),
        "dead_letter_queue": (bus.get("DeadLetterConfig") or {}).get("Arn"),
    }
    if record.get("unread"):
        attributes["unread"] = ["rules"]
    node = Node(bus_id, "events.bus", bus["Name"], stage_for("events.bus"), account, region, True, attributes)
    rules = each_resource(record["rules"], lambda rule: transform_rule(rule, bus_id, account, region), LIST_RULES,
                          lambda rule: rule["rule"]["Name"], region)
    return Facts((node,)) + rules


def transform_event_buses(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda record: transform_event_bus(record, account, region), DESCRIBE_EVENT_BUS,
                         lambda record: record["bus"]["Name"], region)


COLLECTOR = Collector(
    service="events", label="EventBridge",
    calls=(LIST_EVENT_BUSES, DESCRIBE_EVENT_BUS, LIST_RULES, LIST_TARGETS_BY_RULE),
    get=get_event_buses, transform=transform_event_buses,
    listings={"events.bus": LIST_EVENT_BUSES}, get_named=get_named_event_buses,
)
