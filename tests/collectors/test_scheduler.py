"""EventBridge Scheduler: the get on recorded answers through botocore's Stubber (two pages, a schedule
deleted between listing and reading, each group's tags read once), the transform on what it read (a rate
schedule to a function with a JSON input, a cron schedule with a universal `sqs:sendMessage` target, a
universal target whose input names no resource the tracker can place, a dead-letter queue), and the get
on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
from botocore.stub import Stubber
from moto import mock_aws

from collectors import scheduler, sqs
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.graph import build_graph
from lineage.model import EdgeKind, Stage
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
SCHEDULE = f"arn:aws:scheduler:{R}:{A}:schedule/"
NIGHTLY, HOURLY, STOP_DB = (SCHEDULE + name for name in ("reporting/nightly-report", "default/hourly-export",
                                                         "default/stop-reporting-db"))
REPORT_FUNCTION = f"arn:aws:lambda:{R}:{A}:function:build-report"
EXPORTS, DLQ = f"arn:aws:sqs:{R}:{A}:exports", f"arn:aws:sqs:{R}:{A}:scheduler-dlq"
GROUP = f"arn:aws:scheduler:{R}:{A}:schedule-group/"


def _recorded_read() -> dict[str, Any]:
    answers = recorded("scheduler")
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    stub = Stubber(ctx.client("scheduler", R))
    pages = answers["ListSchedules"]
    stub.add_response("list_schedules", parsed("scheduler", "ListSchedules", pages[0]), {})
    stub.add_response("list_schedules", parsed("scheduler", "ListSchedules", pages[1]),
                      {"NextToken": pages[0]["NextToken"]})
    for group, name in (("reporting", "nightly-report"), ("default", "hourly-export"),
                        ("default", "stop-reporting-db")):
        stub.add_response("get_schedule", parsed("scheduler", "GetSchedule", answers["GetSchedule"][name]),
                          {"Name": name, "GroupName": group})
    stub.add_client_error("get_schedule", "ResourceNotFoundException", "Schedule deleted-meanwhile does not exist.",
                          404, expected_params={"Name": "deleted-meanwhile", "GroupName": "default"})
    for group in ("default", "reporting"):  # once per group, not per schedule
        stub.add_response("list_tags_for_resource", parsed("scheduler", "ListTagsForResource",
                                                           answers["ListTagsForResource"][group]),
                          {"ResourceArn": GROUP + group})
    return read_through(stub, ctx, scheduler.get_scheduler, R)


def test_recorded_schedules_become_generators_with_flows_to_what_they_start() -> None:
    facts = scheduler.transform_scheduler(_recorded_read(), A, R)
    schedules = {n.id: n for n in facts.nodes if n.kind == "scheduler.schedule"}
    assert set(schedules) == {NIGHTLY, HOURLY, STOP_DB}  # the one deleted meanwhile is not a gap, not a node
    assert {n.stage for n in schedules.values()} == {Stage.GENERATION}
    nightly = schedules[NIGHTLY].attributes
    assert (nightly["expression"], nightly["timezone"], nightly["state"], nightly["group"]) == (
        "rate(1 day)", "UTC", "ENABLED", "reporting")
    assert nightly["kms_key"] == f"arn:aws:kms:{R}:{A}:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    assert nightly["tags"] == {"team": "analytics", "lineage:pii": "email"}  # the group's, read once
    assert nightly["target"]["input"] == {"format": "json", "length": 88, "keys": ["api_token", "format", "report"]}
    hourly = schedules[HOURLY].attributes
    assert (hourly["expression"], hourly["timezone"], hourly["tags"]) == ("cron(0 * * * ? *)", "Europe/Dublin", {})
    assert hourly["target"]["action"] == "sqs:sendMessage" and hourly["kms_key"] is None
    assert schedules[STOP_DB].attributes["state"] == "DISABLED"

    flows = {(e.source, e.kind, e.target): e for e in facts.edges}
    unknown = arns.dynamic_id(STOP_DB, "Target.Input")
    assert set(flows) == {
        (NIGHTLY, EdgeKind.TRIGGERS, REPORT_FUNCTION),  # the function, not its alias
        (NIGHTLY, EdgeKind.WRITES, DLQ),
        (HOURLY, EdgeKind.WRITES, EXPORTS),  # the universal target's queue, from the input's QueueUrl
        (STOP_DB, EdgeKind.INVOKES, unknown),  # rds:stopDBCluster names no place the tracker knows
    }
    [start] = flows[(NIGHTLY, EdgeKind.TRIGGERS, REPORT_FUNCTION)].evidence
    assert (start.operation, start.path) == ("scheduler:GetSchedule", "Target.Arn")
    assert start.excerpt.startswith(REPORT_FUNCTION) and "input json" in start.excerpt  # its shape, not its text
    assert "daily-enrolments" not in start.excerpt and "tok-8f9a0b1c2d3e4f5a6b7c" not in start.excerpt
    [dead_letter] = flows[(NIGHTLY, EdgeKind.WRITES, DLQ)].evidence
    assert "DeadLetterConfig" in dead_letter.path
    [queue_url] = flows[(HOURLY, EdgeKind.WRITES, EXPORTS)].evidence
    assert queue_url.path == "Target.Input.QueueUrl" and queue_url.excerpt.endswith("/111122223333/exports")
    [action] = flows[(STOP_DB, EdgeKind.INVOKES, unknown)].evidence
    assert action.dynamic and action.path == "Target.Input" and "aws-sdk:rds:stopDBCluster" in action.excerpt
    # Never the input's message, nor a secret or an address in it: its shape only.
    kept = json.dumps([n.to_dict() for n in facts.nodes] + [e.to_dict() for e in facts.edges])
    assert "ops@example.com" not in kept and "tok-8f9a0b1c2d3e4f5a6b7c" not in kept


def test_a_schedule_dead_letter_queue_nothing_reads_is_a_finding_and_group_tags_label_personal_data() -> None:
    dlq = {"QueueUrl": f"https://sqs.{R}.amazonaws.com/{A}/scheduler-dlq",
           "Attributes": {"QueueArn": DLQ, "SqsManagedSseEnabled": "true", "MessageRetentionPeriod": "1209600"}}
    graph = build_graph([scheduler.transform_scheduler(_recorded_read(), A, R), sqs.transform_sqs([dlq], A, R)])
    findings = {(f.rule, f.node) for f in evaluate(graph).findings}
    # The queue the failed runs are set aside in has no reader; the group's tag says the schedule holds
    # personal data, which reaches its function and that queue.
    assert {("sqs.dead_letter_queue_unread", DLQ), ("pii.personal_data_held", NIGHTLY)} <= findings
    assert graph.nodes[NIGHTLY].attributes["personal_data"]["categories"] == ["email"]
    assert graph.nodes[arns.dynamic_id(STOP_DB, "Target.Input")].attributes["dynamic"] is True


def _schedule(target: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"Schedule": {"Arn": SCHEDULE + "default/s", "Name": "s", "GroupName": "default",
                         "ScheduleExpression": "rate(5 minutes)", "State": "ENABLED", "Target": target, **more}}


def test_a_universal_target_without_its_resource_goes_to_a_place_known_at_run_time_and_a_control_call_nowhere() -> None:
    role = {"RoleArn": f"arn:aws:iam::{A}:role/r"}
    unnamed = _schedule({"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "Input": '{"MessageBody": "x"}', **role})
    facts = scheduler.transform_schedule(unnamed, None, A, R)
    [edge] = facts.edges
    assert edge.target == arns.dynamic_id(SCHEDULE + "default/s", "Target.Input")
    assert "aws-sdk:sqs:sendMessage" in edge.evidence[0].excerpt
    assert facts.nodes[0].attributes["warnings"] == ["Target.Input: `QueueUrl` is missing"]
    table = _schedule({"Arn": "arn:aws:scheduler:::aws-sdk:dynamodb:putItem",
                       "Input": '{"TableName": "audit", "Item": {"id": {"S": "1"}}}', **role})
    [edge] = scheduler.transform_schedule(table, None, A, R).edges
    assert (edge.kind, edge.target) == (EdgeKind.WRITES, f"arn:aws:dynamodb:{R}:{A}:table/audit")
    control = _schedule({"Arn": "arn:aws:scheduler:::aws-sdk:ec2:describeInstances", "Input": "{}", **role})
    facts = scheduler.transform_schedule(control, None, A, R)
    assert facts.edges == () and facts.nodes[0].attributes["target"]["control_call"] is True
    text = _schedule({"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "Input": "not json", **role})
    [edge] = scheduler.transform_schedule(text, None, A, R).edges
    assert arns.is_dynamic(edge.target)


def test_a_schedule_that_could_not_be_read_keeps_its_listed_target_and_says_so() -> None:
    listed = {"Schedule": {"Arn": SCHEDULE + "default/u", "Name": "u", "GroupName": "default", "State": "ENABLED",
                           "Target": {"Arn": EXPORTS}}, "Unread": True}
    facts = scheduler.transform_scheduler({"Schedules": [listed], "GroupTags": {}}, A, R)
    [node] = facts.nodes
    [edge] = facts.edges
    assert node.attributes["unread"] == ["configuration", "tags"] and "tags" not in node.attributes
    assert (edge.kind, edge.target, edge.evidence[0].operation) == (EdgeKind.ROUTES, EXPORTS,
                                                                    "scheduler:ListSchedules")


@mock_aws
def test_scheduler_get_on_moto() -> None:
    session = boto3.Session(region_name=R)
    ctx = AwsContext(session, [R])
    assert scheduler.get_scheduler(ctx, R) == {"Schedules": [], "GroupTags": {}} and ctx.gaps == []
    client = session.client("scheduler")
    client.create_schedule_group(Name="reporting", Tags=[{"Key": "team", "Value": "analytics"}])
    client.create_schedule(
        Name="nightly", GroupName="reporting", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": f"arn:aws:lambda:{R}:123456789012:function:build-report",
                "RoleArn": "arn:aws:iam::123456789012:role/r",
                "Input": '{"report": "daily"}', "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{R}:123456789012:dlq"}})
    client.create_schedule(
        Name="export", ScheduleExpression="cron(0 * * * ? *)", FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage", "RoleArn": "arn:aws:iam::123456789012:role/r",
                "Input": json.dumps({"QueueUrl": f"https://sqs.{R}.amazonaws.com/123456789012/exports",
                                     "MessageBody": "hello"})})
    raw = scheduler.get_scheduler(ctx, R)
    ctx.close()
    assert ctx.gaps == [] and raw["GroupTags"] == {"default": {}, "reporting": {"team": "analytics"}}
    facts = scheduler.transform_scheduler(raw, "123456789012", R)
    nightly = next(n for n in facts.nodes if n.name == "nightly")
    assert nightly.attributes["tags"] == {"team": "analytics"}
    assert {(e.source.rsplit("/", 1)[-1], e.kind, e.target) for e in facts.edges} == {
        ("nightly", EdgeKind.TRIGGERS, f"arn:aws:lambda:{R}:123456789012:function:build-report"),
        ("nightly", EdgeKind.WRITES, f"arn:aws:sqs:{R}:123456789012:dlq"),
        ("export", EdgeKind.WRITES, f"arn:aws:sqs:{R}:123456789012:exports"),
    }
