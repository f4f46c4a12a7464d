"""EventBridge, Step Functions, Glue and Athena: transforms on recorded responses, gets on moto."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from collectors import athena, events, glue, stepfunctions
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.graph import build_graph
from lineage.intake import admit_one

R, A = "eu-west-1", "111122223333"


def edges_of(facts) -> set[tuple[str, str, str]]:
    return {(e.source, e.kind.value, e.target) for e in facts.edges}


# --- EventBridge --------------------------------------------------------------------------------

BUS_RECORD = {
    "bus": {"Name": "orders", "Arn": f"arn:aws:events:{R}:{A}:event-bus/orders",
            "KmsKeyIdentifier": f"arn:aws:kms:{R}:{A}:key/k"},
    "rules": [{
        "rule": {"Name": "placed", "Arn": f"arn:aws:events:{R}:{A}:rule/orders/placed", "EventBusName": "orders",
                 "State": "ENABLED", "EventPattern": json.dumps({"source": ["com.shop.orders", "aws.s3"],
                                                                "detail": {"bucket": {"name": ["uploads"]}}})},
        "targets": [
            {"Id": "1", "Arn": f"arn:aws:states:{R}:{A}:stateMachine:fulfil",
             "InputTransformer": {"InputPathsMap": {"id": "$.detail.id"}, "InputTemplate": '{"id": <id>}'},
             "DeadLetterConfig": {"Arn": f"arn:aws:sqs:{R}:{A}:dlq"}},
            {"Id": "2", "Arn": f"arn:aws:lambda:{R}:{A}:function:audit:live"},
            {"Id": "3", "Arn": f"arn:aws:events:{R}:999988887777:event-bus/central"},
            {"Id": "4", "Arn": f"arn:aws:kinesis:{R}:{A}:stream/clicks"},
        ],
    }, {
        "rule": {"Name": "nightly", "Arn": f"arn:aws:events:{R}:{A}:rule/orders/nightly", "EventBusName": "orders",
                 "ScheduleExpression": "cron(0 2 * * ? *)"}, "targets": []},
        {"rule": {"Name": "broken", "Arn": f"arn:aws:events:{R}:{A}:rule/orders/broken", "EventBusName": "orders",
                  "EventPattern": "{not json"}, "targets": None}],
}


def test_events_transform() -> None:
    facts = events.transform_event_buses([BUS_RECORD], A, R)
    rule = f"arn:aws:events:{R}:{A}:rule/orders/placed"
    found = edges_of(facts)
    assert (f"arn:aws:events:{R}:{A}:source/com.shop.orders", "routes", rule) in found
    assert ("arn:aws:s3:::uploads", "notifies", rule) in found
    assert (f"arn:aws:events:{R}:{A}:event-bus/orders", "routes", rule) in found
    assert (rule, "triggers", f"arn:aws:states:{R}:{A}:stateMachine:fulfil") in found
    assert (rule, "triggers", f"arn:aws:lambda:{R}:{A}:function:audit") in found
    assert (rule, "routes", f"arn:aws:events:{R}:999988887777:event-bus/central") in found
    assert (rule, "routes", f"arn:aws:kinesis:{R}:{A}:stream/clicks") in found
    assert (rule, "writes", f"arn:aws:sqs:{R}:{A}:dlq") in found
    nodes = {n.id: n for n in facts.nodes}
    source = nodes[f"arn:aws:events:{R}:{A}:source/com.shop.orders"]
    assert source.stage.value == "generation" and source.kind == "events.source"
    targets = nodes[rule].attributes["targets"]
    assert targets[0]["input"] == "transformer" and targets[0]["dead_letter_queue"].endswith(":dlq")
    assert nodes[f"arn:aws:events:{R}:{A}:rule/orders/nightly"].stage.value == "generation"
    broken = nodes[f"arn:aws:events:{R}:{A}:rule/orders/broken"]
    assert "not valid JSON" in broken.attributes["warnings"][0] and broken.attributes["unread"] == ["targets"]
    assert nodes[f"arn:aws:events:{R}:{A}:event-bus/orders"].attributes["kms_key"].endswith("key/k")


@mock_aws
def test_events_get_reads_every_bus_not_only_default() -> None:
    session = boto3.Session(region_name="us-east-1")
    client = session.client("events")
    client.create_event_bus(Name="custom")
    client.put_rule(Name="r1", EventBusName="custom", EventPattern=json.dumps({"source": ["x.y"]}))
    client.put_targets(Rule="r1", EventBusName="custom", Targets=[
        {"Id": "t", "Arn": "arn:aws:sqs:us-east-1:123456789012:q"}])
    client.put_rule(Name="r0", ScheduleExpression="rate(1 hour)")
    ctx = AwsContext(session, ["us-east-1"])
    records = events.get_event_buses(ctx, "us-east-1")
    ctx.close()
    assert ctx.gaps == []
    assert {r["bus"]["Name"] for r in records} == {"default", "custom"}
    assert ctx.api_calls["events:ListTargetsByRule"] == 2 and ctx.api_calls["events:DescribeEventBus"] == 2
    found = edges_of(events.transform_event_buses(records, "123456789012", "us-east-1"))
    assert ("arn:aws:events:us-east-1:123456789012:rule/custom/r1", "routes",
            "arn:aws:sqs:us-east-1:123456789012:q") in found


# --- Step Functions -----------------------------------------------------------------------------

DESCRIBED = {
    "stateMachineArn": f"arn:aws:states:{R}:{A}:stateMachine:etl", "name": "etl", "type": "EXPRESS",
    "status": "ACTIVE", "roleArn": "role",
    "definition": json.dumps({"StartAt": "J", "States": {"J": {
        "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
        "Parameters": {"JobName": "curate"}, "End": True}}}),
    "loggingConfiguration": {"level": "ERROR", "includeExecutionData": True, "destinations": [
        {"cloudWatchLogsLogGroup": {"logGroupArn": f"arn:aws:logs:{R}:{A}:log-group:/aws/states/etl:*"}}]},
    "tracingConfiguration": {"enabled": True},
    "encryptionConfiguration": {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k"},
}


def test_state_machine_transform_keeps_configuration_and_definition_facts() -> None:
    facts = stepfunctions.transform_state_machine(DESCRIBED, A, R)
    machine = next(n for n in facts.nodes if n.kind == "states.state_machine")
    assert machine.observed and machine.attributes["type"] == "EXPRESS"
    assert machine.attributes["logging"] == {"level": "ERROR", "include_execution_data": True,
                                             "destinations": [f"arn:aws:logs:{R}:{A}:log-group:/aws/states/etl:*"]}
    # Execution data logged: each state's input and output reach the group (the id without `:*`).
    assert (machine.id, "writes", arns.log_group_arn(R, A, "/aws/states/etl")) in edges_of(facts)
    quiet = stepfunctions.transform_state_machine(
        {**DESCRIBED, "loggingConfiguration": {**DESCRIBED["loggingConfiguration"], "includeExecutionData": False}},
        A, R)
    assert not any(target.startswith("arn:aws:logs:") for _, _, target in edges_of(quiet))
    assert machine.attributes["encryption"] == {"type": "CUSTOMER_MANAGED_KMS_KEY", "kms_key": "k"}
    assert machine.attributes["tracing"] is True
    assert (machine.id, "invokes", f"arn:aws:glue:{R}:{A}:job/curate") in edges_of(facts)


def test_a_broken_definition_is_a_warning_on_that_machine_and_the_rest_goes_on() -> None:
    broken = {**DESCRIBED, "stateMachineArn": f"arn:aws:states:{R}:{A}:stateMachine:bad", "name": "bad",
              "definition": "{oops"}
    facts = stepfunctions.transform_state_machines([broken, DESCRIBED], A, R)
    nodes = {n.id: n for n in facts.nodes}
    assert "not valid JSON" in nodes[broken["stateMachineArn"]].attributes["warnings"][0]
    assert facts.edges  # the good machine's flows are there


@mock_aws
def test_state_machines_get_lists_and_describes_each_once() -> None:
    session = boto3.Session(region_name="us-east-1")
    client = session.client("stepfunctions")
    for name in ("one", "two"):
        client.create_state_machine(name=name, definition=DESCRIBED["definition"],
                                    roleArn="arn:aws:iam::123456789012:role/r")
    ctx = AwsContext(session, ["us-east-1"])
    records = stepfunctions.get_state_machines(ctx, "us-east-1")
    ctx.close()
    assert sorted(r["name"] for r in records) == ["one", "two"]
    assert ctx.api_calls == {"states:ListStateMachines": 1, "states:DescribeStateMachine": 2}


# --- Glue ---------------------------------------------------------------------------------------

GLUE_RECORD = {
    "databases": [{"Name": "curated"}],
    "tables": {"curated": [{
        "Name": "people", "Parameters": {"classification": "parquet"},
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {"Location": "s3://cur/people/", "Columns": [
            {"Name": "id", "Type": "string"}, {"Name": "email", "Type": "string", "Comment": "contact"}],
            "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat", "Compressed": False,
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}},
    }]},
    "crawlers": [{"Name": "people-crawler", "DatabaseName": "curated",
                  "Targets": {"S3Targets": [{"Path": "s3://cur/"}], "DynamoDBTargets": [{"Path": "users"}]},
                  "CrawlerSecurityConfiguration": "sc"}],
    "jobs": [{"Name": "curate", "Command": {"Name": "glueetl", "ScriptLocation": "s3://code/curate.py"},
              "DefaultArguments": {"--source_path": "s3://raw/people/", "--output_path": "s3://cur/people/",
                                   "--db_password": "hunter2", "--target_database": "curated",
                                   "--target_table": "people", "--enable-continuous-cloudwatch-log": "true"}},
             {"Name": "publish", "SecurityConfiguration": "sc", "DefaultArguments": {
                 "--enable-continuous-cloudwatch-log": "true", "--continuous-log-logGroup": "/etl/publish"}}],
    "triggers": [{"Name": "after-curate", "Type": "CONDITIONAL", "WorkflowName": "nightly",
                  "Predicate": {"Conditions": [{"JobName": "curate", "State": "SUCCEEDED"}]},
                  "Actions": [{"JobName": "publish"}, {"CrawlerName": "people-crawler"}]}],
    "workflows": ["nightly"],
    "security_configurations": [{"Name": "sc", "EncryptionConfiguration": {
        "S3Encryption": [{"S3EncryptionMode": "SSE-KMS", "KmsKeyArn": "k"}]}}],
    "catalog_encryption": {"EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": "k"}},
}


def test_glue_transform_catalog_jobs_crawlers_and_chains() -> None:
    facts = glue.transform_glue(GLUE_RECORD, A, R)
    found = edges_of(facts)
    table = f"arn:aws:glue:{R}:{A}:table/curated/people"
    job = f"arn:aws:glue:{R}:{A}:job/curate"
    crawler = f"arn:aws:glue:{R}:{A}:crawler/people-crawler"
    assert (table, "stored_at", "arn:aws:s3:::cur/people") in found
    assert ("arn:aws:s3:::raw/people", "reads", job) in found
    assert (job, "writes", "arn:aws:s3:::cur/people") in found
    assert (job, "writes", table) in found
    assert not any("code" in target for _, _, target in found)  # the script is code, not data
    assert ("arn:aws:s3:::cur", "reads", crawler) in found
    assert (f"arn:aws:dynamodb:{R}:{A}:table/users", "reads", crawler) in found
    assert (crawler, "writes", table) in found  # its database's table under the path it crawls
    assert (job, "triggers", f"arn:aws:glue:{R}:{A}:job/publish") in found
    # Continuous logging: what the script prints goes to Glue's default group, or to the one a job names.
    assert (job, "writes", arns.log_group_arn(R, A, "/aws-glue/jobs/logs-v2")) in found
    assert (f"arn:aws:glue:{R}:{A}:job/publish", "writes", arns.log_group_arn(R, A, "/etl/publish")) in found
    assert (job, "triggers", crawler) in found
    assert (f"arn:aws:glue:{R}:{A}:job/publish", "part_of", f"arn:aws:glue:{R}:{A}:workflow/nightly") in found
    nodes = {n.id: n for n in facts.nodes if n.observed}
    assert "personal_columns" not in nodes[table].attributes  # labelled by the rules in force, after collection
    assert build_graph([facts]).nodes[table].attributes["personal_columns"] == [{"column": "email",
                                                                                 "category": "email"}]
    assert nodes[table].attributes["partition_keys"] == [{"name": "dt", "type": "string"}]
    # How its files are read: what the cost rules judge a query's scan by.
    assert {k: nodes[table].attributes[k] for k in ("format", "serde", "input_format", "compressed")} == {
        "format": "parquet", "serde": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "input_format": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat", "compressed": False}
    assert nodes[job].attributes["arguments"]["--source_path"] == "s3://raw/people/"
    admitted, _ = admit_one(facts)  # secrets are marked on the way in, before anything keeps them
    arguments = {n.id: n for n in admitted.nodes}[job].attributes["arguments"]
    assert arguments["--db_password"] == "«redacted: password»"
    assert arguments["--source_path"] == "s3://raw/people/"
    assert nodes[crawler].attributes["security_settings"]["s3_encryption"] == "SSE-KMS"
    assert nodes[f"arn:aws:glue:{R}:{A}:catalog"].attributes["encryption_at_rest"] == "SSE-KMS"


def test_glue_get_tables_follows_next_token() -> None:
    # moto answers get_tables in one page; real Glue pages it. The get must follow NextToken.
    session = boto3.Session(region_name="us-east-1")
    ctx = AwsContext(session, ["us-east-1"], workers=1, max_attempts=1)
    client = ctx.client("glue", "us-east-1")
    stubber = Stubber(client)
    stubber.add_response("get_databases", {"DatabaseList": [{"Name": "db"}]})
    for method, key in (("get_crawlers", "Crawlers"), ("get_jobs", "Jobs"), ("get_triggers", "Triggers"),
                        ("get_security_configurations", "SecurityConfigurations")):
        stubber.add_response(method, {key: []})
        if method == "get_triggers":
            stubber.add_response("list_workflows", {"Workflows": ["w"]})
    stubber.add_response("get_data_catalog_encryption_settings", {"DataCatalogEncryptionSettings": {}})
    stubber.add_response("get_tables", {"TableList": [{"Name": "t1"}], "NextToken": "n"}, {"DatabaseName": "db"})
    stubber.add_response("get_tables", {"TableList": [{"Name": "t2"}]}, {"DatabaseName": "db", "NextToken": "n"})
    with stubber:
        record = glue.get_glue(ctx, "us-east-1")
    ctx.close()
    assert [t["Name"] for t in record["tables"]["db"]] == ["t1", "t2"]
    assert ctx.api_calls["glue:GetTables"] == 2 and ctx.gaps == []


@mock_aws
def test_glue_get_on_moto() -> None:
    session = boto3.Session(region_name="us-east-1")
    client = session.client("glue")
    client.create_database(DatabaseInput={"Name": "d"})
    client.create_table(DatabaseName="d", TableInput={"Name": "t", "StorageDescriptor": {"Location": "s3://b/t/"}})
    client.create_table(DatabaseName="d", TableInput={
        "Name": "csv", "Parameters": {"classification": "csv", "compressionType": "gzip"},
        "StorageDescriptor": {"Location": "s3://b/csv/", "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                              "Compressed": True, "SerdeInfo": {
                                  "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde"}}})
    client.create_job(Name="j", Role="r", Command={"Name": "glueetl", "ScriptLocation": "s3://b/s.py"},
                      DefaultArguments={"--input_path": "s3://b/t/"})
    ctx = AwsContext(session, ["us-east-1"])
    record = glue.get_glue(ctx, "us-east-1")
    ctx.close()
    assert ctx.gaps == []
    facts = glue.transform_glue(record, "123456789012", "us-east-1")
    found = edges_of(facts)
    assert ("arn:aws:s3:::b/t", "reads", "arn:aws:glue:us-east-1:123456789012:job/j") in found
    assert ("arn:aws:glue:us-east-1:123456789012:table/d/t", "stored_at", "arn:aws:s3:::b/t") in found
    tables = {n.name: n.attributes for n in facts.nodes if n.kind == "glue.table"}
    assert (tables["d.csv"]["serde"], tables["d.csv"]["input_format"], tables["d.csv"]["compressed"]) == (
        "org.apache.hadoop.hive.serde2.OpenCSVSerde", "org.apache.hadoop.mapred.TextInputFormat", True)
    assert tables["d.csv"]["parameters"]["compressionType"] == "gzip"
    assert (tables["d.t"]["serde"], tables["d.t"]["input_format"], tables["d.t"]["compressed"]) == ("", "", False)


# --- Athena -------------------------------------------------------------------------------------


def test_athena_transform_reads_tables_of_saved_queries_and_writes_results() -> None:
    record = {"WorkGroup": {"Name": "bi", "State": "ENABLED", "Configuration": {"ResultConfiguration": {
        "OutputLocation": "s3://results/bi/", "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS"}}}},
        "NamedQueries": [{"Name": "q", "Database": "curated",
                          "QueryString": "SELECT * FROM people p JOIN raw.x USING (id)"},
                         {"Name": "bad", "Database": "d", "QueryString": "SELEC oops ((("}]}
    facts = athena.transform_athena([record], A, R)
    workgroup = f"arn:aws:athena:{R}:{A}:workgroup/bi"
    found = edges_of(facts)
    assert (f"arn:aws:glue:{R}:{A}:table/curated/people", "reads", workgroup) in found
    assert (f"arn:aws:glue:{R}:{A}:table/raw/x", "reads", workgroup) in found
    assert (workgroup, "writes", "arn:aws:s3:::results/bi") in found
    [node] = [n for n in facts.nodes if n.kind == "athena.workgroup"]
    assert node.attributes["result_encryption"] == "SSE_KMS" and "bad" in node.attributes["warnings"][0]
    assert sorted(n.name for n in facts.nodes if n.kind == "athena.named_query") == ["bad", "q"]


@mock_aws
def test_athena_get_on_moto() -> None:
    session = boto3.Session(region_name="us-east-1")
    client = session.client("athena")
    client.create_work_group(Name="bi", Configuration={"ResultConfiguration": {"OutputLocation": "s3://r/"}})
    client.create_named_query(Name="q", Database="d", QueryString="SELECT * FROM t", WorkGroup="bi")
    ctx = AwsContext(session, ["us-east-1"])
    records = athena.get_athena(ctx, "us-east-1")
    ctx.close()
    assert ctx.gaps == []
    bi = next(r for r in records if r["WorkGroup"]["Name"] == "bi")
    assert [q["Name"] for q in bi["NamedQueries"]] == ["q"]


def test_the_account_is_learned_from_the_arns_of_what_was_read_when_sts_cannot_say() -> None:
    from collectors.context import account_named_by

    answers = [
        [{"bus": {"Name": "default", "Arn": "arn:aws:events:eu-west-1:111122223333:event-bus/default"},
          "rules": [{"rule": {"Arn": "arn:aws:events:eu-west-1:111122223333:rule/r"},
                     "targets": [{"Arn": "arn:aws:events:eu-west-1:999988887777:event-bus/central"}]}]}],
        [{"stateMachineArn": "arn:aws-cn:states:cn-north-1:111122223333:stateMachine:m"}],
        {"text": "arn:aws:iam::aws:policy/ReadOnly", "bucket": "arn:aws:s3:::no-account-here"},
    ]
    assert account_named_by(answers) == "111122223333"  # a target in another account is outnumbered
    assert account_named_by([{"Name": "b"}, "plain text"]) == ""


def _silent(service_id: str) -> Any:
    """A session whose `service_id` endpoint never answers, as a VPC without that endpoint."""
    from botocore.exceptions import EndpointConnectionError

    session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")

    def refuse(request: Any, **_: Any) -> None:
        raise EndpointConnectionError(endpoint_url=request.url)

    session.events.register_first(f"before-send.{service_id}", refuse)
    return session


@mock_aws
@pytest.mark.parametrize(("service_id", "service"), [("sts", "sts"), ("glue", "glue")])
def test_one_endpoint_that_does_not_answer_is_one_gap_and_the_rest_is_read(
        monkeypatch: pytest.MonkeyPatch, service_id: str, service: str) -> None:
    import botocore.endpoint

    from lineage.demo import build_estate
    from lineage.scan import ScanOptions, run_scan

    monkeypatch.setattr(botocore.endpoint.time, "sleep", lambda _: None)  # the retries happen, without the waits
    build_estate(lambda name: boto3.Session(region_name="us-east-1").client(name))
    scan, _ = run_scan(ScanOptions(regions=("us-east-1",)), session=_silent(service_id))
    assert scan.status.value == "partial"
    [gap] = scan.coverage_gaps
    assert gap.service == service and "does not answer; nothing more was asked of it" in gap.error
    kinds = {n.kind for n in scan.nodes if n.observed}
    assert {"s3.bucket", "events.rule", "states.state_machine", "athena.workgroup"} <= kinds
    assert ("glue.job" in kinds) == (service != "glue")
    assert scan.accounts == ("123456789012",)  # learned from what was read when STS is the one silent
