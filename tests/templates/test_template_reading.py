"""Templates read as a source: ids, lines, parameters, conditions, SAM, definitions beside the template."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import pytest

from lineage.model import EdgeKind, Scan
from lineage.template_scan import read_templates, scan_templates
from templates.document import TemplateError
from templates.naming import STAND_IN_MARK
from templates.stack import Placement
from tests.conftest import corpus_files
from tests.templates import reading
from tests.templates.reading import nodes_by_id
from viz.export import dumps, scan_document

ACCOUNT = "123456789012"
REGION = "eu-west-1"
HERE = Placement(account=ACCOUNT, region=REGION)

PIPELINE = dedent("""\
    AWSTemplateFormatVersion: "2010-09-09"
    Parameters:
      Stage:
        Type: String
        Default: dev
      Retention:
        Type: Number
      CreateArchive:
        Type: String
        Default: "no"
    Conditions:
      Archive: !Equals [!Ref CreateArchive, "yes"]
    Resources:
      Landing:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: !Sub "${Stage}-landing-${AWS::AccountId}"
          LifecycleConfiguration:
            Rules:
              - Id: expire-raw
                Status: Enabled
                Prefix: raw/
                ExpirationInDays: !Ref Retention
          NotificationConfiguration:
            EventBridgeConfiguration:
              EventBridgeEnabled: true
      Curated:
        Type: AWS::S3::Bucket
        Properties:
          BucketEncryption:
            ServerSideEncryptionConfiguration:
              - ServerSideEncryptionByDefault:
                  SSEAlgorithm: aws:kms
                  KMSMasterKeyID: alias/curated
          Tags:
            - Key: owner
              Value: data-platform
      Archive:
        Type: AWS::S3::Bucket
        Condition: Archive
      Loader:
        Type: AWS::StepFunctions::StateMachine
        Properties:
          StateMachineName: !Sub "${Stage}-loader"
          RoleArn: !GetAtt LoaderRole.Arn
          DefinitionS3Location: statemachine/loader.asl.json
          DefinitionSubstitutions:
            Target: !Ref Curated
            Source: !Ref Landing
      LoaderRole:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument: {}
      OnUpload:
        Type: AWS::Events::Rule
        Properties:
          EventPattern:
            source: [aws.s3]
            detail-type: [Object Created]
            detail:
              bucket:
                name: [!Ref Landing]
          Targets:
            - Id: loader
              Arn: !Ref Loader
              RoleArn: !GetAtt LoaderRole.Arn
            - Id: elsewhere
              Arn: !ImportValue shared-audit-queue-arn
      Network:
        Type: AWS::EC2::VPC
        Properties:
          CidrBlock: 10.0.0.0/16
    """)

DEFINITION = {
    "StartAt": "Copy",
    "States": {"Copy": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:copyObject",
        "Parameters": {"Bucket": "${Target}", "Key": "curated/orders.json",
                       "CopySource": "${Source}/raw/orders.json"},
        "End": True}},
}


@pytest.fixture
def pipeline(tmp_path: Path) -> Path:
    (tmp_path / "statemachine").mkdir()
    (tmp_path / "statemachine" / "loader.asl.json").write_text(json.dumps(DEFINITION))
    path = tmp_path / "pipeline.yaml"
    path.write_text(PIPELINE)
    return path


def scanned(path: Path, placement: Placement = HERE) -> Scan:
    return reading.scanned(path, placement=placement)


def test_named_resources_get_the_arn_they_will_have_and_the_others_a_cfn_id(pipeline: Path) -> None:
    scan = scanned(pipeline, Placement(ACCOUNT, REGION, parameters={"Retention": "30"}))
    nodes = nodes_by_id(scan)
    landing = nodes[f"arn:aws:s3:::dev-landing-{ACCOUNT}"]
    loader = nodes[f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:dev-loader"]
    assert nodes["cfn:pipeline#Curated"].kind == "s3.bucket"
    assert nodes["cfn:pipeline#Network"].kind == "ec2.vpc"  # a type no service reads is kept
    assert nodes["cfn:pipeline#Network"].attributes["resource_type"] == "AWS::EC2::VPC"
    assert "cfn:pipeline#Archive" not in nodes  # its condition is false with the default parameter
    assert landing.attributes["template"] == {"file": str(pipeline), "line": 14, "logical_id": "Landing",
                                              "type": "AWS::S3::Bucket", "format": "cloudformation"}
    assert loader.attributes["template"]["line"] == 41
    assert nodes["cfn:pipeline#Curated"].attributes["template"]["name_chosen_at_deployment"] is True
    assert landing.attributes["lifecycle_rules"][0]["expiration_days"] == 30
    assert landing.attributes["aws_defaults"] == ["encryption", "public_access_block"]
    assert nodes["cfn:pipeline#Curated"].attributes["encryption"]["kms_key"] == "alias/curated"
    assert nodes["cfn:pipeline#Curated"].attributes["tags"] == {"owner": "data-platform"}
    edges = {(e.source, e.target, e.kind) for e in scan.edges}
    rule = next(n.id for n in scan.nodes if n.kind == "events.rule")
    assert rule == "cfn:pipeline#OnUpload"
    assert (rule, loader.id, EdgeKind.TRIGGERS) in edges
    assert (landing.id, rule, EdgeKind.NOTIFIES) in edges  # the pattern names the bucket
    assert (loader.id, "cfn:pipeline#Curated/curated", EdgeKind.WRITES) in edges
    assert (f"{landing.id}/raw", loader.id, EdgeKind.READS) in edges
    # An export of another stack is a place known only at deployment: dynamic, with the expression as evidence.
    dynamic = [e for e in scan.edges if e.source == rule and e.target.startswith("dynamic:")]
    assert [e.target for e in dynamic] == ["dynamic:cfn:pipeline#OnUpload#Targets[1].Arn"]
    assert not scan.coverage_gaps


def test_no_stand_in_name_is_left_anywhere(pipeline: Path) -> None:
    text = dumps(scan_document(scanned(pipeline)))
    assert STAND_IN_MARK not in text
    assert "cfn:pipeline#Curated" in text


def test_without_account_and_region_arns_have_empty_fields(pipeline: Path) -> None:
    nodes = nodes_by_id(scanned(pipeline, Placement()))
    # `${AWS::AccountId}` in the bucket's name is not known: the name is not, and CloudFormation's id is used.
    assert "cfn:pipeline#Landing" in nodes
    assert "arn:aws:states:::stateMachine:dev-loader" in nodes


def test_a_parameter_without_a_value_keeps_the_lifecycle_unjudged(pipeline: Path) -> None:
    landing = nodes_by_id(scanned(pipeline))[f"arn:aws:s3:::dev-landing-{ACCOUNT}"]
    # `ExpirationInDays: !Ref Retention` with no value: the lifecycle is unread, never guessed as absent.
    assert "lifecycle" in landing.attributes["unread"]
    scan = scanned(pipeline)
    assert not [f for f in scan.findings if f.node.startswith(landing.id) and f.category.value == "lifecycle"]
    assert any("lifecycle configuration" in g.error for g in scan.coverage_gaps)


def test_conditions_follow_the_parameters_given(pipeline: Path) -> None:
    nodes = nodes_by_id(scanned(pipeline, Placement(ACCOUNT, REGION, parameters={"CreateArchive": "yes"})))
    assert "cfn:pipeline#Archive" in nodes


def test_a_definition_not_beside_the_template_is_a_warning_on_that_machine(pipeline: Path) -> None:
    (pipeline.parent / "statemachine" / "loader.asl.json").unlink()
    scan = scanned(pipeline)
    assert [g.error for g in scan.coverage_gaps if "Loader" in g.error] == [
        "state machine Loader: its definition file statemachine/loader.asl.json is not beside the template"]
    loader = nodes_by_id(scan)[f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:dev-loader"]
    assert loader.attributes["warnings"]


def test_json_templates_keep_their_lines_too(tmp_path: Path) -> None:
    path = tmp_path / "queue.template.json"
    path.write_text(json.dumps({"Resources": {
        "Bucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "orders-archive"}}}}, indent=2))
    node = nodes_by_id(scanned(path))["arn:aws:s3:::orders-archive"]
    assert node.attributes["template"]["line"] == 3
    assert node.attributes["template"]["file"] == str(path)


SAM = dedent("""\
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Uploads:
        Type: AWS::S3::Bucket
        Properties:
          BucketName: sam-uploads
      Workflow:
        Type: AWS::Serverless::StateMachine
        Properties:
          Name: sam-workflow
          DefinitionUri: workflow.asl.yaml
          DefinitionSubstitutions:
            Bucket: !Ref Uploads
          Events:
            Upload:
              Type: EventBridgeRule
              Properties:
                Pattern:
                  source: [aws.s3]
                  detail:
                    bucket:
                      name: [!Ref Uploads]
    """)


def test_sam_resources_are_read_as_the_cloudformation_they_deploy_as(tmp_path: Path) -> None:
    (tmp_path / "workflow.asl.yaml").write_text(dedent("""\
        StartAt: Read
        States:
          Read:
            Type: Task
            Resource: arn:aws:states:::aws-sdk:s3:getObject
            Parameters:
              Bucket: ${Bucket}
              Key.$: $.detail.object.key
            End: true
        """))
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    scan = scanned(path)
    nodes = nodes_by_id(scan)
    machine = nodes[f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:sam-workflow"]
    assert machine.attributes["template"]["format"] == "sam"
    rule = nodes["cfn:template#WorkflowUpload"]
    # A resource SAM makes points at the SAM resource it came from.
    assert rule.attributes["template"]["line"] == machine.attributes["template"]["line"] == 7
    assert rule.attributes["template"]["sam_resource"] == "Workflow"
    edges = {(e.source, e.target, e.kind) for e in scan.edges}
    assert (rule.id, machine.id, EdgeKind.TRIGGERS) in edges
    assert any(s == "arn:aws:s3:::sam-uploads" and t == machine.id for s, t, _ in edges)


@pytest.mark.parametrize(("text", "said"), [
    ("Resources: [\n", "not valid JSON or YAML"),
    ("just: text\n", "no `Resources`"),
    ("Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n", "Duplicate"),
    ("Transform: AWS::Serverless-2016-10-31\nResources:\n  F:\n    Type: AWS::Serverless::Function\n"
     "    Properties: {}\n", "the SAM translator refused it"),
])
def test_a_template_that_cannot_be_read_is_one_line_naming_it(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(TemplateError) as raised:
        read_templates([path])
    assert str(raised.value).startswith(f"{path}: ")
    assert said in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_folder_reads_its_templates_and_passes_over_other_documents(pipeline: Path) -> None:
    (pipeline.parent / "parameters.json").write_text(json.dumps({"Parameters": {"Stage": "prod"}}))
    templates = read_templates([pipeline.parent])
    assert [t.name for t in templates] == ["pipeline"]


CORPUS_TEMPLATES = corpus_files("cfn")


@pytest.mark.parametrize("path", CORPUS_TEMPLATES, ids=[p.name[-60:] for p in CORPUS_TEMPLATES])
def test_every_corpus_template_is_read_or_refused_in_one_line(path: Path) -> None:
    """No template of the corpus raises anything but a one-line refusal, and none leaves a stand-in name."""
    try:
        templates = read_templates([path])
    except TemplateError as error:
        assert "\n" not in str(error)
        return
    scan = scan_templates(templates, HERE).scan
    assert STAND_IN_MARK not in dumps(scan_document(scan))
    assert {n.attributes["template"]["file"] for n in scan.nodes if "template" in n.attributes} <= {str(path)}


def test_a_cdk_cloud_assembly_reads_each_stack_in_its_environment(tmp_path: Path) -> None:
    assembly = tmp_path / "cdk.out"
    (assembly / "stage").mkdir(parents=True)
    (assembly / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {
        "DataStack.assets": {"type": "cdk:asset-manifest", "properties": {"file": "DataStack.assets.json"}},
        "DataStack": {"type": "aws:cloudformation:stack", "environment": "aws://123456789012/eu-west-1",
                      "properties": {"templateFile": "DataStack.template.json", "stackName": "data-prod",
                                     "parameters": {"Retention": "14"}},
                      "displayName": "DataStack"},
        "Stage": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "stage"}}}}))
    (assembly / "DataStack.template.json").write_text(json.dumps({
        "Parameters": {"Retention": {"Type": "Number"}},
        "Resources": {
            "Raw9C2D2A6B": {"Type": "AWS::S3::Bucket", "Metadata": {"aws:cdk:path": "DataStack/Raw/Resource"},
                            "Properties": {"BucketName": {"Fn::Join": ["", [{"Ref": "AWS::StackName"}, "-raw"]]},
                                           "LifecycleConfiguration": {"Rules": [
                                               {"Status": "Enabled", "ExpirationInDays": {"Ref": "Retention"}}]}}},
            "InnerNestedStack": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "x"},
                                 "Metadata": {"aws:asset:path": "DataStackInner.nested.template.json"}}}}, indent=1))
    (assembly / "DataStackInner.nested.template.json").write_text(json.dumps({"Resources": {
        "Queue4A7E3555": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "inner-queue"}}}}))
    (assembly / "stage" / "manifest.json").write_text(json.dumps({"artifacts": {
        "Stage-Api": {"type": "aws:cloudformation:stack", "environment": "aws://unknown-account/unknown-region",
                      "properties": {"templateFile": "Api.template.json"}}}}))
    (assembly / "stage" / "Api.template.json").write_text(json.dumps({"Resources": {
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "api-events"}}}}))
    templates = read_templates([assembly])
    assert [(t.name, t.stack, t.account, t.region, t.kind) for t in templates] == [
        ("DataStack", "data-prod", "123456789012", "eu-west-1", "cdk"),
        ("DataStackInner.nested", "", "123456789012", "eu-west-1", "cdk"),
        ("Api", "Stage-Api", "", "", "cdk")]
    nodes = nodes_by_id(scan_templates(templates).scan)
    raw = nodes["arn:aws:s3:::data-prod-raw"]  # `AWS::StackName` is the stack's name in the manifest
    assert raw.attributes["template"]["construct_path"] == "DataStack/Raw/Resource"
    assert raw.attributes["lifecycle_rules"][0]["expiration_days"] == 14  # the value CDK passes
    assert "arn:aws:sqs:eu-west-1:123456789012:inner-queue" in nodes  # the nested stack, in its parent's place
    assert "arn:aws:sns:::api-events" in nodes  # a stage left to deployment: account and region unknown


def test_what_only_deployment_knows_is_never_taken_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "shared.yaml"
    path.write_text(dedent("""\
        Parameters:
          PolicyJson: {Type: String}
        Resources:
          Shared:
            Type: AWS::S3::Bucket
            Properties:
              BucketName: shared-drop
              NotificationConfiguration:
                QueueConfigurations:
                  - Event: s3:ObjectCreated:*
                    Queue: !ImportValue audit-queue-arn
          SharedPolicy:
            Type: AWS::S3::BucketPolicy
            Properties:
              Bucket: !Ref Shared
              PolicyDocument: !Ref PolicyJson
        """))
    scan = scanned(path)
    bucket = nodes_by_id(scan)["arn:aws:s3:::shared-drop"]
    assert "policy" in bucket.attributes["unread"]
    assert not [f for f in scan.findings if f.rule == "s3.no_tls_only_policy"]
    place = "dynamic:arn:aws:s3:::shared-drop#NotificationConfiguration.QueueConfigurations[0].Queue"
    edge = next(e for e in scan.edges if e.target == place)
    assert edge.evidence[-1].excerpt == "${Fn::ImportValue audit-queue-arn}" and edge.evidence[-1].dynamic
    assert nodes_by_id(scan)[place].attributes["dynamic"] is True


def test_a_name_made_of_a_name_cloudformation_chooses_is_not_known_either(tmp_path: Path) -> None:
    path = tmp_path / "derived.yaml"
    path.write_text(dedent("""\
        Resources:
          Raw: {Type: AWS::S3::Bucket}
          Copy: {Type: AWS::S3::Bucket, Properties: {BucketName: !Sub "${Raw}-copy"}}
          Dlq: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub "${Raw}-dlq"}}
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: index.handler
              Role: arn:aws:iam::123456789012:role/worker
              Code: {ZipFile: "def handler(event, context): return event"}
              Environment: {Variables: {TARGET: !Ref Copy}}
        """))
    nodes = nodes_by_id(scanned(path))
    # Each is its own resource, named by CloudFormation at deployment: never `Raw-copy`, never a queue named `Raw`.
    assert {(i, n.name) for i, n in nodes.items() if i.startswith("cfn:")} == {
        ("cfn:derived#Raw", "Raw"), ("cfn:derived#Copy", "Copy"), ("cfn:derived#Dlq", "Dlq"), ("cfn:derived#Fn", "Fn")}
    # A place whose name holds one (the function's log group) says which, and is not a name of its own.
    assert f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/${{Fn}}" in nodes


def test_templates_of_the_same_file_name_keep_their_resources_apart(tmp_path: Path) -> None:
    for service in ("orders", "billing"):
        (tmp_path / service).mkdir()
        (tmp_path / service / "template.yaml").write_text("Resources:\n  Data: {Type: AWS::S3::Bucket}\n")
    templates = read_templates([tmp_path / "orders" / "template.yaml", tmp_path / "billing" / "template.yaml"])
    assert [t.name for t in templates] == ["orders.template", "billing.template"]
    scan = scan_templates(templates, HERE).scan
    data = {n.id: n.attributes["template"]["file"] for n in scan.nodes if n.kind == "s3.bucket"}
    assert data == {"cfn:orders.template#Data": str(tmp_path / "orders" / "template.yaml"),
                    "cfn:billing.template#Data": str(tmp_path / "billing" / "template.yaml")}
    assert len({f.id for f in scan.findings}) == len(scan.findings)


def test_an_and_with_a_false_part_is_false_whatever_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "conditions.yaml"
    path.write_text(dedent("""\
        Parameters:
          Env: {Type: String, Default: dev}
          Strict: {Type: String}
        Conditions:
          IsProd: !Equals [!Ref Env, prod]
          StrictOn: !Equals [!Ref Strict, "yes"]
          Both: !And [!Condition IsProd, !Condition StrictOn]
          Either: !Or [!Condition StrictOn, !Not [!Condition IsProd]]
        Resources:
          OnlyInStrictProd: {Type: AWS::S3::Bucket, Condition: Both}
          OutsideProd: {Type: AWS::S3::Bucket, Condition: Either}
          Guarded:
            Type: AWS::S3::Bucket
            Properties:
              PublicAccessBlockConfiguration:
                BlockPublicAcls: true
                IgnorePublicAcls: true
                BlockPublicPolicy: true
                RestrictPublicBuckets: !If [StrictOn, true, false]
        """))
    scan = scanned(path)
    nodes = nodes_by_id(scan)
    assert "cfn:conditions#OnlyInStrictProd" not in nodes and "cfn:conditions#OutsideProd" in nodes
    # A setting only deployment decides is unread: never judged as off.
    assert "public_access_block" in nodes["cfn:conditions#Guarded"].attributes["unread"]
    assert not [f for f in scan.findings if f.rule == "s3.public_access_not_blocked"]


def test_resources_whose_arns_need_each_other_are_read_with_those_arns_unknown(tmp_path: Path) -> None:
    path = tmp_path / "loop.yaml"
    path.write_text(dedent("""\
        Resources:
          Live:
            Type: AWS::Lambda::Alias
            Properties: {FunctionName: !Ref Canary, FunctionVersion: "1", Name: live}
          Canary:
            Type: AWS::Lambda::Alias
            Properties: {FunctionName: !Ref Live, FunctionVersion: "1", Name: canary}
        """))
    scan = scanned(path)  # a cycle CloudFormation would refuse: read, never a RecursionError
    aliases = [n for n in scan.nodes if n.kind == "lambda.alias"]
    assert len(aliases) == 2 and scan.status.value == "complete"
