"""`lineage drift` as an operator runs it: a template deployed into moto with CloudFormation and scanned shows no
drift; a bucket made by hand, a lifecycle rule removed and a rule retargeted by hand each show up, in words."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import boto3
import jsonschema
import pytest

from tests.e2e.conftest import lineage
from tests.e2e.test_template_cli import sarif_schema

REGION = "us-east-1"
STACK = "orders"
TEMPLATE = dedent("""\
    Resources:
      Landing:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: orders-landing
          LifecycleConfiguration:
            Rules:
              - Id: expire
                Status: Enabled
                ExpirationInDays: 30
      Scratch:
        Type: AWS::S3::Bucket
      Intake:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: orders-intake
      Loader:
        Type: AWS::StepFunctions::StateMachine
        Properties:
          StateMachineName: orders-loader
          RoleArn: arn:aws:iam::123456789012:role/orders-loader
          DefinitionString: !Sub |
            {"StartAt": "Send", "States": {"Send": {"Type": "Task",
              "Resource": "arn:aws:states:::sqs:sendMessage",
              "Parameters": {"QueueUrl": "${Intake}", "MessageBody.$": "$"}, "End": true}}}
      Nightly:
        Type: AWS::Events::Rule
        Properties:
          Name: orders-nightly
          ScheduleExpression: rate(1 day)
          Targets:
            - Id: loader
              Arn: !Ref Loader
              RoleArn: arn:aws:iam::123456789012:role/orders-events
            - Id: audit
              Arn: !ImportValue shared-audit-queue-arn
      Worker:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.12
          Handler: index.handler
          Role: !GetAtt WorkerRole.Arn
          Code:
            ZipFile: "def handler(event, context):\n    return event\n"
      WorkerRole:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Statement:
              - Effect: Allow
                Principal: {Service: lambda.amazonaws.com}
                Action: sts:AssumeRole
    """)
# Another team's stack, exporting the queue the rule above also sends to: known only at deployment to the template.
SHARED = dedent("""    Resources:
      Audit:
        Type: AWS::SQS::Queue
        Properties:
          QueueName: shared-audit
    Outputs:
      AuditArn:
        Value: !GetAtt Audit.Arn
        Export:
          Name: shared-audit-queue-arn
    """)


@pytest.fixture
def deployed(moto_server: str, tmp_path: Path) -> tuple[str, Path, Path]:
    template = tmp_path / "orders.yaml"
    template.write_text(TEMPLATE)
    (tmp_path / "shared.yaml").write_text(SHARED)
    cloudformation = boto3.client("cloudformation", region_name=REGION, endpoint_url=moto_server)
    cloudformation.create_stack(StackName="shared", TemplateBody=SHARED)
    cloudformation.create_stack(StackName=STACK, TemplateBody=TEMPLATE)
    # moto's CloudFormation sets only a bucket's name, encryption and tags; the lifecycle is put as CloudFormation
    # would put it.
    boto3.client("s3", region_name=REGION, endpoint_url=moto_server).put_bucket_lifecycle_configuration(
        Bucket="orders-landing", LifecycleConfiguration={"Rules": [
            {"ID": "expire", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 30}}]})
    return moto_server, template, tmp_path / "lineage.db"


def scan(endpoint: str, database: Path) -> None:
    done = lineage("scan", "--endpoint-url", endpoint, "--region", REGION, "--db", str(database))
    assert done.returncode == 0, done.stderr


def drift(template: Path, database: Path, *more: str) -> dict:
    done = lineage("drift", "--template", str(template), "--template", str(template.parent / "shared.yaml"), "--db",
                   str(database), "--stack-name", STACK, "--json", *more)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_deployed_template_has_no_drift_and_hand_made_changes_show_up(deployed: tuple[str, Path, Path]) -> None:
    endpoint, template, database = deployed
    scan(endpoint, database)
    clean = drift(template, database)
    assert clean["items"] == [], json.dumps(clean["items"], indent=1)
    # Two buckets (one named by CloudFormation), queue, machine, rule, a function and its role CloudFormation names
    # (the function's
    # log group (`/aws/lambda/${Worker}` in the template) is the one of the name it was given; the rule's target left
    # to another stack's export is the queue that export names.
    assert len(clean["matched"]) == 8  # and the other team's queue, from its own template
    assert clean["matched"]["cfn:orders#WorkerRole"].startswith("arn:aws:iam::123456789012:role/orders-WorkerRole-")
    assert clean["matched"]["cfn:orders#Scratch"].startswith("arn:aws:s3:::orders-scratch-")
    assert clean["matched"]["cfn:orders#Worker"].startswith(f"arn:aws:lambda:{REGION}:123456789012:function:orders-")

    s3 = boto3.client("s3", region_name=REGION, endpoint_url=endpoint)
    s3.create_bucket(Bucket="orders-adhoc-export")
    s3.delete_bucket_lifecycle(Bucket="orders-landing")
    events = boto3.client("events", region_name=REGION, endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name=REGION, endpoint_url=endpoint)
    queue = sqs.get_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="orders-intake")["QueueUrl"],
                                     AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_targets(Rule="orders-nightly", Targets=[{"Id": "by-hand", "Arn": queue}])
    scan(endpoint, database)
    found = drift(template, database)
    by_kind = {}
    for item in found["items"]:
        by_kind.setdefault(item["kind"], []).append(item)
    assert [i["node"] for i in by_kind["unmanaged"]] == ["arn:aws:s3:::orders-adhoc-export"]
    changed = {i["node"]: i for i in by_kind["changed"]}
    rule = f"arn:aws:events:{REGION}:123456789012:rule/orders-nightly"
    assert sorted((node, i["severity"], i["attribute"]) for node, i in changed.items()) == [
        (rule, "low", "targets"), ("arn:aws:s3:::orders-landing", "high", "lifecycle_rules")]
    assert changed["arn:aws:s3:::orders-landing"]["summary"].startswith("lifecycle rules removed expire")
    assert changed["arn:aws:s3:::orders-landing"]["template"]["line"] == 2
    unexpected = [i["summary"] for i in by_kind["flow unexpected"]]
    assert unexpected == [f"the account has a flow {rule} → {queue} (routes) no template defines"]
    failing = lineage("drift", "--template", str(template), "--template", str(template.parent / "shared.yaml"),
                      "--db", str(database), "--stack-name", STACK,
                      "--fail-on", "high", env={"COLUMNS": "300"})
    assert failing.returncode == 1
    assert "drift item(s) of severity high or above" in failing.stderr
    assert "orders-adhoc-export" in failing.stdout


def test_findings_of_the_account_point_at_the_templates_that_describe_their_resources(
        deployed: tuple[str, Path, Path]) -> None:
    endpoint, template, database = deployed
    boto3.client("s3", region_name=REGION, endpoint_url=endpoint).create_bucket(Bucket="orders-adhoc-export")
    scan(endpoint, database)
    templates = ("--template", str(template), "--template", str(template.parent / "shared.yaml"), "--stack-name", STACK)

    alone = lineage("findings", "--db", str(database), "--format", "sarif")
    assert alone.returncode == 0, alone.stderr
    results = json.loads(alone.stdout)["runs"][0]["results"]
    assert results and not any("physicalLocation" in r["locations"][0] for r in results)
    assert f"{len(results)} of {len(results)} result(s) name no file" in " ".join(alone.stderr.split())

    placed = lineage("findings", "--db", str(database), "--format", "sarif", *templates, cwd=template.parent)
    assert placed.returncode == 0, placed.stderr
    log = json.loads(placed.stdout)
    jsonschema.validate(log, sarif_schema())
    by_node = {r["properties"]["node"]: r["locations"][0] for r in log["runs"][0]["results"]}
    landing, scratch = by_node["arn:aws:s3:::orders-landing"], next(
        location for node, location in by_node.items() if node.startswith("arn:aws:s3:::orders-scratch-"))
    assert landing["physicalLocation"] == {"artifactLocation": {"uri": "orders.yaml"}, "region": {"startLine": 2}}
    assert scratch["physicalLocation"]["region"] == {"startLine": 11}  # named by CloudFormation, found all the same
    # Made by hand, or the account's own (the catalogue's settings, the default bus): no template describes them —
    # the bus not even though the templates' rule sits on it, as its fix is not at the rule's line.
    unplaced = [r for r in log["runs"][0]["results"] if "physicalLocation" not in r["locations"][0]]
    assert {r["properties"]["node"] for r in unplaced} == {
        "arn:aws:s3:::orders-adhoc-export", f"arn:aws:glue:{REGION}:123456789012:catalog",
        f"arn:aws:events:{REGION}:123456789012:event-bus/default"}
    results = log["runs"][0]["results"]
    assert len(results) > len(unplaced)
    assert f"warning: {len(unplaced)} of {len(results)} result(s) name no file" in " ".join(placed.stderr.split())

    described = lineage("findings", "--db", str(database), "--format", "sarif", "--described-only", *templates,
                        cwd=template.parent)
    kept = json.loads(described.stdout)["runs"][0]["results"]
    assert all("physicalLocation" in r["locations"][0] for r in kept) and described.stderr == ""
    assert len(kept) == len(results) - len(unplaced)

    as_json = json.loads(lineage("findings", "--db", str(database), "--format", "json", *templates,
                                 cwd=template.parent).stdout)
    assert {f["location"] for f in as_json if f["node"] == "arn:aws:s3:::orders-landing"} == {f"{template}:2"}
    # Gating on the whole scan, and saying how much of it the output leaves out.
    gated = lineage("findings", "--db", str(database), "--format", "sarif", "--described-only", "--fail-on", "low",
                    *templates, cwd=template.parent)
    assert gated.returncode == 1
    assert f"{len(unplaced)} of them not in this output" in " ".join(gated.stderr.split())
    # Nothing a CI step could mistake for "every alert fixed": no templates, or templates that describe nothing.
    refused = lineage("findings", "--db", str(database), "--stack-name", STACK)
    assert refused.returncode == 2 and "give --template too" in refused.stderr
    alone_only = lineage("findings", "--db", str(database), "--format", "sarif", "--described-only")
    assert alone_only.returncode == 2 and "--template" in alone_only.stderr and alone_only.stdout == ""
    other = template.parent / "other.yaml"
    other.write_text("Resources:\n  Elsewhere:\n    Type: AWS::SQS::Queue\n    Properties: {QueueName: nowhere}\n")
    nothing = lineage("findings", "--db", str(database), "--format", "sarif", "--described-only", "--template",
                      str(other))
    assert nothing.returncode == 2 and "describe no resource" in nothing.stderr and nothing.stdout == ""
    unmatched = lineage("findings", "--db", str(database), "--format", "json", "--template", str(other))
    assert unmatched.returncode == 0 and "describe no resource" in unmatched.stderr
    assert {f["location"] for f in json.loads(unmatched.stdout)} == {""}  # the key is there, with nothing in it
