"""Step Functions: every state machine, its configuration, and the facts of its definition."""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.asl import Machine, parse_definition
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for

LIST_STATE_MACHINES = Call("stepfunctions", "list_state_machines", result_key="stateMachines",
                           required=("stateMachineArn",))
DESCRIBE_STATE_MACHINE = Call("stepfunctions", "describe_state_machine", required=("stateMachineArn", "definition"),
                              gone=("StateMachineDoesNotExist",))


def _describe(ctx: AwsContext, region: str, machines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each machine as described; one that could not be described is kept as listed, marked unread;
    one deleted meanwhile is left out."""

    def describe(machine: dict[str, Any]) -> dict[str, Any] | None:
        arn = machine["stateMachineArn"]
        described = ctx.call(DESCRIBE_STATE_MACHINE, region, arn, stateMachineArn=arn)
        if is_gone(described):
            return None
        return described if described is not None else {**machine, "unread": True}

    return [d for d in ctx.map(describe, machines) if d is not None]


def get_state_machines(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    listing = ctx.pages(LIST_STATE_MACHINES, region, region)
    return [] if listing is None else _describe(ctx, region, listing)


def get_named_state_machines(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    """Machines that other facts name, described one by one when the listing could not be read."""
    arns = sorted(set(wanted.get("states.state_machine", ())))
    return _describe(ctx, region, [{"stateMachineArn": arn} for arn in arns])


def transform_state_machine(described: dict[str, Any], account: str, region: str) -> Facts:
    arn = described["stateMachineArn"]
    name = described.get("name") or arn.rsplit(":", 1)[-1]
    if described.get("unread"):
        # Listed but not described: nothing about its configuration is known, so nothing is judged.
        attributes: dict[str, Any] = {"unread": ["definition", "configuration"]}
        node = Node(arn, "states.state_machine", name, stage_for("states.state_machine"), account, region, True,
                    attributes)
        return Facts((node,))
    logging = described.get("loggingConfiguration") or {}
    encryption = described.get("encryptionConfiguration") or {}
    attributes = {
        "type": described.get("type", ""),
        "status": described.get("status", ""),
        "role": described.get("roleArn", ""),
        "logging": {
            "level": logging.get("level", "OFF"),
            "include_execution_data": bool(logging.get("includeExecutionData")),
            "destinations": [
                (d.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
                for d in logging.get("destinations", [])
            ],
        },
        "tracing": bool((described.get("tracingConfiguration") or {}).get("enabled")),
        # Step Functions encrypts with an AWS-owned key unless a customer key is configured.
        "encryption": {
            "type": encryption.get("type", "AWS_OWNED_KEY"),
            "kms_key": encryption.get("kmsKeyId"),
        },
    }
    result = parse_definition(described.get("definition", ""), Machine(arn, region, account))
    attributes["integrations"] = sorted(set(result.integrations))
    attributes["control_calls"] = sorted(set(result.control_calls))
    if result.warnings:
        attributes["warnings"] = result.warnings
    node = Node(arn, "states.state_machine", name, stage_for("states.state_machine"), account, region, True,
                attributes)
    return Facts((node,), tuple(_log_flows(arn, logging))) + result.facts


def _log_flows(machine_id: str, logging: dict[str, Any]) -> list[Edge]:
    """What the executions carry lands in the log groups when execution data is logged (each state's
    input and output): a flow. Without it the logs hold events, not data."""
    if logging.get("level", "OFF") == "OFF" or not logging.get("includeExecutionData"):
        return []
    edges = []
    for place, destination in enumerate(logging.get("destinations") or []):
        group = str((destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn") or "").removesuffix(":*")
        if arns.kind_for_arn(group) == "logs.log_group":
            evidence = Evidence("states:DescribeStateMachine", machine_id,
                                f"loggingConfiguration.destinations[{place}].cloudWatchLogsLogGroup.logGroupArn",
                                f"{group} (level {logging.get('level')}, execution data included)")
            edges.append(Edge(machine_id, group, EdgeKind.WRITES, (evidence,)))
    return edges


def transform_state_machines(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    return each_resource(records, lambda described: transform_state_machine(described, account, region),
                         DESCRIBE_STATE_MACHINE, lambda described: described["stateMachineArn"], region)


COLLECTOR = Collector(
    service="states", label="Step Functions", calls=(LIST_STATE_MACHINES, DESCRIBE_STATE_MACHINE),
    get=get_state_machines, transform=transform_state_machines,
    listings={"states.state_machine": LIST_STATE_MACHINES}, get_named=get_named_state_machines,
)
