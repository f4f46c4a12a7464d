"""Every integration the States Language parser knows, one Task at a time.

Each row is one Task (or one `ItemReader` / `ResultWriter` of a Distributed Map) and the exact set of flows it
means: which resource, which way the data moves, and the argument whose value names it (the evidence path).
The table is checked against the parser's own handler tables, so an integration added without rows here
fails `test_every_handler_has_a_literal_row_and_a_dynamic_row`.

A row marked `wrong` states what the definition means where the parser says otherwise; it runs as a strict
expected failure until the parser is fixed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from lineage import arn as arns
from lineage import asl
from lineage.asl import Machine, parse_definition

REGION = "eu-west-1"
ACCOUNT = "111122223333"
OTHER = "444455556666"
MACHINE = Machine(arns.state_machine_arn(REGION, ACCOUNT, "etl"), REGION, ACCOUNT)
M = MACHINE.id
S = "arn:aws:states:::"
SDK = "arn:aws:states:::aws-sdk:"
TASK = "States.T"

Flow = tuple[str, str, str, tuple[str, ...]]  # source, kind, target, evidence paths below the Task


def reads(source: str, *paths: str) -> Flow:
    return (source, "reads", M, paths)


def writes(target: str, *paths: str) -> Flow:
    return (M, "writes", target, paths)


def invokes(target: str, *paths: str) -> Flow:
    return (M, "invokes", target, paths)


def dyn(path: str) -> str:
    """The id of the place an expression at `path` (below the Task) names at run time."""
    return arns.dynamic_id(M, f"{TASK}.{path}")


def function(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return arns.lambda_function_arn(region, account, name)


def table(name: str) -> str:
    return arns.dynamodb_table_arn(REGION, ACCOUNT, name)


def catalog_table(database: str, name: str) -> str:
    return arns.glue_table_arn(REGION, ACCOUNT, database, name)


def queue(name: str) -> str:
    return arns.sqs_queue_arn(REGION, ACCOUNT, name)


def queue_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"


def s3(path: str) -> str:
    bucket, _, prefix = path.partition("/")
    return arns.s3_location_id(bucket, prefix)


def workgroup(name: str) -> str:
    return arns.athena_workgroup_arn(REGION, ACCOUNT, name)


def bus(name: str) -> str:
    return arns.event_bus_arn(REGION, ACCOUNT, name)


def machine(name: str) -> str:
    return arns.state_machine_arn(REGION, ACCOUNT, name)


JOB = arns.glue_job_arn(REGION, ACCOUNT, "curate")
TOPIC = arns.sns_topic_arn(REGION, ACCOUNT, "alerts")
PRIMARY = workgroup("primary")
EMR_CLUSTER = f"arn:aws:elasticmapreduce:{REGION}:{ACCOUNT}:cluster/j-2AXXXXXXGAPLF"
EMR_APPLICATION = f"arn:aws:emr-serverless:{REGION}:{ACCOUNT}:/applications/00f1abcdexample"
TRAINING = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/recs-train"
PROCESSING = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:processing-job/features"
TRANSFORM = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:transform-job/score"
MODEL = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/recs"


@dataclass(frozen=True)
class Row:
    id: str
    resource: str
    arguments: Any  # the `Parameters` (or `Arguments`) value as written; None leaves the field out
    flows: tuple[Flow, ...] = ()
    # path below the Task -> (kind, expression) of every dynamic node the Task names, and no other
    dynamic: dict[str, tuple[str, str]] = field(default_factory=dict)
    jsonata: bool = False
    block: str = "Task"  # or "ItemReader" / "ResultWriter" of a Distributed Map
    control: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # substrings, one per expected warning
    wrong: str = ""  # how the parser disagrees with what the definition means
    wrong_dynamic: str = ""  # the same, where it shows in the dynamic node itself

    @property
    def key(self) -> str:
        return "Arguments" if self.jsonata else "Parameters"

    def definition(self) -> dict[str, Any]:
        block: dict[str, Any] = {"Resource": self.resource}
        if self.arguments is not None:
            block[self.key] = self.arguments
        if self.block == "Task":
            state = {"Type": "Task", **block, "End": True}
        else:
            state = {"Type": "Map", "End": True, self.block: block,
                     "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                       "StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": True}}}}
        definition: dict[str, Any] = {"StartAt": "T", "States": {"T": state}}
        if self.jsonata:
            definition["QueryLanguage"] = "JSONata"
        return definition


def handler_key(row: Row) -> object:
    """Which entry of the parser's handler tables a row exercises, read from its `Resource` as AWS spells it:
    `arn:aws:states:::SERVICE:ACTION[.sync|.sync:2|.waitForTaskToken]` or `…:::aws-sdk:SERVICE:ACTION`."""
    if row.block != "Task":
        return row.block
    if not row.resource.startswith(S) or row.control:
        return None
    parts = row.resource[len(S):].split(":")
    service, action = (parts[1], parts[2]) if parts[0] == "aws-sdk" else (parts[0], parts[1])
    pair = (service, action.split(".")[0].lower())
    if pair in asl._HANDLERS:
        return pair
    return service if service in asl._SERVICE_HANDLERS else None


P = "Parameters"
A = "Arguments"

ROWS: list[Row] = [
    # --- Lambda: a name, an alias, a partial ARN, a full ARN with a version; every form names the function
    Row("lambda name", f"{S}lambda:invoke", {"FunctionName": "enrich", "Payload.$": "$"},
        (invokes(function("enrich"), f"{P}.FunctionName"),)),
    Row("lambda name:alias", f"{S}lambda:invoke", {"FunctionName": "enrich:live"},
        (invokes(function("enrich"), f"{P}.FunctionName"),)),
    Row("lambda partial ARN", f"{S}lambda:invoke", {"FunctionName": f"{OTHER}:function:enrich"},
        (invokes(function("enrich", OTHER), f"{P}.FunctionName"),)),
    Row("lambda partial ARN with alias", f"{S}lambda:invoke", {"FunctionName": f"{OTHER}:function:enrich:live"},
        (invokes(function("enrich", OTHER), f"{P}.FunctionName"),)),
    Row("lambda full ARN with version", f"{S}lambda:invoke",
        {"FunctionName": f"arn:aws:lambda:us-east-1:{OTHER}:function:enrich:7"},
        (invokes(function("enrich", OTHER, "us-east-1"), f"{P}.FunctionName"),)),
    Row("lambda waitForTaskToken", f"{S}lambda:invoke.waitForTaskToken",
        {"FunctionName": "approve", "Payload": {"token.$": "$$.Task.Token"}},
        (invokes(function("approve"), f"{P}.FunctionName"),)),
    Row("lambda through aws-sdk", f"{SDK}lambda:invoke", {"FunctionName": "enrich"},
        (invokes(function("enrich"), f"{P}.FunctionName"),)),
    Row("lambda JSONata Arguments", f"{S}lambda:invoke",
        {"FunctionName": "enrich", "Payload": "{% $states.input %}"},
        (invokes(function("enrich"), f"{A}.FunctionName"),), jsonata=True),
    Row("lambda payload naming an S3 input", f"{S}lambda:invoke",
        {"FunctionName": "enrich", "Payload": {"input_path": "s3://raw/events/"}},
        (invokes(function("enrich"), f"{P}.FunctionName"), reads(s3("raw/events"), f"{P}.Payload.input_path"))),
    Row("lambda dynamic JSONPath", f"{S}lambda:invoke", {"FunctionName.$": "$.fn"},
        (invokes(dyn(f"{P}.FunctionName.$"), f"{P}.FunctionName.$"),),
        {f"{P}.FunctionName.$": ("lambda.function", "$.fn")}),
    Row("lambda dynamic JSONata", f"{S}lambda:invoke", {"FunctionName": "{% $states.input.fn %}"},
        (invokes(dyn(f"{A}.FunctionName"), f"{A}.FunctionName"),),
        {f"{A}.FunctionName": ("lambda.function", "{% $states.input.fn %}")}, jsonata=True),
    Row("lambda dynamic template", f"{S}lambda:invoke", {"FunctionName": "${EnrichArn}:$LATEST"},
        (invokes(dyn(f"{P}.FunctionName"), f"{P}.FunctionName"),),
        {f"{P}.FunctionName": ("lambda.function", "${EnrichArn}:$LATEST")}),
    Row("lambda JSONata constant", f"{S}lambda:invoke", {"FunctionName": "{% 'enrich' %}"},
        (invokes(function("enrich"), f"{A}.FunctionName"),), jsonata=True),
    Row("lambda JSONata Arguments wholly an expression", f"{S}lambda:invoke", "{% $states.input.request %}",
        (invokes(dyn(A), A),), {A: ("lambda.function", "{% $states.input.request %}")}, jsonata=True),

    # --- Glue: the job is invoked; the paths and tables in its Arguments are the job's own flows
    Row("glue job with arguments", f"{S}glue:startJobRun.sync",
        {"JobName": "curate", "Arguments": {"--source_path": "s3://raw/in/", "--target_path": "s3://cur/out/",
                                            "--target_database": "curated", "--target_table": "people",
                                            "--run_date.$": "$.date"}},
        (invokes(JOB, f"{P}.JobName"),
         (s3("raw/in"), "reads", JOB, (f"{P}.Arguments.--source_path",)),
         (JOB, "writes", s3("cur/out"), (f"{P}.Arguments.--target_path",)),
         (JOB, "writes", catalog_table("curated", "people"), (f"{P}.Arguments.--target_table",)))),
    Row("glue job reading a table", f"{S}glue:startJobRun",
        {"JobName": "curate", "Arguments": {"--source_database": "raw", "--source_table": "events"}},
        (invokes(JOB, f"{P}.JobName"),
         (catalog_table("raw", "events"), "reads", JOB, (f"{P}.Arguments.--source_table",)))),
    Row("glue job JSONata Arguments", f"{S}glue:startJobRun",
        {"JobName": "curate", "Arguments": {"--output_path": "s3://cur/out/", "--day": "{% $states.input.day %}"}},
        (invokes(JOB, f"{A}.JobName"), (JOB, "writes", s3("cur/out"), (f"{A}.Arguments.--output_path",))),
        jsonata=True),
    Row("glue job through aws-sdk", f"{SDK}glue:startJobRun", {"JobName": "curate"},
        (invokes(JOB, f"{P}.JobName"),)),
    Row("glue dynamic job keeps its literal paths with the machine", f"{S}glue:startJobRun.sync",
        {"JobName.$": "$.job", "Arguments": {"--output_path": "s3://cur/out/"}},
        (invokes(dyn(f"{P}.JobName.$"), f"{P}.JobName.$"), writes(s3("cur/out"), f"{P}.Arguments.--output_path")),
        {f"{P}.JobName.$": ("glue.job", "$.job")}),
    Row("glue dynamic job keeps its literal tables with the machine", f"{S}glue:startJobRun.sync",
        {"JobName.$": "$.job", "Arguments": {"--target_database": "curated", "--target_table": "people"}},
        (invokes(dyn(f"{P}.JobName.$"), f"{P}.JobName.$"),
         writes(catalog_table("curated", "people"), f"{P}.Arguments.--target_table")),
        {f"{P}.JobName.$": ("glue.job", "$.job")}),
    Row("glue crawler", f"{SDK}glue:startCrawler", {"Name": "crawl-raw"},
        (invokes(arns.glue_crawler_arn(REGION, ACCOUNT, "crawl-raw"), f"{P}.Name"),)),
    Row("glue crawler dynamic", f"{SDK}glue:startCrawler", {"Name.$": "$.crawler"},
        (invokes(dyn(f"{P}.Name.$"), f"{P}.Name.$"),), {f"{P}.Name.$": ("glue.crawler", "$.crawler")}),
    Row("glue workflow", f"{SDK}glue:startWorkflowRun", {"Name": "nightly"},
        (invokes(arns.glue_workflow_arn(REGION, ACCOUNT, "nightly"), f"{P}.Name"),)),
    Row("glue workflow dynamic", f"{SDK}glue:startWorkflowRun", {"Name.$": "$.workflow"},
        (invokes(dyn(f"{P}.Name.$"), f"{P}.Name.$"),), {f"{P}.Name.$": ("glue.workflow", "$.workflow")}),

    # --- SNS: a topic, a platform endpoint or SMS
    Row("sns topic", f"{S}sns:publish", {"TopicArn": TOPIC, "Message.$": "$"},
        (writes(TOPIC, f"{P}.TopicArn"),)),
    Row("sns topic waitForTaskToken", f"{S}sns:publish.waitForTaskToken",
        {"TopicArn": TOPIC, "Message": {"token.$": "$$.Task.Token"}}, (writes(TOPIC, f"{P}.TopicArn"),)),
    Row("sns through aws-sdk", f"{SDK}sns:publish", {"TopicArn": TOPIC, "Message": "m"},
        (writes(TOPIC, f"{P}.TopicArn"),)),
    Row("sns platform endpoint", f"{S}sns:publish",
        {"TargetArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/APNS/app/1234", "Message": "m"},
        (writes(f"arn:aws:sns:{REGION}:{ACCOUNT}:endpoint/APNS/app/1234", f"{P}.TargetArn"),)),
    Row("sns SMS", f"{S}sns:publish", {"PhoneNumber": "+15555550100", "Message": "m"},
        (writes("arn:aws:sns:::sms", f"{P}.PhoneNumber"),)),
    Row("sns topic that is not an ARN", f"{S}sns:publish", {"TopicArn": "alerts", "Message": "m"},
        warnings=("States.T.Parameters.TopicArn: 'alerts' does not name a sns.topic",)),
    Row("sns dynamic topic", f"{S}sns:publish", {"TopicArn.$": "$.topic", "Message": "m"},
        (writes(dyn(f"{P}.TopicArn.$"), f"{P}.TopicArn.$"),), {f"{P}.TopicArn.$": ("sns.topic", "$.topic")}),

    # --- EventBridge: no bus is the default bus; a named bus (name or ARN) is that bus and never the default
    Row("events default bus", f"{S}events:putEvents", {"Entries": [{"Source": "etl", "Detail": {}}]},
        (writes(bus("default"), f"{P}.Entries[0]"),)),
    Row("events named bus", f"{S}events:putEvents",
        {"Entries": [{"Source": "etl", "EventBusName": "orders", "Detail": {}}]},
        (writes(bus("orders"), f"{P}.Entries[0].EventBusName"),)),
    Row("events bus ARN in another account", f"{S}events:putEvents.waitForTaskToken",
        {"Entries": [{"Source": "etl", "EventBusName": f"arn:aws:events:{REGION}:{OTHER}:event-bus/central"},
                     {"Source": "etl"}]},
        (writes(f"arn:aws:events:{REGION}:{OTHER}:event-bus/central", f"{P}.Entries[0].EventBusName"),
         writes(bus("default"), f"{P}.Entries[1]"))),
    Row("eventbridge through aws-sdk", f"{SDK}eventbridge:putEvents",
        {"Entries": [{"Source": "etl", "EventBusName": "orders"}]},
        (writes(bus("orders"), f"{P}.Entries[0].EventBusName"),)),
    Row("eventbridge dynamic bus", f"{SDK}eventbridge:putEvents",
        {"Entries": [{"Source": "etl", "EventBusName.$": "$.bus"}]},
        (writes(dyn(f"{P}.Entries[0].EventBusName.$"), f"{P}.Entries[0].EventBusName.$"),),
        {f"{P}.Entries[0].EventBusName.$": ("events.bus", "$.bus")}),
    Row("events dynamic entries", f"{S}events:putEvents", {"Entries.$": "$.events"},
        (writes(dyn(f"{P}.Entries.$"), f"{P}.Entries.$"),), {f"{P}.Entries.$": ("events.bus", "$.events")}),

    # --- Athena: SELECT reads; CTAS and INSERT write their target and read their sources
    Row("athena select", f"{S}athena:startQueryExecution.sync",
        {"QueryString": "SELECT o.id, c.name FROM sales.orders o JOIN customers c ON o.cid = c.id",
         "QueryExecutionContext": {"Database": "Shop"}, "WorkGroup": "analytics",
         "ResultConfiguration": {"OutputLocation": "s3://results/athena/"}},
        (reads(catalog_table("sales", "orders"), f"{P}.QueryString"),
         reads(catalog_table("shop", "customers"), f"{P}.QueryString"),
         invokes(workgroup("analytics"), f"{P}.WorkGroup"),
         writes(s3("results/athena"), f"{P}.ResultConfiguration.OutputLocation"))),
    Row("athena create table as select", f"{S}athena:startQueryExecution.sync",
        {"QueryString": "CREATE TABLE curated.daily WITH (format = 'PARQUET') AS SELECT * FROM raw.events"},
        (writes(catalog_table("curated", "daily"), f"{P}.QueryString"),
         reads(catalog_table("raw", "events"), f"{P}.QueryString"),
         invokes(PRIMARY, P))),
    Row("athena insert into select", f"{SDK}athena:startQueryExecution",
        {"QueryString": "INSERT INTO curated.daily SELECT * FROM raw.events e JOIN lookup l ON e.k = l.k",
         "QueryExecutionContext": {"Database": "ref"}},
        (writes(catalog_table("curated", "daily"), f"{P}.QueryString"),
         reads(catalog_table("raw", "events"), f"{P}.QueryString"),
         reads(catalog_table("ref", "lookup"), f"{P}.QueryString"),
         invokes(PRIMARY, P))),
    Row("athena unload", f"{S}athena:startQueryExecution.sync",
        {"QueryString": "UNLOAD (SELECT * FROM raw.events) TO 's3://exports/events/' WITH (format = 'PARQUET')"},
        (reads(catalog_table("raw", "events"), f"{P}.QueryString"),
         writes(s3("exports/events"), f"{P}.QueryString"),
         invokes(PRIMARY, P))),
    Row("athena JSONata Arguments", f"{S}athena:startQueryExecution",
        {"QueryString": "SELECT * FROM raw.events", "WorkGroup": "analytics"},
        (reads(catalog_table("raw", "events"), f"{A}.QueryString"),
         invokes(workgroup("analytics"), f"{A}.WorkGroup")), jsonata=True),
    Row("athena dynamic query", f"{S}athena:startQueryExecution.sync", {"QueryString.$": "$.sql"},
        (reads(dyn(f"{P}.QueryString.$"), f"{P}.QueryString.$"), invokes(PRIMARY, P)),
        {f"{P}.QueryString.$": ("glue.table", "$.sql")}),
    Row("athena dynamic workgroup and output", f"{S}athena:startQueryExecution.sync",
        {"QueryString": "SELECT * FROM raw.events", "WorkGroup.$": "$.wg",
         "ResultConfiguration": {"OutputLocation.$": "$.out"}},
        (reads(catalog_table("raw", "events"), f"{P}.QueryString"),
         invokes(dyn(f"{P}.WorkGroup.$"), f"{P}.WorkGroup.$"),
         writes(dyn(f"{P}.ResultConfiguration.OutputLocation.$"), f"{P}.ResultConfiguration.OutputLocation.$")),
        {f"{P}.WorkGroup.$": ("athena.workgroup", "$.wg"),
         f"{P}.ResultConfiguration.OutputLocation.$": ("s3.location", "$.out")}),

    # --- Step Functions: a child machine is invoked, whichever way the parent waits for it
    Row("start execution", f"{S}states:startExecution", {"StateMachineArn": machine("child")},
        (invokes(machine("child"), f"{P}.StateMachineArn"),)),
    Row("start execution sync", f"{S}states:startExecution.sync", {"StateMachineArn": machine("child")},
        (invokes(machine("child"), f"{P}.StateMachineArn"),)),
    Row("start execution sync:2", f"{S}states:startExecution.sync:2",
        {"StateMachineArn": f"arn:aws:states:{REGION}:{OTHER}:stateMachine:shared"},
        (invokes(f"arn:aws:states:{REGION}:{OTHER}:stateMachine:shared", f"{P}.StateMachineArn"),)),
    Row("start execution waitForTaskToken by name", f"{S}states:startExecution.waitForTaskToken",
        {"StateMachineArn": "child", "Input": {"token.$": "$$.Task.Token"}},
        (invokes(machine("child"), f"{P}.StateMachineArn"),)),
    Row("start execution through aws-sdk", f"{SDK}sfn:startExecution", {"StateMachineArn": machine("child")},
        (invokes(machine("child"), f"{P}.StateMachineArn"),)),
    Row("start execution dynamic", f"{S}states:startExecution.sync:2", {"StateMachineArn.$": "$.child"},
        (invokes(dyn(f"{P}.StateMachineArn.$"), f"{P}.StateMachineArn.$"),),
        {f"{P}.StateMachineArn.$": ("states.state_machine", "$.child")}),
    Row("start execution dynamic through aws-sdk", f"{SDK}sfn:startExecution",
        {"StateMachineArn": "${ChildArn}"},
        (invokes(dyn(f"{P}.StateMachineArn"), f"{P}.StateMachineArn"),),
        {f"{P}.StateMachineArn": ("states.state_machine", "${ChildArn}")}),

    # --- ECS and Batch: the task definition run, the queue a job is submitted to
    Row("ecs run task sync", f"{S}ecs:runTask.sync", {"TaskDefinition": "report:4", "Cluster": "c"},
        (invokes(arns.build_arn("ecs", REGION, ACCOUNT, "task-definition/report:4"), f"{P}.TaskDefinition"),)),
    Row("ecs run task waitForTaskToken", f"{S}ecs:runTask.waitForTaskToken",
        {"TaskDefinition": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/report:4"},
        (invokes(f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/report:4", f"{P}.TaskDefinition"),)),
    Row("ecs through aws-sdk", f"{SDK}ecs:runTask", {"TaskDefinition": "report"},
        (invokes(arns.build_arn("ecs", REGION, ACCOUNT, "task-definition/report"), f"{P}.TaskDefinition"),)),
    Row("ecs environment naming its output", f"{S}ecs:runTask.sync",
        {"TaskDefinition": "report", "Overrides": {"ContainerOverrides": [
            {"Name": "app", "Environment": [{"Name": "OUTPUT_PATH", "Value": "s3://reports/daily/"}]}]}},
        (invokes(arns.build_arn("ecs", REGION, ACCOUNT, "task-definition/report"), f"{P}.TaskDefinition"),
         writes(s3("reports/daily"),
                f"{P}.Overrides.ContainerOverrides[0].Environment[0].Value"))),
    Row("ecs task definition written as a path without .$", f"{S}ecs:runTask.sync",
        {"TaskDefinition": "$.transform.task"},
        warnings=("States.T.Parameters.TaskDefinition",)),
    Row("ecs dynamic", f"{S}ecs:runTask.sync", {"TaskDefinition.$": "$.task"},
        (invokes(dyn(f"{P}.TaskDefinition.$"), f"{P}.TaskDefinition.$"),),
        {f"{P}.TaskDefinition.$": ("ecs.task_definition", "$.task")}),
    Row("batch queue by name", f"{S}batch:submitJob.sync",
        {"JobQueue": "nightly", "JobName": "j", "JobDefinition": "d"},
        (invokes(arns.build_arn("batch", REGION, ACCOUNT, "job-queue/nightly"), f"{P}.JobQueue"),)),
    Row("batch queue by ARN", f"{SDK}batch:submitJob",
        {"JobQueue": f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/nightly", "JobName": "j", "JobDefinition": "d"},
        (invokes(f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/nightly", f"{P}.JobQueue"),)),
    Row("batch dynamic", f"{S}batch:submitJob", {"JobQueue.$": "$.queue", "JobName": "j", "JobDefinition": "d"},
        (invokes(dyn(f"{P}.JobQueue.$"), f"{P}.JobQueue.$"),), {f"{P}.JobQueue.$": ("batch.job_queue", "$.queue")}),

    # --- Bedrock: the model is invoked; S3 input is read and S3 output written
    Row("bedrock model with S3 input and output", f"{S}bedrock:invokeModel",
        {"ModelId": "amazon.titan-text-express-v1", "Input": {"S3Uri": "s3://prompts/batch/in.json"},
         "Output": {"S3Uri": "s3://answers/batch/"}},
        (invokes(arns.build_arn("bedrock", REGION, "", "foundation-model/amazon.titan-text-express-v1"),
                 f"{P}.ModelId"),
         reads(s3("prompts/batch/in.json"), f"{P}.Input.S3Uri"),
         writes(s3("answers/batch"), f"{P}.Output.S3Uri"))),
    Row("bedrock model ARN", f"{S}bedrock:invokeModel",
        {"ModelId": f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/abc", "Body": {}},
        (invokes(f"arn:aws:bedrock:{REGION}:{ACCOUNT}:provisioned-model/abc", f"{P}.ModelId"),)),
    Row("bedrock runtime through aws-sdk", f"{SDK}bedrockruntime:invokeModel",
        {"ModelId": "anthropic.claude-v2", "Body": "{}"},
        (invokes(arns.build_arn("bedrock", REGION, "", "foundation-model/anthropic.claude-v2"), f"{P}.ModelId"),)),
    Row("bedrock dynamic model and input", f"{S}bedrock:invokeModel",
        {"ModelId.$": "$.model", "Input": {"S3Uri.$": "$.prompts"}},
        (invokes(dyn(f"{P}.ModelId.$"), f"{P}.ModelId.$"), reads(dyn(f"{P}.Input.S3Uri.$"), f"{P}.Input.S3Uri.$")),
        {f"{P}.ModelId.$": ("bedrock.model", "$.model"), f"{P}.Input.S3Uri.$": ("s3.location", "$.prompts")}),
    Row("bedrock model with a guardrail", f"{S}bedrock:invokeModel",
        {"ModelId": "anthropic.claude-v2", "Body": {}, "GuardrailIdentifier": "gr0abc", "GuardrailVersion": "2"},
        (invokes(arns.build_arn("bedrock", REGION, "", "foundation-model/anthropic.claude-v2"), f"{P}.ModelId",
                 f"{P}.GuardrailIdentifier"),)),
    Row("bedrock model with a guardrail known at run time", f"{S}bedrock:invokeModel",
        {"ModelId": "anthropic.claude-v2", "GuardrailIdentifier.$": "$.guardrail", "GuardrailVersion": "DRAFT"},
        (invokes(arns.build_arn("bedrock", REGION, "", "foundation-model/anthropic.claude-v2"), f"{P}.ModelId",
                 f"{P}.GuardrailIdentifier.$"),)),
    Row("bedrock runtime dynamic", f"{SDK}bedrockruntime:invokeModel", {"ModelId": "{% $model %}"},
        (invokes(dyn(f"{A}.ModelId"), f"{A}.ModelId"),), {f"{A}.ModelId": ("bedrock.model", "{% $model %}")},
        jsonata=True),

    # --- EMR: the cluster runs the step, and what the step's arguments name are the cluster's flows; the
    # spark-submit application (a script) and the step's Jar are code, not data
    Row("emr add step", f"{S}elasticmapreduce:addStep.sync",
        {"ClusterId": "j-2AXXXXXXGAPLF", "Step": {"Name": "recs", "ActionOnFailure": "CONTINUE", "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": ["spark-submit", "--deploy-mode", "cluster", "--py-files", "s3://code/libs.zip",
                     "s3://code/recs.py", "--input", "s3://cur/enrollments/", "--output=s3://cur/recs/",
                     "--target_database", "curated", "--target_table", "recs", "s3://cur/extra/"]}}},
        (invokes(EMR_CLUSTER, f"{P}.ClusterId"),
         (s3("cur/enrollments"), "reads", EMR_CLUSTER, (f"{P}.Step.HadoopJarStep.Args[7]",)),
         (EMR_CLUSTER, "writes", s3("cur/recs"), (f"{P}.Step.HadoopJarStep.Args[8]",)),
         (EMR_CLUSTER, "writes", catalog_table("curated", "recs"), (f"{P}.Step.HadoopJarStep.Args[12]",)),
         (s3("cur/extra"), "reads", EMR_CLUSTER, (f"{P}.Step.HadoopJarStep.Args[13]",)))),
    Row("emr add step with a jar of its own", f"{S}elasticmapreduce:addStep",
        {"ClusterId": f"arn:aws:elasticmapreduce:{REGION}:{OTHER}:cluster/j-1", "Step": {"HadoopJarStep": {
            "Jar": "s3://code/etl.jar", "Args": ["-input", "s3://raw/in/", "-output", "s3://cur/out/"]}}},
        (invokes(f"arn:aws:elasticmapreduce:{REGION}:{OTHER}:cluster/j-1", f"{P}.ClusterId"),
         (s3("raw/in"), "reads", f"arn:aws:elasticmapreduce:{REGION}:{OTHER}:cluster/j-1",
          (f"{P}.Step.HadoopJarStep.Args[1]",)),
         (f"arn:aws:elasticmapreduce:{REGION}:{OTHER}:cluster/j-1", "writes", s3("cur/out"),
          (f"{P}.Step.HadoopJarStep.Args[3]",)))),
    Row("emr add step to a cluster known at run time", f"{S}elasticmapreduce:addStep.sync",
        {"ClusterId.$": "$.cluster.ClusterId", "Step": {"Name": "s", "HadoopJarStep": {
            "Jar": "command-runner.jar", "Args": ["spark-submit", "s3://code/job.py", "--output", "s3://cur/out/",
                                                  "--day", "${Day}"]}}},
        (invokes(dyn(f"{P}.ClusterId.$"), f"{P}.ClusterId.$"),
         writes(s3("cur/out"), f"{P}.Step.HadoopJarStep.Args[3]")),
        {f"{P}.ClusterId.$": ("emr.cluster", "$.cluster.ClusterId")}),
    Row("emr add job flow steps through aws-sdk", f"{SDK}emr:addJobFlowSteps",
        {"JobFlowId": "j-2AXXXXXXGAPLF", "Steps": [{"Name": "a", "HadoopJarStep": {
            "Jar": "command-runner.jar", "Args": ["spark-submit", "s3://code/a.py", "--source", "s3://raw/a/"]}}]},
        (invokes(EMR_CLUSTER, f"{P}.JobFlowId"),
         (s3("raw/a"), "reads", EMR_CLUSTER, (f"{P}.Steps[0].HadoopJarStep.Args[3]",)))),
    Row("emr add job flow steps dynamic", f"{SDK}emr:addJobFlowSteps",
        {"JobFlowId.$": "$.cluster", "Steps.$": "$.steps"},
        (invokes(dyn(f"{P}.JobFlowId.$"), f"{P}.JobFlowId.$"),), {f"{P}.JobFlowId.$": ("emr.cluster", "$.cluster")}),

    # --- EMR Serverless: the application runs the job; its entry point arguments are its flows, and its logs
    Row("emr serverless job run", f"{S}emr-serverless:startJobRun.sync",
        {"ApplicationId": "00f1abcdexample", "ExecutionRoleArn": "arn:aws:iam::111122223333:role/job",
         "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://code/recs.py",
                                       "EntryPointArguments": ["--input", "s3://cur/enrollments/", "--output",
                                                               "s3://cur/recs/"],
                                       "SparkSubmitParameters": "--conf spark.executor.cores=2 --py-files s3://code/l.zip"}},
         "ConfigurationOverrides": {"MonitoringConfiguration": {"S3MonitoringConfiguration": {
             "LogUri": "s3://logs/emr-serverless/"}}}},
        (invokes(EMR_APPLICATION, f"{P}.ApplicationId"),
         (s3("cur/enrollments"), "reads", EMR_APPLICATION, (f"{P}.JobDriver.SparkSubmit.EntryPointArguments[1]",)),
         (EMR_APPLICATION, "writes", s3("cur/recs"), (f"{P}.JobDriver.SparkSubmit.EntryPointArguments[3]",)),
         (EMR_APPLICATION, "writes", s3("logs/emr-serverless"),
          (f"{P}.ConfigurationOverrides.MonitoringConfiguration.S3MonitoringConfiguration.LogUri",)))),
    Row("emr serverless through aws-sdk", f"{SDK}emrserverless:startJobRun",
        {"ApplicationId": "00f1abcdexample", "JobDriver": {"SparkSubmit": {"EntryPoint": "s3://code/a.py"}}},
        (invokes(EMR_APPLICATION, f"{P}.ApplicationId"),)),
    Row("emr serverless application known at run time", f"{S}emr-serverless:startJobRun.sync",
        {"ApplicationId.$": "$.ApplicationId", "ExecutionRoleArn": "${JobRole}",
         "JobDriver": {"SparkSubmit": {"EntryPoint": "/usr/lib/spark/examples/jars/spark-examples.jar",
                                       "EntryPointArguments": ["s3://raw/in/"]}}},
        (invokes(dyn(f"{P}.ApplicationId.$"), f"{P}.ApplicationId.$"),
         reads(s3("raw/in"), f"{P}.JobDriver.SparkSubmit.EntryPointArguments[0]")),
        {f"{P}.ApplicationId.$": ("emr_serverless.application", "$.ApplicationId")}),
    Row("emr serverless dynamic through aws-sdk", f"{SDK}emrserverless:startJobRun",
        {"ApplicationId": "{% $app %}"},
        (invokes(dyn(f"{A}.ApplicationId"), f"{A}.ApplicationId"),),
        {f"{A}.ApplicationId": ("emr_serverless.application", "{% $app %}")}, jsonata=True),

    # --- SageMaker: the job is started; a named job reads its inputs and writes its outputs, a job named only at
    # run time (one per execution, the usual case) leaves them to the machine
    Row("sagemaker training job named", f"{S}sagemaker:createTrainingJob.sync",
        {"TrainingJobName": "Recs-Train", "RoleArn": "arn:aws:iam::111122223333:role/sm",
         "InputDataConfig": [{"ChannelName": "train", "DataSource": {"S3DataSource": {
             "S3DataType": "S3Prefix", "S3Uri": "s3://cur/train/"}}}],
         "OutputDataConfig": {"S3OutputPath": "s3://models/recs/"}},
        (invokes(TRAINING, f"{P}.TrainingJobName"),
         (s3("cur/train"), "reads", TRAINING, (f"{P}.InputDataConfig[0].DataSource.S3DataSource.S3Uri",)),
         (TRAINING, "writes", s3("models/recs"), (f"{P}.OutputDataConfig.S3OutputPath",)))),
    Row("sagemaker training job named at run time", f"{S}sagemaker:createTrainingJob.sync",
        {"TrainingJobName.$": "$$.Execution.Name",
         "InputDataConfig": [{"DataSource": {"S3DataSource": {"S3Uri": "s3://${Bucket}/csv/train.csv"}}}],
         "OutputDataConfig": {"S3OutputPath": "s3://models/recs/"}},
        (invokes(dyn(f"{P}.TrainingJobName.$"), f"{P}.TrainingJobName.$"),
         reads(dyn(f"{P}.InputDataConfig[0].DataSource.S3DataSource.S3Uri"),
               f"{P}.InputDataConfig[0].DataSource.S3DataSource.S3Uri"),
         writes(s3("models/recs"), f"{P}.OutputDataConfig.S3OutputPath")),
        {f"{P}.TrainingJobName.$": ("sagemaker.training_job", "$$.Execution.Name"),
         f"{P}.InputDataConfig[0].DataSource.S3DataSource.S3Uri": ("s3.location", "s3://${Bucket}/csv/train.csv")}),
    Row("sagemaker processing job", f"{SDK}sagemaker:createProcessingJob",
        {"ProcessingJobName": "features",
         "ProcessingInputs": [{"InputName": "raw", "S3Input": {"S3Uri": "s3://raw/events/", "LocalPath": "/in"}}],
         "ProcessingOutputConfig": {"Outputs": [{"OutputName": "f", "S3Output": {"S3Uri": "s3://cur/features/",
                                                                                 "LocalPath": "/out"}}]}},
        (invokes(PROCESSING, f"{P}.ProcessingJobName"),
         (s3("raw/events"), "reads", PROCESSING, (f"{P}.ProcessingInputs[0].S3Input.S3Uri",)),
         (PROCESSING, "writes", s3("cur/features"), (f"{P}.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri",)))),
    Row("sagemaker processing job dynamic", f"{S}sagemaker:createProcessingJob.sync",
        {"ProcessingJobName.$": "$.name", "ProcessingOutputConfig": {"Outputs.$": "$.outputs"}},
        (invokes(dyn(f"{P}.ProcessingJobName.$"), f"{P}.ProcessingJobName.$"),
         writes(dyn(f"{P}.ProcessingOutputConfig.Outputs.$"), f"{P}.ProcessingOutputConfig.Outputs.$")),
        {f"{P}.ProcessingJobName.$": ("sagemaker.processing_job", "$.name"),
         f"{P}.ProcessingOutputConfig.Outputs.$": ("s3.location", "$.outputs")}),
    Row("sagemaker transform job", f"{S}sagemaker:createTransformJob.sync",
        {"TransformJobName": "score", "ModelName": "Recs",
         "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://cur/test/"}}},
         "TransformOutput": {"S3OutputPath": "s3://cur/scores/"}},
        (invokes(TRANSFORM, f"{P}.TransformJobName"),
         (MODEL, "reads", TRANSFORM, (f"{P}.ModelName",)),
         (s3("cur/test"), "reads", TRANSFORM, (f"{P}.TransformInput.DataSource.S3DataSource.S3Uri",)),
         (TRANSFORM, "writes", s3("cur/scores"), (f"{P}.TransformOutput.S3OutputPath",)))),
    Row("sagemaker transform job named at run time", f"{S}sagemaker:createTransformJob.sync",
        {"TransformJobName.$": "$$.Execution.Name", "ModelName": "recs",
         "TransformOutput": {"S3OutputPath": "s3://cur/scores/"}},
        (invokes(dyn(f"{P}.TransformJobName.$"), f"{P}.TransformJobName.$"), reads(MODEL, f"{P}.ModelName"),
         writes(s3("cur/scores"), f"{P}.TransformOutput.S3OutputPath")),
        {f"{P}.TransformJobName.$": ("sagemaker.transform_job", "$$.Execution.Name")}),

    # --- HTTP endpoints and API Gateway
    Row("http POST", f"{S}http:invoke",
        {"ApiEndpoint": "https://api.example.com/orders", "Method": "POST",
         "Authentication": {"ConnectionArn": f"arn:aws:events:{REGION}:{ACCOUNT}:connection/c/1"}},
        (writes("https://api.example.com/orders", f"{P}.ApiEndpoint"),)),
    Row("http GET", f"{S}http:invoke", {"ApiEndpoint": "https://api.example.com/orders", "Method": "GET"},
        (reads("https://api.example.com/orders", f"{P}.ApiEndpoint"),)),
    Row("http dynamic", f"{S}http:invoke", {"ApiEndpoint.$": "$.url", "Method": "POST"},
        (writes(dyn(f"{P}.ApiEndpoint.$"), f"{P}.ApiEndpoint.$"),), {f"{P}.ApiEndpoint.$": ("external", "$.url")}),
    Row("api gateway", f"{S}apigateway:invoke",
        {"ApiEndpoint": "abc123.execute-api.eu-west-1.amazonaws.com", "Method": "GET", "Stage": "prod"},
        (invokes(f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123", f"{P}.ApiEndpoint"),)),
    Row("api gateway with its route: the route is reached too", f"{S}apigateway:invoke",
        {"ApiEndpoint": "abc123.execute-api.eu-west-1.amazonaws.com", "Method": "POST", "Stage": "prod",
         "Path": "/enrollments"},
        (invokes(f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123", f"{P}.ApiEndpoint"),
         invokes(f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123/*/POST/enrollments", f"{P}.Path"))),
    Row("api gateway with a path chosen at run time: the API only", f"{S}apigateway:invoke",
        {"ApiEndpoint": "abc123.execute-api.eu-west-1.amazonaws.com", "Method": "GET", "Path.$": "$.path"},
        (invokes(f"arn:aws:execute-api:eu-west-1:{ACCOUNT}:abc123", f"{P}.ApiEndpoint"),)),
    Row("api gateway in another region, written with a scheme", f"{S}apigateway:invoke",
        {"ApiEndpoint": "https://abc123.execute-api.us-east-2.amazonaws.com/prod", "Method": "POST"},
        (invokes(f"arn:aws:execute-api:us-east-2:{ACCOUNT}:abc123", f"{P}.ApiEndpoint"),)),
    Row("api gateway custom domain stays the endpoint", f"{S}apigateway:invoke",
        {"ApiEndpoint": "api.example.com", "Method": "GET"},
        (invokes("https://api.example.com", f"{P}.ApiEndpoint"),)),
    Row("api gateway dynamic", f"{S}apigateway:invoke.waitForTaskToken",
        {"ApiEndpoint.$": "$.api", "Method": "POST"},
        (invokes(dyn(f"{P}.ApiEndpoint.$"), f"{P}.ApiEndpoint.$"),),
        {f"{P}.ApiEndpoint.$": ("apigateway.api", "$.api")}),

    # --- Streams: Kinesis and Firehose puts write the stream
    Row("kinesis put record", f"{SDK}kinesis:putRecord", {"StreamName": "clicks", "Data": "x", "PartitionKey": "p"},
        (writes(arns.build_arn("kinesis", REGION, ACCOUNT, "stream/clicks"), f"{P}.StreamName"),)),
    Row("kinesis put records by ARN", f"{SDK}kinesis:putRecords",
        {"StreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks", "Records": []},
        (writes(f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/clicks", f"{P}.StreamARN"),)),
    Row("kinesis dynamic", f"{SDK}kinesis:putRecord", {"StreamName.$": "$.stream", "Data": "x", "PartitionKey": "p"},
        (writes(dyn(f"{P}.StreamName.$"), f"{P}.StreamName.$"),),
        {f"{P}.StreamName.$": ("kinesis.stream", "$.stream")}),
    Row("kinesis put records dynamic", f"{SDK}kinesis:putRecords", {"StreamARN.$": "$.stream", "Records": []},
        (writes(dyn(f"{P}.StreamARN.$"), f"{P}.StreamARN.$"),), {f"{P}.StreamARN.$": ("kinesis.stream", "$.stream")}),
    Row("firehose put record", f"{SDK}firehose:putRecord", {"DeliveryStreamName": "to-lake", "Record": {}},
        (writes(arns.build_arn("firehose", REGION, ACCOUNT, "deliverystream/to-lake"), f"{P}.DeliveryStreamName"),)),
    Row("firehose put record batch", f"{SDK}firehose:putRecordBatch", {"DeliveryStreamName": "to-lake", "Records": []},
        (writes(arns.build_arn("firehose", REGION, ACCOUNT, "deliverystream/to-lake"), f"{P}.DeliveryStreamName"),)),
    Row("firehose dynamic", f"{SDK}firehose:putRecord", {"DeliveryStreamName.$": "$.stream", "Record": {}},
        (writes(dyn(f"{P}.DeliveryStreamName.$"), f"{P}.DeliveryStreamName.$"),),
        {f"{P}.DeliveryStreamName.$": ("firehose.delivery_stream", "$.stream")}),
    Row("firehose put record batch dynamic", f"{SDK}firehose:putRecordBatch",
        {"DeliveryStreamName": "{% $stream %}", "Records": []},
        (writes(dyn(f"{A}.DeliveryStreamName"), f"{A}.DeliveryStreamName"),),
        {f"{A}.DeliveryStreamName": ("firehose.delivery_stream", "{% $stream %}")}, jsonata=True),

    # --- DynamoDB: get, query and scan read; put, update and delete write
    Row("dynamodb get", f"{S}dynamodb:getItem", {"TableName": "users", "Key": {}},
        (reads(table("users"), f"{P}.TableName"),)),
    Row("dynamodb query", f"{SDK}dynamodb:query", {"TableName": "users", "KeyConditionExpression": "id = :id"},
        (reads(table("users"), f"{P}.TableName"),)),
    Row("dynamodb scan", f"{SDK}dynamodb:scan", {"TableName": "users", "Limit": 50},
        (reads(table("users"), f"{P}.TableName"),)),
    Row("dynamodb batch get", f"{SDK}dynamodb:batchGetItem", {"RequestItems": {"users": {"Keys": []}}},
        (reads(table("users"), f"{P}.RequestItems.users"),)),
    Row("dynamodb put", f"{S}dynamodb:putItem", {"TableName": "users", "Item": {}},
        (writes(table("users"), f"{P}.TableName"),)),
    Row("dynamodb put waitForTaskToken", f"{SDK}dynamodb:putItem.waitForTaskToken",
        {"TableName": "tokens", "Item": {"token": {"S.$": "$$.Task.Token"}}},
        (writes(table("tokens"), f"{P}.TableName"),)),
    Row("dynamodb update by table ARN", f"{S}dynamodb:updateItem",
        {"TableName": f"arn:aws:dynamodb:{REGION}:{OTHER}:table/users", "Key": {}},
        (writes(f"arn:aws:dynamodb:{REGION}:{OTHER}:table/users", f"{P}.TableName"),)),
    Row("dynamodb delete", f"{S}dynamodb:deleteItem", {"TableName": "users", "Key": {}},
        (writes(table("users"), f"{P}.TableName"),)),
    Row("dynamodb batch write", f"{SDK}dynamodb:batchWriteItem",
        {"RequestItems": {"users": [{"PutRequest": {"Item": {}}}], "audit": [{"DeleteRequest": {"Key": {}}}]}},
        (writes(table("users"), f"{P}.RequestItems.users"), writes(table("audit"), f"{P}.RequestItems.audit"))),
    Row("dynamodb JSONata Arguments", f"{S}dynamodb:putItem", {"TableName": "users", "Item": "{% $item %}"},
        (writes(table("users"), f"{A}.TableName"),), jsonata=True),
    Row("dynamodb transact write", f"{SDK}dynamodb:transactWriteItems",
        {"TransactItems": [{"Put": {"TableName": "orders", "Item": {}}},
                           {"Update": {"TableName": "stock", "Key": {}, "UpdateExpression": "SET n = n - 1"}},
                           {"ConditionCheck": {"TableName": "customers", "Key": {},
                                               "ConditionExpression": "attribute_exists(id)"}}]},
        (writes(table("orders"), f"{P}.TransactItems[0].Put.TableName"),
         writes(table("stock"), f"{P}.TransactItems[1].Update.TableName"),
         reads(table("customers"), f"{P}.TransactItems[2].ConditionCheck.TableName"))),
    Row("dynamodb dynamic table", f"{S}dynamodb:getItem", {"TableName.$": "$.table", "Key": {}},
        (reads(dyn(f"{P}.TableName.$"), f"{P}.TableName.$"),), {f"{P}.TableName.$": ("dynamodb.table", "$.table")}),
    Row("dynamodb dynamic batch", f"{SDK}dynamodb:batchWriteItem", {"RequestItems.$": "$.RequestItems"},
        (writes(dyn(f"{P}.RequestItems.$"), f"{P}.RequestItems.$"),),
        {f"{P}.RequestItems.$": ("dynamodb.table", "$.RequestItems")}),

    # --- SQS: a receive reads the queue (data flows queue -> machine); a send writes it
    Row("sqs send", f"{S}sqs:sendMessage", {"QueueUrl": queue_url("jobs"), "MessageBody.$": "$"},
        (writes(queue("jobs"), f"{P}.QueueUrl"),)),
    Row("sqs send waitForTaskToken", f"{S}sqs:sendMessage.waitForTaskToken",
        {"QueueUrl": queue_url("approvals"), "MessageBody": {"token.$": "$$.Task.Token"}},
        (writes(queue("approvals"), f"{P}.QueueUrl"),)),
    Row("sqs send batch through aws-sdk", f"{SDK}sqs:sendMessageBatch", {"QueueUrl": queue_url("jobs"), "Entries": []},
        (writes(queue("jobs"), f"{P}.QueueUrl"),)),
    Row("sqs receive", f"{SDK}sqs:receiveMessage", {"QueueUrl": queue_url("jobs"), "MaxNumberOfMessages": 10},
        (reads(queue("jobs"), f"{P}.QueueUrl"),)),
    Row("sqs queue URL of another account", f"{S}sqs:sendMessage",
        {"QueueUrl": f"https://sqs.us-east-1.amazonaws.com/{OTHER}/shared", "MessageBody": "m"},
        (writes(arns.sqs_queue_arn("us-east-1", OTHER, "shared"), f"{P}.QueueUrl"),)),
    Row("sqs dynamic queue", f"{SDK}sqs:receiveMessage", {"QueueUrl.$": "$.queue"},
        (reads(dyn(f"{P}.QueueUrl.$"), f"{P}.QueueUrl.$"),), {f"{P}.QueueUrl.$": ("sqs.queue", "$.queue")}),

    # --- S3: getObject reads; putObject and copyObject write (copyObject also reads its CopySource)
    Row("s3 get object", f"{SDK}s3:getObject", {"Bucket": "raw", "Key": "events/2024/a.json"},
        (reads(s3("raw/events/2024"), f"{P}.Bucket"),)),
    Row("s3 put object", f"{SDK}s3:putObject", {"Bucket": "out", "Key": "reports/r.json", "Body.$": "$"},
        (writes(s3("out/reports"), f"{P}.Bucket"),)),
    Row("s3 put object at the bucket root", f"{SDK}s3:putObject", {"Bucket": "out", "Key": "r.json", "Body": "b"},
        (writes(s3("out"), f"{P}.Bucket"),)),
    Row("s3 copy object", f"{SDK}s3:copyObject",
        {"Bucket": "curated", "Key": "events/a.json", "CopySource": "raw/events/2024/a.json"},
        (reads(s3("raw/events/2024"), f"{P}.CopySource"), writes(s3("curated/events"), f"{P}.Bucket"))),
    Row("s3 list objects", f"{SDK}s3:listObjectsV2", {"Bucket": "raw", "Prefix": "events/"},
        (reads(s3("raw/events"), f"{P}.Bucket"),)),
    Row("s3 JSONata Arguments", f"{SDK}s3:getObject", {"Bucket": "raw", "Key": "events/a.json"},
        (reads(s3("raw/events"), f"{A}.Bucket"),), jsonata=True),
    Row("s3 literal bucket with a dynamic key", f"{SDK}s3:putObject", {"Bucket": "out", "Key.$": "$.key", "Body": "b"},
        (writes(s3("out"), f"{P}.Bucket"),)),
    Row("s3 dynamic bucket", f"{SDK}s3:getObject", {"Bucket.$": "$.bucket", "Key.$": "$.key"},
        (reads(dyn(f"{P}.Bucket.$"), f"{P}.Bucket.$"),), {f"{P}.Bucket.$": ("s3.location", "$.bucket")}),
    Row("s3 copy from a dynamic source", f"{SDK}s3:copyObject",
        {"Bucket": "curated", "Key": "events/a.json", "CopySource.$": "$.source"},
        (reads(dyn(f"{P}.CopySource.$"), f"{P}.CopySource.$"), writes(s3("curated/events"), f"{P}.Bucket")),
        {f"{P}.CopySource.$": ("s3.location", "$.source")}),

    # --- Distributed Map: ItemReader reads, ResultWriter writes
    Row("item reader CSV object", f"{S}s3:getObject", {"Bucket": "inputs", "Key": "lists/items.csv"},
        (reads(s3("inputs/lists"), f"ItemReader.{P}.Bucket"),), block="ItemReader"),
    Row("item reader listing a prefix", f"{S}s3:listObjectsV2", {"Bucket": "inputs", "Prefix": "daily/"},
        (reads(s3("inputs/daily"), f"ItemReader.{P}.Bucket"),), block="ItemReader"),
    Row("item reader JSONata Arguments", f"{S}s3:listObjectsV2", {"Bucket": "inputs", "Prefix": "daily/"},
        (reads(s3("inputs/daily"), f"ItemReader.{A}.Bucket"),), block="ItemReader", jsonata=True),
    Row("item reader dynamic", f"{S}s3:getObject", {"Bucket.$": "$.bucket", "Key.$": "$.key"},
        (reads(dyn(f"ItemReader.{P}.Bucket.$"), f"ItemReader.{P}.Bucket.$"),),
        {f"ItemReader.{P}.Bucket.$": ("s3.location", "$.bucket")}, block="ItemReader"),
    Row("result writer", f"{S}s3:putObject", {"Bucket": "outputs", "Prefix": "runs"},
        (writes(s3("outputs/runs"), f"ResultWriter.{P}.Bucket"),), block="ResultWriter"),
    Row("result writer dynamic", f"{S}s3:putObject", {"Bucket": "${ResultsBucket}", "Prefix": "runs"},
        (writes(dyn(f"ResultWriter.{P}.Bucket"), f"ResultWriter.{P}.Bucket"),),
        {f"ResultWriter.{P}.Bucket": ("s3.location", "${ResultsBucket}")}, block="ResultWriter"),

    # --- Calls that read or steer configuration: listed, never drawn as flows
    Row("glue get job", f"{SDK}glue:getJob", {"JobName": "curate"}, control=("aws-sdk:glue:getJob",)),
    Row("athena get query results", f"{S}athena:getQueryResults", {"QueryExecutionId.$": "$.id"},
        control=("athena:getQueryResults",)),
    Row("sfn describe execution", f"{SDK}sfn:describeExecution", {"ExecutionArn.$": "$.arn"},
        control=("aws-sdk:sfn:describeExecution",)),
    Row("s3 get bucket policy", f"{SDK}s3:getBucketPolicy", {"Bucket": "raw"},
        control=("aws-sdk:s3:getBucketPolicy",)),
    Row("dynamodb describe table", f"{SDK}dynamodb:describeTable", {"TableName": "users"},
        control=("aws-sdk:dynamodb:describeTable",)),
    Row("sqs get queue attributes", f"{SDK}sqs:getQueueAttributes", {"QueueUrl": queue_url("jobs")},
        control=("aws-sdk:sqs:getQueueAttributes",)),

    # --- Resources that are not `arn:aws:states:::` integrations
    Row("lambda ARN as the resource", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:legacy:prod", None,
        (invokes(function("legacy"), "Resource"),)),
    Row("activity", f"arn:aws:states:{REGION}:{ACCOUNT}:activity:review", None,
        (invokes(f"arn:aws:states:{REGION}:{ACCOUNT}:activity:review", "Resource"),)),
    Row("resource from a template", "${ProcessFunctionArn}", None,
        (invokes(dyn("Resource"), "Resource"),), {"Resource": ("external", "${ProcessFunctionArn}")}),
    Row("an integration without a handler invokes the service", f"{SDK}translate:translateText",
        {"Text.$": "$.text", "SourceLanguageCode": "auto", "TargetLanguageCode": "fr"},
        (invokes(arns.build_arn("translate", REGION, ACCOUNT, "service"), "Resource"),)),
]


def _params(rows: Iterable[Row], dynamic: bool = False) -> list[Any]:
    params = []
    for row in rows:
        wrong = row.wrong_dynamic if dynamic else row.wrong
        params.append(pytest.param(row, id=row.id, marks=[pytest.mark.xfail(strict=True, reason=wrong)] if wrong
                                   else []))
    return params


def _flows(result: asl.AslResult) -> dict[tuple[str, str, str], set[str]]:
    return {(e.source, e.kind.value, e.target): {ev.path for ev in e.evidence} for e in result.facts.edges}


@pytest.mark.parametrize("row", _params(ROWS))
def test_one_task_means_exactly_these_flows_named_by_these_arguments(row: Row) -> None:
    result = parse_definition(json.dumps(row.definition()), MACHINE)
    expected = {(source, kind, target): {f"{TASK}.{path}" for path in paths}
                for source, kind, target, paths in row.flows}
    assert _flows(result) == expected
    assert result.control_calls == list(row.control)
    assert len(result.warnings) == len(row.warnings), result.warnings
    for fragment in row.warnings:
        assert any(fragment in warning for warning in result.warnings), (fragment, result.warnings)
    # every node is a place one of these flows reaches: nothing is guessed beside them
    ends = {end for source, _, target in expected for end in (source, target)} - {M}
    assert {node.id for node in result.facts.nodes} == ends


@pytest.mark.parametrize("row", _params((row for row in ROWS if row.dynamic), dynamic=True))
def test_a_dynamic_argument_is_a_dynamic_node_holding_its_expression(row: Row) -> None:
    result = parse_definition(json.dumps(row.definition()), MACHINE)
    found = {node.id: node for node in result.facts.nodes if arns.is_dynamic(node.id)}
    assert set(found) == {dyn(path) for path in row.dynamic}
    for path, (kind, expression) in row.dynamic.items():
        node = found[dyn(path)]
        assert (node.kind, node.observed) == (kind, False)
        assert node.attributes == {"dynamic": True, "expression": expression}
        [edge] = [e for e in result.facts.edges if node.id in (e.source, e.target)]
        assert [(ev.path, ev.excerpt, ev.dynamic) for ev in edge.evidence] == [(f"{TASK}.{path}", expression, True)]


def test_every_handler_has_a_literal_row_and_a_dynamic_row() -> None:
    handlers: set[object] = {*asl._HANDLERS, *asl._SERVICE_HANDLERS, "ItemReader", "ResultWriter"}
    literal = {handler_key(row) for row in ROWS if not row.dynamic and row.flows}
    dynamic = {handler_key(row) for row in ROWS if row.dynamic}
    assert handlers - literal == set(), "handlers without a row of literal values"
    assert handlers - dynamic == set(), "handlers without a row of dynamic values"


def test_row_names_are_unique() -> None:
    names = [row.id for row in ROWS]
    assert len(names) == len(set(names))


def test_a_guardrail_is_said_on_the_invocation_of_a_model_known_only_at_run_time() -> None:
    task = {"Type": "Task", "Resource": f"{S}bedrock:invokeModel", "End": True,
            "Parameters": {"ModelId.$": "$.model", "GuardrailIdentifier": "gr0abc", "GuardrailVersion": "1"}}
    result = parse_definition(json.dumps({"StartAt": "T", "States": {"T": task}}), MACHINE)
    [edge] = result.facts.edges
    assert (edge.source, edge.target) == (M, dyn(f"{P}.ModelId.$"))
    assert [(ev.path, ev.excerpt) for ev in edge.evidence] == [(f"{TASK}.{P}.ModelId.$", "$.model"),
                                                                (f"{TASK}.{P}.GuardrailIdentifier", "gr0abc version 1")]


def test_arguments_written_as_one_expression_name_no_guardrail() -> None:
    task = {"Type": "Task", "Resource": f"{S}bedrock:invokeModel", "End": True, "Arguments": "{% $request %}"}
    result = parse_definition(json.dumps({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": task}}),
                              MACHINE)
    [edge] = result.facts.edges
    assert [ev.path for ev in edge.evidence] == [f"{TASK}.{A}"]
