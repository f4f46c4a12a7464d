"""Canonical node ids (ARNs) and the kinds they name.

References reach the tracker in many spellings: a state machine ARN on an EventBridge target, a job
name in a Step Functions definition, `s3a://bucket/raw/` in a Glue argument, a queue URL. Every one
is turned here into one canonical id so that collectors that never see each other meet at one node.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from lineage.model import Node, stage_for
from lineage.redact import split_userinfo


@dataclass(frozen=True, slots=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_type(self) -> str:
        return re.split(r"[:/]", self.resource, maxsplit=1)[0]

    @property
    def resource_name(self) -> str:
        parts = re.split(r"[:/]", self.resource, maxsplit=1)
        return parts[1] if len(parts) > 1 else parts[0]


def parse_arn(value: str) -> Arn | None:
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) != 6:
        return None
    _, partition, service, region, account, resource = parts
    return Arn(partition, service, region, account, resource)


# --- partitions and dynamic references ----------------------------------------------------------

# Region prefixes of the partitions other than `aws`; the ARNs of a region's resources carry its partition.
_PARTITION_BY_REGION_PREFIX = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"),
                               ("us-isof-", "aws-iso-f"), ("eu-isoe-", "aws-iso-e"), ("us-iso-", "aws-iso"))

DYNAMIC_PREFIX = "dynamic:"


def partition(region: str) -> str:
    """The ARN partition of a region: `aws-cn` for `cn-north-1`, `aws` for any commercial region."""
    return next((name for prefix, name in _PARTITION_BY_REGION_PREFIX if region.startswith(prefix)), "aws")


def build_arn(service: str, region: str, account: str, resource: str) -> str:
    """An ARN in the partition of its region."""
    return f"arn:{partition(region)}:{service}:{region}:{account}:{resource}"


def dynamic_id(owner: str, path: str) -> str:
    """A place known only at run time: `dynamic:<owner id>#<path inside the owner's document>`."""
    return f"{DYNAMIC_PREFIX}{owner}#{path}"


def is_dynamic(node_id: str) -> bool:
    return node_id.startswith(DYNAMIC_PREFIX)


def dynamic_parts(node_id: str) -> tuple[str, str]:
    """(owner, path) of `dynamic:<owner>#<path>`; an owner read from a template (`cfn:<template>#<LogicalId>`)
    holds a `#` of its own."""
    rest = node_id.removeprefix(DYNAMIC_PREFIX)
    if rest.startswith("cfn:"):
        template, _, after = rest.partition("#")
        logical, _, path = after.partition("#")
        return f"{template}#{logical}", path
    owner, _, path = rest.partition("#")
    return owner, path


# --- S3 -----------------------------------------------------------------------------------------

_S3_SCHEMES = ("s3", "s3a", "s3n")
# S3 ARNs of every partition. Bucket names carry no partition, so a dataset's id is always written in
# the `aws` partition (`arn:aws:s3:::BUCKET/PREFIX`): paths from URLs and ARNs meet at one node.
_S3_ARN = re.compile(r"^arn:aws(?:-[a-z-]+)?:s3:::")
_CANONICAL_S3 = "arn:aws:s3:::"


# What can stand in a bucket's name: today's rules and the looser legacy ones (capitals, `_`, 255
# characters), and a template's placeholder (`${DataBucket}`) that a deployment fills in. A URL, a
# path or an address cannot.
_BUCKET_NAME = re.compile(r"^[A-Za-z0-9._\-${}]{1,255}$")


def is_bucket_name(value: str) -> bool:
    return bool(_BUCKET_NAME.match(value))


def bucket_arn(bucket: str) -> str:
    return f"{_CANONICAL_S3}{bucket}"


def s3_location_id(bucket: str, prefix: str = "") -> str:
    """`arn:aws:s3:::BUCKET/PREFIX`, prefix without leading or trailing `/`; the bucket when empty."""
    prefix = prefix.strip("/")
    return f"{_CANONICAL_S3}{bucket}/{prefix}" if prefix else bucket_arn(bucket)


def parse_s3_url(value: str) -> tuple[str, str] | None:
    """(bucket, prefix) of `s3://bucket/prefix/`, `s3a://…` or an S3 ARN; None for anything else."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    arn = _S3_ARN.match(value)
    if arn:
        bucket, _, prefix = value[arn.end() :].partition("/")
        return (bucket, prefix.strip("/")) if bucket else None
    scheme, separator, rest = value.partition("://")
    if not separator or scheme.lower() not in _S3_SCHEMES:
        return None
    # `s3a://KEY:SECRET@bucket/…`: the bucket is the host; credentials are never part of an id.
    rest = split_userinfo(rest)[1]
    parsed = urlparse(f"{scheme}://{rest}")
    if not parsed.netloc:
        return None
    return parsed.netloc, parsed.path.strip("/")


def s3_parts(node_id: str) -> tuple[str, str] | None:
    """(bucket, prefix) of a canonical S3 node id; None for any other id, a dynamic one included."""
    if not node_id.startswith(_CANONICAL_S3):
        return None
    bucket, _, prefix = node_id[len(_CANONICAL_S3) :].partition("/")
    return (bucket, prefix) if bucket else None


def split_s3_id(node_id: str) -> tuple[str, str]:
    """(bucket, prefix) of a canonical S3 id; `ValueError` for any other id."""
    parsed = s3_parts(node_id)
    if parsed is None:
        raise ValueError(f"not an S3 id: {node_id}")
    return parsed


# --- Other services -----------------------------------------------------------------------------


def state_machine_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:states:{region}:{account}:stateMachine:{name}"


def lambda_function_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:lambda:{region}:{account}:function:{name}"


def glue_job_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:glue:{region}:{account}:job/{name}"


def glue_crawler_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:glue:{region}:{account}:crawler/{name}"


def glue_database_arn(region: str, account: str, database: str) -> str:
    return f"arn:{partition(region)}:glue:{region}:{account}:database/{database.lower()}"


def glue_table_arn(region: str, account: str, database: str, table: str) -> str:
    # The catalog folds database and table names to lower case; so does the id.
    return f"arn:{partition(region)}:glue:{region}:{account}:table/{database.lower()}/{table.lower()}"


def glue_workflow_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:glue:{region}:{account}:workflow/{name}"


def glue_trigger_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:glue:{region}:{account}:trigger/{name}"


def dynamodb_table_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:dynamodb:{region}:{account}:table/{name}"


def sqs_queue_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:sqs:{region}:{account}:{name}"


def sns_topic_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:sns:{region}:{account}:{name}"


def event_bus_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:events:{region}:{account}:event-bus/{name}"


def event_rule_arn(region: str, account: str, bus: str, name: str) -> str:
    # AWS names rules on the default bus without the bus, and rules on any other bus with it.
    if bus in ("", "default"):
        return f"arn:{partition(region)}:events:{region}:{account}:rule/{name}"
    return f"arn:{partition(region)}:events:{region}:{account}:rule/{bus}/{name}"


def event_source_id(region: str, account: str, source: str) -> str:
    """A producer of events named by a pattern's `source`; not an AWS resource, so a tracker id."""
    return f"arn:{partition(region)}:events:{region}:{account}:source/{source}"


def athena_workgroup_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:athena:{region}:{account}:workgroup/{name}"


def log_group_arn(region: str, account: str, name: str) -> str:
    # Without the `:*` DescribeLogGroups adds to `arn`: the form tagging and IAM name the group by.
    return f"arn:{partition(region)}:logs:{region}:{account}:log-group:{name}"


def names_aws_managed_key(key: str, alias: str) -> bool:
    """Whether a key reference is a service's AWS managed key (`alias/aws/sqs`), by alias or alias ARN: any
    other key, or alias, is the customer's own. (A key id of the AWS managed key does not say so; KMS does.)"""
    return key == alias or key.endswith(f":{alias}")


def kms_key_reference(value: str, region: str, account: str) -> str | None:
    """A KMS key as configuration names it — key ARN, alias ARN, `alias/NAME`, key id — as an ARN, the bare
    forms in the account and region of what names them (where KMS looks them up); None when it is none."""
    value = value.strip()
    if value.startswith("arn:"):
        parsed = parse_arn(value)
        return value if parsed is not None and parsed.service == "kms" else None
    if not value or not region or not account or ":" in value:
        return None
    resource = value if value.startswith("alias/") else f"key/{value}"
    return build_arn("kms", region, account, resource)


def queue_url_to_arn(url: str) -> str | None:
    """`https://sqs.REGION.amazonaws.com/ACCOUNT/NAME` to the queue's ARN. A template's URL of a queue whose
    account and region are not known yet (`https://sqs..amazonaws.com//NAME`) is the ARN with those fields empty,
    as the tracker writes any ARN of an unknown account."""
    parsed = urlparse(url)
    match = re.match(r"^(?:sqs\.)?([a-z0-9-]*)\.(?:queue\.)?amazonaws\.com", parsed.netloc or "")
    parts = parsed.path.strip("/").split("/") if not parsed.path.startswith("//") else ["", parsed.path.strip("/")]
    if not match or len(parts) != 2 or not parts[1]:
        return None
    region = match.group(1)
    if region == "sqs":  # legacy `queue.amazonaws.com` has no region
        return None
    return sqs_queue_arn(region, parts[0], parts[1])


def unqualified_lambda_arn(arn: str) -> str:
    """A function ARN without `:alias` or `:version`: the flow is to the function. Any other ARN (a queue,
    a bus, a topic a target or destination may name as well) is given back as it is."""
    parts = arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 and parts[2] == "lambda" else arn


def kinesis_stream_arn(region: str, account: str, name: str) -> str:
    return f"arn:{partition(region)}:kinesis:{region}:{account}:stream/{name}"


def kinesis_stream_of(arn: str) -> str:
    """The stream an enhanced fan-out consumer reads (`…:stream/NAME/consumer/CNAME:1234567890` to
    `…:stream/NAME`): what a reader through the consumer reads is the stream's data. Any other ARN, a
    stream's own included, is given back as it is."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "kinesis" or not parsed.resource.startswith("stream/"):
        return arn
    stream, marker, _ = parsed.resource.partition("/consumer/")
    return arn[: len(arn) - len(parsed.resource)] + stream if marker and stream != "stream/" else arn


def emr_cluster_arn(region: str, account: str, cluster_id: str) -> str:
    return build_arn("elasticmapreduce", region, account, f"cluster/{cluster_id}")


def emr_serverless_application_arn(region: str, account: str, application_id: str) -> str:
    return build_arn("emr-serverless", region, account, f"/applications/{application_id}")


def sagemaker_arn(region: str, account: str, resource_type: str, name: str) -> str:
    """A SageMaker resource named by its name: AWS writes the name in its ARNs in lower case."""
    return build_arn("sagemaker", region, account, f"{resource_type}/{name.lower()}")


# Cross-region inference profiles are named by the geography they route within: `us.anthropic.claude-…`.
_PROFILE_GEOGRAPHIES = ("us.", "eu.", "apac.", "us-gov.", "global.", "jp.", "au.", "ca.")


def bedrock_model_arn(value: str, region: str, account: str) -> str:
    """A model as configuration names it — an ARN, a foundation model id, a cross-region inference profile id —
    as the id of its node: a profile is the account's (`…:ACCOUNT:inference-profile/us.…`), a foundation model
    carries no account, as AWS writes their ARNs."""
    value = value.strip()
    if value.startswith("arn:"):
        return value
    if value.startswith(_PROFILE_GEOGRAPHIES):
        return build_arn("bedrock", region, account, f"inference-profile/{value}")
    return build_arn("bedrock", region, "", f"foundation-model/{value}")


# kind of node for (service, resource type) of an ARN
_KIND_BY_ARN: dict[tuple[str, str], str] = {
    ("states", "stateMachine"): "states.state_machine",
    ("states", "activity"): "states.activity",
    ("lambda", "function"): "lambda.function",
    ("glue", "job"): "glue.job",
    ("glue", "crawler"): "glue.crawler",
    ("glue", "table"): "glue.table",
    ("glue", "catalog"): "glue.catalog",
    ("glue", "database"): "glue.database",
    ("glue", "workflow"): "glue.workflow",
    ("glue", "trigger"): "glue.trigger",
    ("dynamodb", "table"): "dynamodb.table",
    ("events", "event-bus"): "events.bus",
    ("events", "rule"): "events.rule",
    ("events", "source"): "events.source",
    ("events", "api-destination"): "events.api_destination",
    ("athena", "workgroup"): "athena.workgroup",
    ("quicksight", "datasource"): "quicksight.data_source",
    ("quicksight", "dataset"): "quicksight.dataset",
    ("quicksight", "dashboard"): "quicksight.dashboard",
    ("quicksight", "analysis"): "quicksight.analysis",
    ("athena", "named-query"): "athena.named_query",
    ("athena", "prepared-statement"): "athena.prepared_statement",
    ("elasticmapreduce", "cluster"): "emr.cluster",
    ("emr-serverless", ""): "emr_serverless.application",
    ("kinesis", "stream"): "kinesis.stream",
    ("firehose", "deliverystream"): "firehose.delivery_stream",
    ("ecs", "cluster"): "ecs.cluster",
    ("ecs", "task-definition"): "ecs.task_definition",
    ("batch", "job-queue"): "batch.job_queue",
    ("logs", "log-group"): "logs.log_group",
    ("logs", "destination"): "logs.destination",
    ("kms", "key"): "kms.key",
    ("kms", "alias"): "kms.key",
    ("scheduler", "schedule"): "scheduler.schedule",
    ("pipes", "pipe"): "pipes.pipe",
    ("iam", "role"): "iam.role",
    ("sagemaker", "training-job"): "sagemaker.training_job",
    ("sagemaker", "processing-job"): "sagemaker.processing_job",
    ("sagemaker", "transform-job"): "sagemaker.transform_job",
    ("sagemaker", "model"): "sagemaker.model",
    ("sagemaker", "endpoint"): "sagemaker.endpoint",
    ("sagemaker", "feature-group"): "sagemaker.feature_group",
    ("rds", "db"): "rds.db_instance",  # databases other services read from or write to: not read themselves
    ("rds", "cluster"): "rds.cluster",
    ("redshift", "cluster"): "redshift.cluster",
    ("redshift-serverless", "workgroup"): "redshift.workgroup",
    ("es", "domain"): "opensearch.domain",
    ("apigateway", ""): "apigateway.api",
    ("execute-api", ""): "apigateway.api",
    ("appsync", "apis"): "appsync.api",
    ("bedrock", "foundation-model"): "bedrock.model",
    ("bedrock", "custom-model"): "bedrock.model",
    ("bedrock", "provisioned-model"): "bedrock.model",
    ("bedrock", "imported-model"): "bedrock.model",
    ("bedrock", "inference-profile"): "bedrock.model",
    ("bedrock", "application-inference-profile"): "bedrock.model",
    ("bedrock", "knowledge-base"): "bedrock.knowledge_base",
    ("bedrock", "agent"): "bedrock.agent",
    ("bedrock", "guardrail"): "bedrock.guardrail",
    ("bedrock", "model-invocation-logging"): "bedrock.invocation_logging",
    ("aoss", "collection"): "aoss.collection",
}


def kind_for_arn(value: str) -> str:
    """The node kind an ARN names; `external` when the tracker has no name for it."""
    parts = parse_s3_url(value) if _S3_ARN.match(value) else None
    if parts is not None:
        return "s3.location" if parts[1] else "s3.bucket"
    arn = parse_arn(value)
    if arn is None:
        return "external"
    if arn.service in ("sqs", "sns"):
        return "sqs.queue" if arn.service == "sqs" else "sns.topic"
    if arn.service in ("apigateway", "execute-api"):
        # `…:API_ID/STAGE/METHOD/path` names one route of the API; `…:API_ID` the API.
        return "apigateway.route" if arn.service == "execute-api" and "/" in arn.resource else "apigateway.api"
    return _KIND_BY_ARN.get((arn.service, arn.resource_type), "external")


def name_for_id(value: str) -> str:
    """A short human name for a node id."""
    parts = parse_s3_url(value) if _S3_ARN.match(value) else None
    if parts is not None:
        return f"{parts[0]}/{parts[1]}" if parts[1] else parts[0]
    arn = parse_arn(value)
    if arn is None:
        return value
    if arn.service in ("sqs", "sns"):
        return arn.resource
    if arn.service == "glue" and arn.resource_type == "table":
        return arn.resource_name.replace("/", ".")
    if arn.service == "events" and arn.resource_type == "rule":
        return arn.resource_name
    return arn.resource_name


def referenced_node(node_id: str, kind: str | None = None, attributes: Mapping[str, Any] | None = None) -> Node:
    """A node known only because something refers to it: not read from AWS (`observed` false)."""
    parts = s3_parts(node_id) if kind is None else None
    if parts is not None and parts[1] == parts[1].strip("/") and node_id == node_id.strip():
        # The common case, read without parsing the ARN three times: a data lake names many paths.
        kind = "s3.location" if parts[1] else "s3.bucket"
        name = f"{parts[0]}/{parts[1]}" if parts[1] else parts[0]
        return Node(node_id, kind, name, stage_for(kind), "", "", observed=False, attributes=dict(attributes or {}))
    kind = kind or kind_for_arn(node_id)
    parsed = parse_arn(node_id)
    return Node(node_id, kind, name_for_id(node_id), stage_for(kind), parsed.account if parsed else "",
                parsed.region if parsed else "", observed=False, attributes=dict(attributes or {}))
