"""Step Functions: every state machine, its configuration, and the facts of its definition."""

from __future__ import annotations

from typing import Any

from collectors.context import AwsContext
from lineage.asl import Machine, parse_definition
from lineage.model import Facts, Node, stage_for


def get_state_machines(ctx: AwsContext, region: str) -> list[dict[str, Any]]:
    client = ctx.client("stepfunctions", region)
    listing = ctx.pages(client, "list_state_machines", "stateMachines", resource=region)
    if listing is None:
        return []

    def describe(machine: dict[str, Any]) -> dict[str, Any]:
        arn = machine["stateMachineArn"]
        described = ctx.call(client, "describe_state_machine", arn, stateMachineArn=arn)
        return described if described is not None else {**machine, "unread": True}

    return ctx.map(describe, listing)


def transform_state_machine(described: dict[str, Any], account: str, region: str) -> Facts:
    arn = described["stateMachineArn"]
    logging = described.get("loggingConfiguration") or {}
    encryption = described.get("encryptionConfiguration") or {}
    attributes: dict[str, Any] = {
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
    facts = Facts()
    if described.get("unread"):
        attributes["unread"] = ["definition", "configuration"]
    else:
        result = parse_definition(described.get("definition", ""), Machine(arn, region, account))
        attributes["integrations"] = sorted(set(result.integrations))
        attributes["control_calls"] = sorted(set(result.control_calls))
        if result.warnings:
            attributes["warnings"] = result.warnings
        facts = result.facts
    node = Node(arn, "states.state_machine", described.get("name", arn.rsplit(":", 1)[-1]),
                stage_for("states.state_machine"), account, region, True, attributes)
    return Facts((node,), ()) + facts


def transform_state_machines(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    facts = Facts()
    for described in records:
        facts = facts + transform_state_machine(described, account, region)
    return facts
