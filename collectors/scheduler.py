"""EventBridge Scheduler: every schedule, when it runs, and what it starts or sends.

A schedule is where data movement starts: it hands its constant input to its target on every run. A
templated target names its resource by ARN (a function, a queue, a machine); a universal target
(`arn:aws:scheduler:::aws-sdk:sqs:sendMessage`) calls an AWS API whose parameters are the input, so the
resource is read from those parameters the way a Step Functions `aws-sdk:` task names its own
(`lineage.asl`). Where the input does not say, the flow goes to a place known only at run time. The
input itself is not kept (it is the message a target receives, personal data as often as not): its shape
is — format, length, top-level keys. Tags live on schedule groups: each group's are read once and given to
its schedules.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone, tag_dict
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import redact
from lineage.asl import Machine, parse_definition
from lineage.delivery import target_edge_kind
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

_GONE = ("ResourceNotFoundException",)
LIST_SCHEDULES = Call("scheduler", "list_schedules", result_key="Schedules", required=("Name", "GroupName"))
GET_SCHEDULE = Call("scheduler", "get_schedule", required=("Name", "Target.Arn"), gone=_GONE)
LIST_TAGS_FOR_RESOURCE = Call("scheduler", "list_tags_for_resource", gone=_GONE, empty_is_an_answer=True)

GET = "scheduler:GetSchedule"
# `arn:aws:scheduler:::aws-sdk:SERVICE:ACTION`: a universal target, any AWS API the role may call.
_UNIVERSAL = re.compile(r"^arn:[^:]+:scheduler:[^:]*:[^:]*:aws-sdk:(?P<service>[^:]+):(?P<action>[^:]+)$")
# The one-state definition a universal target is read as (see `_universal_facts`).
_STATE = "Target"
_ASL_PATHS = ((f"States.{_STATE}.Parameters", "Target.Input"), (f"States.{_STATE}.Resource", "Target.Arn"),
              (f"States.{_STATE}", "Target"))


def group_arn(schedule_arn: str, group: str) -> str | None:
    """`…:schedule-group/GROUP` in the account and region of one of its schedules."""
    parsed = arns.parse_arn(schedule_arn)
    if parsed is None or not parsed.account:
        return None
    return f"arn:{parsed.partition}:scheduler:{parsed.region}:{parsed.account}:schedule-group/{group}"


def get_scheduler(ctx: AwsContext, region: str) -> dict[str, Any]:
    """`{"Schedules": [{"Schedule": GetSchedule} | {"Schedule": listed, "Unread": True}], "GroupTags": {…}}`;
    a schedule deleted between listing and reading is left out."""
    listed = ctx.pages(LIST_SCHEDULES, region, region)
    if listed is None:
        return {"Schedules": [], "GroupTags": {}}

    def read(schedule: dict[str, Any]) -> dict[str, Any] | None:
        name, group = schedule["Name"], schedule["GroupName"]
        got = ctx.call(GET_SCHEDULE, region, schedule.get("Arn") or f"{group}/{name}", Name=name, GroupName=group)
        if is_gone(got):
            return None
        return {"Schedule": got} if got is not None else {"Schedule": schedule, "Unread": True}

    # One group's tags stand for all its schedules: read once per group (most accounts have `default` only).
    groups = sorted({(s["GroupName"], arn) for s in listed if (arn := group_arn(s.get("Arn", ""), s["GroupName"]))})

    def read_tags(item: tuple[str, str]) -> tuple[str, dict[str, str] | None]:
        group, arn = item
        answer = ctx.call(LIST_TAGS_FOR_RESOURCE, region, arn, ResourceArn=arn)
        if answer is None or is_gone(answer):
            return group, None
        return group, tag_dict(answer.get("Tags"))

    records = [r for r in ctx.map(read, listed) if r is not None]
    tags = {group: found for group, found in ctx.map(read_tags, groups) if found is not None}
    return {"Schedules": records, "GroupTags": tags}


# --- transform ----------------------------------------------------------------------------------


def _input_summary(text: str | None) -> dict[str, Any] | None:
    """What the input is — its format, length and top-level keys — never what it says."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"format": "text", "length": len(text)}
    summary: dict[str, Any] = {"format": "json", "length": len(text)}
    if isinstance(value, dict):
        summary["keys"] = sorted(redact.short(str(key), 60) for key in value)[:20]
    return summary


def _shape(summary: dict[str, Any] | None) -> str:
    if summary is None:
        return "no input: the event Scheduler makes"
    keys = f", keys {', '.join(summary['keys'])}" if summary.get("keys") else ""
    return f"input {summary['format']}, {summary['length']} characters{keys}"


def _moved(path: str) -> str:
    """A path of the one-state definition as the place it names in the schedule (`Target.Input.QueueUrl`)."""
    for old, new in _ASL_PATHS:
        if path == old or path.startswith((f"{old}.", f"{old}[", f"{old}:")):
            return new + path[len(old):]
    return path


def _moved_id(node_id: str) -> str:
    if not arns.is_dynamic(node_id):
        return node_id
    owner, _, path = node_id[len(arns.DYNAMIC_PREFIX):].partition("#")
    return arns.dynamic_id(owner, _moved(path))


def _unnamed(schedule_id: str, integration: str, why: str) -> Facts:
    """A universal target whose input does not name the resource it acts on: a place known at run time."""
    target = arns.dynamic_id(schedule_id, "Target.Input")
    node = arns.referenced_node(target, "external", {"dynamic": True, "expression": integration})
    evidence = Evidence(GET, schedule_id, "Target.Input", redact.short(f"{integration}: {why}", 200), dynamic=True)
    return Facts((node,), (Edge(schedule_id, target, EdgeKind.INVOKES, (evidence,)),))


def _universal_facts(schedule_id: str, service: str, action: str, text: str | None, account: str,
                     region: str) -> tuple[Facts, list[str], bool]:
    """(facts, warnings, whether the call only reads or steers configuration) of a universal target.

    Its input is the API call's parameters, as a Step Functions `aws-sdk:` task's are: the input is read as
    that task, so each service is understood in one place, and its paths are given back as the schedule's.
    """
    integration = f"aws-sdk:{service}:{action}"
    try:
        parameters = json.loads(text) if text is not None else {}
    except ValueError:
        parameters = None
    if not isinstance(parameters, dict):
        return _unnamed(schedule_id, integration, "the input is not a JSON object"), [
            "Target.Input: not a JSON object, so the resource it acts on is not known"], False
    definition = {"StartAt": _STATE, "States": {_STATE: {
        "Type": "Task", "Resource": f"arn:{arns.partition(region)}:states:::{integration}",
        "Parameters": parameters, "End": True}}}
    result = parse_definition(definition, Machine(schedule_id, region, account, GET))
    warnings = [_moved(warning) for warning in result.warnings]
    if result.control_calls:
        return Facts(), warnings, True
    # An API of a service `lineage.asl` has no reader for is drawn there as the service itself: the resource
    # is not determined, so here it is a place known at run time.
    placeholder = arns.build_arn(service, region, account, "service")
    nodes = tuple(replace(n, id=_moved_id(n.id)) for n in result.facts.nodes if n.id != placeholder)
    edges = tuple(
        Edge(_moved_id(e.source), _moved_id(e.target), e.kind,
             tuple(replace(ev, path=_moved(ev.path)) for ev in e.evidence))
        for e in result.facts.edges if placeholder not in (e.source, e.target))
    if not edges:
        why = "the input does not name the resource" if not warnings else warnings[0]
        return _unnamed(schedule_id, integration, why), warnings, False
    return Facts(nodes, edges), warnings, False


def transform_schedule(record: dict[str, Any], tags: dict[str, str] | None, account: str, region: str) -> Facts:
    schedule = record["Schedule"]
    name, group = schedule["Name"], schedule.get("GroupName") or "default"
    schedule_id = schedule.get("Arn") or arns.build_arn("scheduler", region, account, f"schedule/{group}/{name}")
    target = schedule.get("Target") or {}
    target_arn = str(target.get("Arn") or "")
    attributes: dict[str, Any] = {"group": group, "state": schedule.get("State", "")}
    unread = (["configuration"] if record.get("Unread") else []) + (["tags"] if tags is None else [])
    if unread:
        attributes["unread"] = unread
    if not record.get("Unread"):
        window = schedule.get("FlexibleTimeWindow") or {}
        attributes.update({
            "expression": schedule.get("ScheduleExpression", ""),
            "timezone": schedule.get("ScheduleExpressionTimezone") or "UTC",
            # Scheduler encrypts what it keeps (the input) with an AWS owned key unless one is given.
            "kms_key": schedule.get("KmsKeyArn"),
            "flexible_window": window.get("Mode", "OFF"),
            "action_after_completion": schedule.get("ActionAfterCompletion"),
            "description": redact.short(schedule.get("Description") or "", 300),
        })
    if tags is not None:
        attributes["tags"] = tags
    edges: list[Edge] = []
    nodes: list[Node] = []
    warnings: list[str] = []
    summary = _input_summary(target.get("Input"))
    universal = _UNIVERSAL.match(target_arn)
    target_summary: dict[str, Any] = {"arn": target_arn, "input": summary,
                                      "role": target.get("RoleArn"), "retry": target.get("RetryPolicy"),
                                      "dead_letter_queue": (target.get("DeadLetterConfig") or {}).get("Arn"),
                                      "parameters": sorted(k for k in target if k.endswith("Parameters"))}
    task_definition = (target.get("EcsParameters") or {}).get("TaskDefinitionArn")
    if task_definition:
        target_summary["task_definition"] = task_definition
    if universal and not record.get("Unread"):
        facts, said, control = _universal_facts(schedule_id, universal["service"], universal["action"],
                                                target.get("Input"), account, region)
        nodes += facts.nodes
        edges += facts.edges
        warnings += said
        target_summary["action"] = f"{universal['service']}:{universal['action']}"
        if control:
            target_summary["control_call"] = True  # reads or steers configuration: no data moves
    elif universal:
        target_summary["action"] = f"{universal['service']}:{universal['action']}"
    elif target_arn:
        target_id = arns.unqualified_lambda_arn(target_arn)
        operation = "scheduler:ListSchedules" if record.get("Unread") else GET
        said = redact.short(f"{target_arn} ({_shape(summary)})", 300)
        evidence = Evidence(operation, schedule_id, "Target.Arn", said)
        edges.append(Edge(schedule_id, target_id, target_edge_kind(arns.kind_for_arn(target_id)), (evidence,)))
    dead_letter = target_summary["dead_letter_queue"]
    if dead_letter:
        evidence = Evidence(GET, schedule_id, "Target.DeadLetterConfig.Arn", dead_letter)
        edges.append(Edge(schedule_id, dead_letter, EdgeKind.WRITES, (evidence,)))
    if not record.get("Unread"):
        attributes["target"] = target_summary
    if warnings:
        attributes["warnings"] = warnings
    node = Node(schedule_id, "scheduler.schedule", name, stage_for("scheduler.schedule", tags), account, region,
                True, attributes)
    return Facts((node, *nodes), tuple(edges))


def transform_scheduler(raw: dict[str, Any], account: str, region: str) -> Facts:
    group_tags = raw.get("GroupTags") or {}
    return each_resource(
        raw.get("Schedules") or [],
        lambda record: transform_schedule(record, group_tags.get(record["Schedule"].get("GroupName") or "default"),
                                          account, region),
        GET_SCHEDULE, lambda record: record["Schedule"].get("Arn") or record["Schedule"]["Name"], region)


# No `get_named`: nothing else names a schedule (targets name what a schedule starts, never the schedule),
# so a denied listing leaves no reference to follow.
COLLECTOR = Collector(
    service="scheduler", label="EventBridge Scheduler",
    calls=(LIST_SCHEDULES, GET_SCHEDULE, LIST_TAGS_FOR_RESOURCE),
    get=get_scheduler, transform=transform_scheduler,
    listings={"scheduler.schedule": LIST_SCHEDULES},
)
