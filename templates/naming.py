"""What CloudFormation names a resource of each type, and what `Ref` and `Fn::GetAtt` give for it.

A resource whose name the template determines gets the ARN it will have once deployed (in the account and
region the caller gave; an empty field where they are unknown, as a scan writes an ARN of an account STS could
not name). A resource whose name CloudFormation chooses at deployment is read under a stand-in name — unique to
the template and the logical id, valid wherever a name is — and shown afterwards as `cfn:<template>#<LogicalId>`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lineage import arn as arns
from templates.intrinsics import is_determined

CFN_PREFIX = "cfn:"
STAND_IN_MARK = "cfnx"  # stand-in names start with it: `cfnx1a2b3c4d-rawbucket`


def cfn_id(template: str, logical_id: str) -> str:
    return f"{CFN_PREFIX}{template}#{logical_id}"


def is_cfn_id(node_id: str) -> bool:
    return node_id.startswith(CFN_PREFIX)


def stand_in_name(template_path: str, logical_id: str) -> str:
    """A name no real resource has, lower case and short enough for a bucket's rules."""
    digest = hashlib.sha256(f"{template_path}\x00{logical_id}".encode()).hexdigest()[:8]
    tail = re.sub(r"[^a-z0-9-]", "", logical_id.lower())[:40] or "resource"
    return f"{STAND_IN_MARK}{digest}-{tail}"


Arn = Callable[[str, str, str, Mapping[str, Any]], str]  # (name, region, account, properties) → ARN


@dataclass(frozen=True, slots=True)
class Shape:
    """How CloudFormation names one resource type."""

    kind: str
    name_property: str | None  # dotted path of the property holding the physical name; None: always generated
    arn: Arn
    ref: str = "name"  # what `Ref` gives: "name", "arn", "url"
    attributes: Mapping[str, str] = field(default_factory=lambda: {"Arn": "arn"})  # GetAtt → name|arn|url|stream


def _in_region(build: Callable[[str, str, str], str]) -> Arn:
    return lambda name, region, account, _properties: build(region, account, name)


def _rule_arn(name: str, region: str, account: str, properties: Mapping[str, Any]) -> str:
    bus = properties.get("EventBusName") or "default"
    bus = arns.name_for_id(bus) if isinstance(bus, str) and bus.startswith("arn:") else str(bus)
    return arns.event_rule_arn(region, account, bus, name)


def _table_arn(name: str, region: str, account: str, properties: Mapping[str, Any]) -> str:
    return arns.glue_table_arn(region, account, str(properties.get("DatabaseName") or ""), name)


def _schedule_arn(name: str, region: str, account: str, properties: Mapping[str, Any]) -> str:
    group = properties.get("GroupName") or "default"
    return arns.build_arn("scheduler", region, account, f"schedule/{group}/{name}")


def _role_arn(name: str, region: str, account: str, properties: Mapping[str, Any]) -> str:
    path = str(properties.get("Path") or "/")
    return f"arn:{arns.partition(region)}:iam::{account}:role{path}{name}"


def _execute_api_arn(name: str, region: str, account: str, _properties: Mapping[str, Any]) -> str:
    return arns.build_arn("execute-api", region, account, name)


def _bedrock_arn(resource_type: str) -> Arn:
    return lambda name, region, account, _p: arns.build_arn("bedrock", region, account, f"{resource_type}/{name}")


def _sagemaker_arn(resource_type: str) -> Arn:
    return lambda name, region, account, _p: arns.sagemaker_arn(region, account, resource_type, name)


def _quicksight_arn(resource_type: str) -> Arn:
    return lambda name, region, account, _p: arns.build_arn("quicksight", region, account, f"{resource_type}/{name}")


def _alias_arn(name: str, region: str, account: str, properties: Mapping[str, Any]) -> str:
    function = str(properties.get("FunctionName") or "")
    base = function if function.startswith("arn:") else arns.lambda_function_arn(region, account, function)
    return f"{arns.unqualified_lambda_arn(base)}:{name}"


def _queue_url(name: str, region: str, account: str) -> str:
    return f"https://sqs.{region}.amazonaws.com/{account}/{name}"


SHAPES: dict[str, Shape] = {
    "AWS::S3::Bucket": Shape("s3.bucket", "BucketName", lambda name, *_: arns.bucket_arn(name),
                             attributes={"Arn": "arn"}),
    "AWS::StepFunctions::StateMachine": Shape("states.state_machine", "StateMachineName",
                                              _in_region(arns.state_machine_arn), ref="arn",
                                              attributes={"Arn": "arn", "Name": "name"}),
    "AWS::Events::EventBus": Shape("events.bus", "Name", _in_region(arns.event_bus_arn),
                                   attributes={"Arn": "arn", "Name": "name"}),
    "AWS::Events::Rule": Shape("events.rule", "Name", _rule_arn),
    "AWS::Glue::Database": Shape("glue.database", "DatabaseInput.Name", _in_region(arns.glue_database_arn)),
    "AWS::Glue::Table": Shape("glue.table", "TableInput.Name", _table_arn),
    "AWS::Glue::Crawler": Shape("glue.crawler", "Name", _in_region(arns.glue_crawler_arn)),
    "AWS::Glue::Job": Shape("glue.job", "Name", _in_region(arns.glue_job_arn)),
    "AWS::Glue::Trigger": Shape("glue.trigger", "Name", _in_region(arns.glue_trigger_arn)),
    "AWS::Glue::Workflow": Shape("glue.workflow", "Name", _in_region(arns.glue_workflow_arn)),
    # Glue gives a security configuration no ARN; the id only names it while the template is read.
    "AWS::Glue::SecurityConfiguration": Shape("glue.security_configuration", "Name", lambda name, region, account,
                                              _p: arns.build_arn("glue", region, account,
                                                                 f"securityConfiguration/{name}"), attributes={}),
    # One per catalog: named by the catalog's account, its node is the catalog's.
    "AWS::Glue::DataCatalogEncryptionSettings": Shape("glue.catalog", "CatalogId", lambda _name, region, account, _p:
                                                      arns.build_arn("glue", region, account, "catalog"),
                                                      attributes={}),
    "AWS::SQS::Queue": Shape("sqs.queue", "QueueName", _in_region(arns.sqs_queue_arn), ref="url",
                             attributes={"Arn": "arn", "QueueName": "name", "QueueUrl": "url"}),
    "AWS::SNS::Topic": Shape("sns.topic", "TopicName", _in_region(arns.sns_topic_arn), ref="arn",
                             attributes={"TopicArn": "arn", "TopicName": "name"}),
    "AWS::Lambda::Function": Shape("lambda.function", "FunctionName", _in_region(arns.lambda_function_arn)),
    "AWS::DynamoDB::Table": Shape("dynamodb.table", "TableName", _in_region(arns.dynamodb_table_arn),
                                  attributes={"Arn": "arn", "StreamArn": "stream"}),
    "AWS::DynamoDB::GlobalTable": Shape("dynamodb.table", "TableName", _in_region(arns.dynamodb_table_arn),
                                        attributes={"Arn": "arn", "StreamArn": "stream"}),
    "AWS::Logs::LogGroup": Shape("logs.log_group", "LogGroupName", _in_region(arns.log_group_arn)),
    "AWS::Kinesis::Stream": Shape("kinesis.stream", "Name", _in_region(arns.kinesis_stream_arn)),
    "AWS::KinesisFirehose::DeliveryStream": Shape(
        "firehose.delivery_stream", "DeliveryStreamName",
        lambda name, region, account, _p: arns.build_arn("firehose", region, account, f"deliverystream/{name}")),
    "AWS::KMS::Key": Shape("kms.key", None, lambda name, region, account, _p: arns.build_arn(
        "kms", region, account, f"key/{name}"), ref="name", attributes={"Arn": "arn", "KeyId": "name"}),
    "AWS::KMS::Alias": Shape("kms.alias", "AliasName", lambda name, region, account, _p: arns.build_arn(
        "kms", region, account, name), attributes={}),
    "AWS::Athena::WorkGroup": Shape("athena.workgroup", "Name", _in_region(arns.athena_workgroup_arn)),
    # Athena chooses a named query's id; `Ref` gives it. Ids as the Athena collector builds them.
    "AWS::Athena::NamedQuery": Shape("athena.named_query", None, lambda name, region, account, _p: arns.build_arn(
        "athena", region, account, f"named-query/{name}"), attributes={"NamedQueryId": "name"}),
    "AWS::Athena::PreparedStatement": Shape(
        "athena.prepared_statement", "StatementName", lambda name, region, account, p: arns.build_arn(
            "athena", region, account, f"prepared-statement/{p.get('WorkGroup') or 'primary'}/{name}"),
        attributes={}),
    "AWS::Scheduler::Schedule": Shape("scheduler.schedule", "Name", _schedule_arn),
    "AWS::Scheduler::ScheduleGroup": Shape("scheduler.schedule_group", "Name", lambda name, region, account, _p:
                                           arns.build_arn("scheduler", region, account, f"schedule-group/{name}")),
    "AWS::Pipes::Pipe": Shape("pipes.pipe", "Name", lambda name, region, account, _p: arns.build_arn(
        "pipes", region, account, f"pipe/{name}")),
    # A role's `RoleId` is AWS's own (`AROA…`), never its name: left to deployment.
    "AWS::IAM::Role": Shape("iam.role", "RoleName", _role_arn, attributes={"Arn": "arn"}),
    # An alias is its function's ARN qualified by the alias's name: what invokes it invokes the function.
    "AWS::Lambda::Alias": Shape("lambda.alias", "Name", _alias_arn, ref="arn", attributes={"AliasArn": "arn"}),
    # Ids AWS chooses (an API's, a knowledge base's, a cluster's) are read as the stand-in name: the node's id is
    # the ARN a scan gives, with the stand-in where the id goes.
    "AWS::ApiGateway::RestApi": Shape("apigateway.api", None, _execute_api_arn, attributes={"RestApiId": "name"}),
    "AWS::ApiGatewayV2::Api": Shape("apigateway.api", None, _execute_api_arn, attributes={"ApiId": "name"}),
    "AWS::AppSync::GraphQLApi": Shape("appsync.api", None, lambda name, region, account, _p: arns.build_arn(
        "appsync", region, account, f"apis/{name}"), ref="arn", attributes={"Arn": "arn", "ApiId": "name"}),
    "AWS::Bedrock::KnowledgeBase": Shape("bedrock.knowledge_base", None, _bedrock_arn("knowledge-base"),
                                         attributes={"KnowledgeBaseArn": "arn", "KnowledgeBaseId": "name"}),
    "AWS::Bedrock::Agent": Shape("bedrock.agent", None, _bedrock_arn("agent"),
                                 attributes={"AgentArn": "arn", "AgentId": "name"}),
    "AWS::Bedrock::Guardrail": Shape("bedrock.guardrail", None, _bedrock_arn("guardrail"), ref="arn",
                                     attributes={"GuardrailArn": "arn", "GuardrailId": "name"}),
    "AWS::SageMaker::Model": Shape("sagemaker.model", "ModelName", _sagemaker_arn("model"), ref="arn",
                                   attributes={"ModelName": "name"}),
    "AWS::SageMaker::EndpointConfig": Shape("sagemaker.endpoint_config", "EndpointConfigName",
                                            _sagemaker_arn("endpoint-config"), ref="arn",
                                            attributes={"EndpointConfigName": "name"}),
    "AWS::SageMaker::Endpoint": Shape("sagemaker.endpoint", "EndpointName", _sagemaker_arn("endpoint"), ref="arn",
                                      attributes={"EndpointName": "name"}),
    "AWS::SageMaker::FeatureGroup": Shape("sagemaker.feature_group", "FeatureGroupName",
                                          _sagemaker_arn("feature-group"), attributes={"FeatureGroupArn": "arn"}),
    "AWS::EMR::Cluster": Shape("emr.cluster", None, _in_region(arns.emr_cluster_arn), attributes={"Id": "name"}),
    # EMR gives a security configuration no ARN; the id only names it while the template is read.
    "AWS::EMR::SecurityConfiguration": Shape("emr.security_configuration", "Name", lambda name, region, account, _p:
                                             arns.build_arn("elasticmapreduce", region, account,
                                                            f"security-configuration/{name}"), attributes={}),
    "AWS::EMRServerless::Application": Shape("emr_serverless.application", None,
                                             _in_region(arns.emr_serverless_application_arn),
                                             attributes={"Arn": "arn", "ApplicationId": "name"}),
    # QuickSight's `Ref` gives the account and the id together: left to deployment; `!GetAtt X.Arn` is what names.
    "AWS::QuickSight::DataSource": Shape("quicksight.data_source", "DataSourceId", _quicksight_arn("datasource"),
                                         ref=""),
    "AWS::QuickSight::DataSet": Shape("quicksight.dataset", "DataSetId", _quicksight_arn("dataset"), ref=""),
    "AWS::QuickSight::Dashboard": Shape("quicksight.dashboard", "DashboardId", _quicksight_arn("dashboard"), ref=""),
    "AWS::QuickSight::Analysis": Shape("quicksight.analysis", "AnalysisId", _quicksight_arn("analysis"), ref=""),
}


def kind_of_unknown(resource_type: str) -> str:
    """`AWS::EC2::VPC` → `ec2.vpc`, `AWS::CodeBuild::Project` → `codebuild.project`; a custom resource is one kind."""
    parts = resource_type.split("::")
    if parts[0] == "Terraform" and len(parts) == 2:  # a Terraform type no reader knows (`Terraform::aws_vpc`)
        from templates.terraform import terraform_kind

        return terraform_kind(parts[1])
    if parts[0].startswith("Custom") or resource_type == "AWS::CloudFormation::CustomResource":
        return "cloudformation.custom_resource"
    if len(parts) < 3:
        return "cloudformation.resource"
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", parts[-1]).lower()
    return f"{parts[1].lower()}.{snake}"


def name_in(properties: Mapping[str, Any], dotted: str) -> Any:
    value: Any = properties
    for key in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def determined_name(value: Any) -> str | None:
    """A resolved name property as a physical name, when the template determines it: not when any part of it is
    known only at deployment — a parameter nobody gave, or the name CloudFormation gives another resource."""
    if isinstance(value, str) and value and is_determined(value) and STAND_IN_MARK not in value:
        return value
    return None


def value_of(shape: Shape, attribute: str, name: str, arn: str, region: str, account: str) -> str | None:
    """What `Ref` ("") or `Fn::GetAtt` gives; None when the type's shape does not say."""
    what = shape.ref if attribute == "" else shape.attributes.get(attribute)
    if what == "name":
        return name
    if what == "arn":
        return arn
    if what == "stream":  # a table's stream: its label (the time it was made) only deployment gives
        return f"{arn}/stream/" + "${" + "LatestStreamLabel" + "}"
    if what == "url":
        return _queue_url(name, region, account)
    return None


_NAME_GOES_ON = r"(?![A-Za-z0-9_-])"  # a stand-in is replaced whole, never as the start of a longer name
_CUT_SHORT = re.compile(rf"{STAND_IN_MARK}([0-9a-f]{{8}})-[a-z0-9-]*(?=…|$)")  # an excerpt cut mid-name


class StandIns:
    """How a run's stand-in names are shown: each id read under one (`stand_in ARN → cfn: id`), and each stand-in
    name itself (`name → LogicalId`); the pattern finding them all is made once."""

    def __init__(self, ids: Mapping[str, str], names: Mapping[str, str]) -> None:
        self.ids, self.names = dict(ids), dict(names)
        self.digests = {name.partition("-")[0]: logical for name, logical in self.names.items()}
        texts = sorted({*self.ids, *self.names}, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(t) for t in texts) + _NAME_GOES_ON) if texts else None

    def _shown(self, match: re.Match[str]) -> str:
        text = match.group(0)
        return self.ids[text] if text in self.ids else "${" + self.names[text] + "}"

    def text(self, value: str) -> str:
        if STAND_IN_MARK not in value or self.pattern is None:
            return value
        value = self.pattern.sub(self._shown, value)
        return _CUT_SHORT.sub(lambda m: "${" + self.digests.get(STAND_IN_MARK + m.group(1), "?") + "}", value)


def shown_with_cfn_ids(value: Any, stand_ins: StandIns) -> Any:
    """A plain value (a scan's document) with every id read under a stand-in name written as its `cfn:` id — an S3
    path inside such a bucket as `cfn:<template>#<LogicalId>/<prefix>` — and any other mention of a stand-in name
    (inside another resource's id, a message, an excerpt cut short) as `${LogicalId}`: the name CloudFormation
    will give that resource, which is not known before."""
    if isinstance(value, str):
        return stand_ins.text(value)
    if isinstance(value, Mapping):
        return {stand_ins.text(str(k)): shown_with_cfn_ids(v, stand_ins) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [shown_with_cfn_ids(v, stand_ins) for v in value]
    return value
