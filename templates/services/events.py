"""EventBridge buses and rules in a template → the answers of `DescribeEventBus`, `ListRules` and
`ListTargetsByRule` → the EventBridge collector's transform.

A rule on a bus the template does not define (the account's `default` bus, a bus of another stack) is read
as a rule of that bus; the bus itself is left to the account, where a scan finds it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from collectors import events
from collectors.context import each_resource
from lineage import arn as arns
from lineage.model import Facts
from templates.stack import Placed, Stack, each_placed

TYPES = frozenset({"AWS::Events::EventBus", "AWS::Events::Rule", "AWS::Events::EventBusPolicy"})
_TARGET_KEYS = ("Id", "Arn", "RoleArn", "Input", "InputPath", "InputTransformer", "DeadLetterConfig",
                "RetryPolicy", "SqsParameters", "EcsParameters", "BatchParameters", "HttpParameters",
                "KinesisParameters", "RunCommandParameters", "RedshiftDataParameters", "SageMakerPipelineParameters",
                "AppSyncParameters")


def _bus_name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        return "default"
    return arns.name_for_id(value) if value.startswith("arn:") else value


def _target(stack: Stack, rule: str, place: int, target: Mapping[str, Any]) -> dict[str, Any]:
    answer = {key: target[key] for key in _TARGET_KEYS if key in target}
    answer["Arn"] = stack.reference(rule, f"Targets[{place}].Arn", target.get("Arn"))
    letter = target.get("DeadLetterConfig")
    if isinstance(letter, Mapping) and letter.get("Arn") is not None:
        answer["DeadLetterConfig"] = {**letter, "Arn": stack.reference(rule, f"Targets[{place}].DeadLetterConfig.Arn",
                                                                       letter["Arn"])}
    return answer


def rule_record(placed: Placed, stack: Stack) -> dict[str, Any]:
    """`ListRules`' entry for the rule and `ListTargetsByRule`'s answer, as a scan records them."""
    properties = placed.properties
    pattern = properties.get("EventPattern")
    rule: dict[str, Any] = {
        "Name": placed.name,
        "Arn": placed.id,
        "EventBusName": _bus_name(properties.get("EventBusName")),
        "State": properties.get("State", "ENABLED"),
        "Description": properties.get("Description", ""),
    }
    if pattern is not None:
        rule["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    if properties.get("ScheduleExpression"):
        rule["ScheduleExpression"] = properties["ScheduleExpression"]
    targets = [_target(stack, placed.id, place, target)
               for place, target in enumerate(properties.get("Targets") or []) if isinstance(target, Mapping)]
    return {"rule": rule, "targets": targets, "region": stack.region}


def _bus_record(placed: Placed, policies: Mapping[str, bool]) -> dict[str, Any]:
    properties = placed.properties
    bus: dict[str, Any] = {"Name": placed.name, "Arn": placed.id, "Description": properties.get("Description", "")}
    if properties.get("KmsKeyIdentifier"):
        bus["KmsKeyIdentifier"] = properties["KmsKeyIdentifier"]
    if isinstance(properties.get("DeadLetterConfig"), Mapping):
        bus["DeadLetterConfig"] = dict(properties["DeadLetterConfig"])
    if properties.get("Policy") or policies.get(placed.name):
        bus["Policy"] = json.dumps(properties.get("Policy") or {"Statement": []})
    return {"bus": bus, "rules": []}


def facts(stack: Stack) -> Facts:
    policies = {_bus_name(p.properties.get("EventBusName")): True for p in stack.placed.values()
                if p.type == "AWS::Events::EventBusPolicy"}
    buses = {record["bus"]["Name"]: record for record in each_placed(
        stack, frozenset({"AWS::Events::EventBus"}), lambda placed: _bus_record(placed, policies))}
    elsewhere: dict[str, list[dict[str, Any]]] = {}
    for record in each_placed(stack, frozenset({"AWS::Events::Rule"}), lambda p: rule_record(p, stack)):
        bus = record["rule"]["EventBusName"]
        if bus in buses:
            buses[bus]["rules"].append(record)
        else:
            elsewhere.setdefault(bus, []).append(record)
    parts = [events.transform_event_buses(list(buses.values()), stack.account, stack.region)]
    for bus, rules in elsewhere.items():
        bus_id = arns.event_bus_arn(stack.region, stack.account, bus)
        parts.append(each_resource(rules, lambda rule, bus_id=bus_id: events.transform_rule(
            rule, bus_id, stack.account, stack.region), events.LIST_RULES, lambda rule: rule["rule"]["Name"],
            stack.region))
    return Facts.concat(parts)
