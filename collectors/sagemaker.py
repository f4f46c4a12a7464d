"""SageMaker: where data trains and serves models. Training, processing and batch transform jobs with the S3
places (and, for processing, the catalog tables an Athena query names) they read and write; models and the
artefacts they load; endpoints, the models behind them, and the copy of every request and answer that data
capture writes to S3; feature groups and where their offline store rests.

The chain a model is made of is S3 input → training job → model artefact in S3 → model → endpoint, each
hop in the direction the data moves: the training job writes the artefact (`ModelArtifacts.S3ModelArtifacts`)
and the model reads that very object (`ModelDataUrl`), so the two meet on one node. An endpoint with data
capture on writes what callers send it, and what it answers, to `DestinationS3Uri`: where personal data
reaches the endpoint, that place is a personal-data sink, which is why the capture configuration is kept.

Jobs accumulate by the thousand (a pipeline starts one per run). Only recent ones are read: those created in
the last `RECENT_DAYS` days, newest first, at most `MOST_JOBS` per kind and region — a module constant, so
one scan costs at most a few hundred calls. Each run of a pipeline is a node of its own: that is what AWS
holds, and grouping runs by a name stem would guess at names nobody declared. Tags are not read (ListTags is
one call per resource); neither are the container environments, which may hold secrets.

Real AWS writes SageMaker ARNs with the resource name in lower case; a name another answer gives (an endpoint
configuration's ModelName) is matched to the ARN of what was read by name, and built lower-cased otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from collectors.context import AwsContext, each_resource, is_gone
from collectors.declarations import Call, Collector
from lineage import arn as arns
from lineage import redact
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, stage_for
from lineage.sql import tables_read

RECENT_DAYS = 30  # jobs created before this many days ago are not read
MOST_JOBS = 50  # at most this many jobs of each kind per region, the newest

# Real AWS answers a describe of something deleted with ValidationException ("Could not find model …",
# "Requested resource not found") for most SageMaker resources, ResourceNotFound for the newer ones.
_GONE = ("ResourceNotFound", "ValidationException: Could not find", "ValidationException: Requested resource not found")
_SERVICE = "sagemaker"

LIST_TRAINING_JOBS = Call(_SERVICE, "list_training_jobs", result_key="TrainingJobSummaries",
                          required=("TrainingJobName", "TrainingJobArn"))
DESCRIBE_TRAINING_JOB = Call(_SERVICE, "describe_training_job", required=("TrainingJobArn",), gone=_GONE)
LIST_PROCESSING_JOBS = Call(_SERVICE, "list_processing_jobs", result_key="ProcessingJobSummaries",
                            required=("ProcessingJobName", "ProcessingJobArn"))
DESCRIBE_PROCESSING_JOB = Call(_SERVICE, "describe_processing_job", required=("ProcessingJobArn",), gone=_GONE)
LIST_TRANSFORM_JOBS = Call(_SERVICE, "list_transform_jobs", result_key="TransformJobSummaries",
                           required=("TransformJobName", "TransformJobArn"))
DESCRIBE_TRANSFORM_JOB = Call(_SERVICE, "describe_transform_job", required=("TransformJobArn",), gone=_GONE)
LIST_MODELS = Call(_SERVICE, "list_models", result_key="Models", required=("ModelName", "ModelArn"))
DESCRIBE_MODEL = Call(_SERVICE, "describe_model", required=("ModelArn",), gone=_GONE)
LIST_ENDPOINTS = Call(_SERVICE, "list_endpoints", result_key="Endpoints", required=("EndpointName", "EndpointArn"))
DESCRIBE_ENDPOINT = Call(_SERVICE, "describe_endpoint", required=("EndpointArn",), gone=_GONE)
DESCRIBE_ENDPOINT_CONFIG = Call(_SERVICE, "describe_endpoint_config", required=("EndpointConfigArn",), gone=_GONE)
LIST_FEATURE_GROUPS = Call(_SERVICE, "list_feature_groups", result_key="FeatureGroupSummaries",
                           required=("FeatureGroupName", "FeatureGroupArn"))
DESCRIBE_FEATURE_GROUP = Call(_SERVICE, "describe_feature_group", required=("FeatureGroupArn",), gone=_GONE)


@dataclass(frozen=True, slots=True)
class _Resource:
    """One kind of SageMaker resource as it is listed and described."""

    key: str  # where its records are in the raw answer: "TrainingJobs"
    kind: str  # node kind
    listing: Call
    describe: Call
    name_field: str  # in the summary, and the describe's parameter: "TrainingJobName"
    arn_field: str
    recent_only: bool  # jobs: the newest MOST_JOBS of the last RECENT_DAYS days


TRAINING = _Resource("TrainingJobs", "sagemaker.training_job", LIST_TRAINING_JOBS, DESCRIBE_TRAINING_JOB,
                     "TrainingJobName", "TrainingJobArn", True)
PROCESSING = _Resource("ProcessingJobs", "sagemaker.processing_job", LIST_PROCESSING_JOBS, DESCRIBE_PROCESSING_JOB,
                       "ProcessingJobName", "ProcessingJobArn", True)
TRANSFORM = _Resource("TransformJobs", "sagemaker.transform_job", LIST_TRANSFORM_JOBS, DESCRIBE_TRANSFORM_JOB,
                      "TransformJobName", "TransformJobArn", True)
MODELS = _Resource("Models", "sagemaker.model", LIST_MODELS, DESCRIBE_MODEL, "ModelName", "ModelArn", False)
ENDPOINTS = _Resource("Endpoints", "sagemaker.endpoint", LIST_ENDPOINTS, DESCRIBE_ENDPOINT, "EndpointName",
                      "EndpointArn", False)
FEATURE_GROUPS = _Resource("FeatureGroups", "sagemaker.feature_group", LIST_FEATURE_GROUPS, DESCRIBE_FEATURE_GROUP,
                           "FeatureGroupName", "FeatureGroupArn", False)
RESOURCES = (TRAINING, PROCESSING, TRANSFORM, MODELS, ENDPOINTS, FEATURE_GROUPS)


# --- get ----------------------------------------------------------------------------------------


def _listing_arguments(resource: _Resource, now: datetime) -> dict[str, Any]:
    if not resource.recent_only:
        return {}
    return {"CreationTimeAfter": now - timedelta(days=RECENT_DAYS), "SortBy": "CreationTime",
            "SortOrder": "Descending", "PaginationConfig": {"MaxItems": MOST_JOBS, "PageSize": MOST_JOBS}}


def _read(ctx: AwsContext, region: str, resource: _Resource, now: datetime) -> list[dict[str, Any]] | None:
    """`[{"Summary", "Described"?}]`: a resource without `Described` could not be read (a gap already); one
    deleted between listing and reading is left out. None when the listing failed."""
    listed = ctx.pages(resource.listing, region, region, **_listing_arguments(resource, now))
    if listed is None:
        return None
    unique = {str(summary[resource.arn_field]): summary for summary in listed}  # a page may repeat an item

    def read(summary: dict[str, Any]) -> dict[str, Any] | None:
        name = str(summary[resource.name_field])
        described = ctx.call(resource.describe, region, str(summary[resource.arn_field]),
                             **{resource.name_field: name})
        if is_gone(described):
            return None
        return {"Summary": summary} if described is None else {"Summary": summary, "Described": described}

    return [record for record in ctx.map(read, list(unique.values())) if record is not None]


def _read_endpoint_configs(ctx: AwsContext, region: str, endpoints: list[dict[str, Any]]) -> None:
    """Each endpoint's configuration (its models, capture options, key), read once however many endpoints
    share it: `Config`, or `ConfigGone` (a configuration can be deleted while its endpoint keeps serving)."""
    names = sorted({str(record["Described"]["EndpointConfigName"]) for record in endpoints
                    if record.get("Described", {}).get("EndpointConfigName")})
    answers = dict(zip(names, ctx.map(
        lambda name: ctx.call(DESCRIBE_ENDPOINT_CONFIG, region, name, EndpointConfigName=name), names), strict=True))
    for record in endpoints:
        name = record.get("Described", {}).get("EndpointConfigName")
        answer = answers.get(str(name)) if name else None
        if is_gone(answer):
            record["ConfigGone"] = True
        elif answer is not None:
            record["Config"] = answer


def get_sagemaker(ctx: AwsContext, region: str) -> dict[str, Any]:
    """Each kind's records under its key; a kind whose listing failed has no key."""
    now = datetime.now(UTC)
    raw: dict[str, Any] = {}
    for resource in RESOURCES:
        records = _read(ctx, region, resource, now)
        if records is not None:
            raw[resource.key] = records
    if "Endpoints" in raw:
        _read_endpoint_configs(ctx, region, raw["Endpoints"])
    return raw


# --- transform ----------------------------------------------------------------------------------


class _Names:
    """Models and feature groups of the region by name, for the answers that name them rather than give ARNs."""

    def __init__(self, raw: Mapping[str, Any], account: str, region: str) -> None:
        self.account, self.region = account, region
        self.arns: dict[tuple[str, str], str] = {}
        self.model_in_vpc: dict[str, bool] = {}  # by model name, for the models that were described
        for resource, prefix in ((MODELS, "model"), (FEATURE_GROUPS, "feature-group")):
            for record in raw.get(resource.key) or []:
                summary = record.get("Summary") or {}
                if summary.get(resource.name_field) and summary.get(resource.arn_field):
                    self.arns[(prefix, str(summary[resource.name_field]))] = str(summary[resource.arn_field])
                described = record.get("Described")
                if resource is MODELS and isinstance(described, Mapping) and summary.get("ModelName"):
                    self.model_in_vpc[str(summary["ModelName"])] = _in_vpc(described.get("VpcConfig"))

    def arn(self, prefix: str, name: str) -> str:
        # AWS lower-cases the name in a SageMaker ARN; one read by name is taken as AWS wrote it.
        return self.arns.get((prefix, name)) or arns.sagemaker_arn(self.region, self.account, prefix, name)


def _place(url: Any) -> str | None:
    """The node id of an S3 URL; None for anything else (an EFS or FSx source, an empty field)."""
    parsed = arns.parse_s3_url(url) if isinstance(url, str) else None
    return arns.s3_location_id(*parsed) if parsed is not None else None


class _Flows:
    """The edges of one resource, each with its evidence."""

    def __init__(self, owner: str, operation: str) -> None:
        self.owner, self.operation = owner, operation
        self.edges: list[Edge] = []

    def evidence(self, path: str, excerpt: str) -> Evidence:
        return Evidence(self.operation, self.owner, path, redact.short(excerpt, 300))

    def reads(self, url: Any, path: str) -> None:
        place = _place(url)
        if place is not None:
            self.edges.append(Edge(place, self.owner, EdgeKind.READS, (self.evidence(path, str(url)),)))

    def writes(self, url: Any, path: str, excerpt: str = "") -> None:
        place = _place(url)
        if place is not None:
            self.edges.append(Edge(self.owner, place, EdgeKind.WRITES, (self.evidence(path, excerpt or str(url)),)))

    def add(self, source: str, target: str, kind: EdgeKind, path: str, excerpt: str) -> None:
        self.edges.append(Edge(source, target, kind, (self.evidence(path, excerpt),)))


def _in_vpc(vpc: Any) -> bool:
    return isinstance(vpc, Mapping) and bool(vpc.get("Subnets"))


def _status(record: Mapping[str, Any], key: str) -> dict[str, Any]:
    status = (record.get("Described") or {}).get(key) or record["Summary"].get(key)
    return {"status": status} if status else {}


def _node(resource: _Resource, record: Mapping[str, Any], account: str, region: str,
          attributes: dict[str, Any]) -> Node:
    described = record.get("Described") or {}
    node_id = str(described.get(resource.arn_field) or record["Summary"][resource.arn_field])
    name = str(described.get(resource.name_field) or record["Summary"][resource.name_field])
    if "Described" not in record:
        attributes["unread"] = ["configuration"]
    parsed = arns.parse_arn(node_id)
    return Node(node_id, resource.kind, name, stage_for(resource.kind),
                (parsed.account if parsed else "") or account, (parsed.region if parsed else "") or region,
                True, attributes)


def _kept(attributes: dict[str, Any], **values: Any) -> dict[str, Any]:
    """The attributes with the values AWS gave (None: not in the answer, not kept)."""
    attributes.update({key: value for key, value in values.items() if value is not None})
    return attributes


def transform_training_job(record: dict[str, Any], account: str, region: str) -> Facts:
    job = record.get("Described") or {}
    job_id = str(job.get("TrainingJobArn") or record["Summary"]["TrainingJobArn"])
    flows = _Flows(job_id, "sagemaker:DescribeTrainingJob")
    for index, channel in enumerate(job.get("InputDataConfig") or []):
        source = ((channel.get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
        flows.reads(source, f"InputDataConfig[{index}].DataSource.S3DataSource.S3Uri")
    output = job.get("OutputDataConfig") or {}
    artefact = (job.get("ModelArtifacts") or {}).get("S3ModelArtifacts")
    if artefact:  # the model a later step loads is this very object: the hop that joins job and model
        flows.writes(artefact, "ModelArtifacts.S3ModelArtifacts")
    else:  # not trained yet, or failed: where it will write is all there is
        flows.writes(output.get("S3OutputPath"), "OutputDataConfig.S3OutputPath")
    flows.writes((job.get("CheckpointConfig") or {}).get("S3Uri"), "CheckpointConfig.S3Uri")
    attributes = _status(record, "TrainingJobStatus")
    if job:
        _kept(attributes, role=job.get("RoleArn"), output_path=output.get("S3OutputPath"),
              output_kms_key=output.get("KmsKeyId"),
              volume_kms_key=(job.get("ResourceConfig") or {}).get("VolumeKmsKeyId"))
        attributes["in_vpc"] = _in_vpc(job.get("VpcConfig"))
        attributes["network_isolation"] = bool(job.get("EnableNetworkIsolation"))
        attributes["inter_container_encryption"] = bool(job.get("EnableInterContainerTrafficEncryption"))
    return Facts((_node(TRAINING, record, account, region, attributes),), tuple(flows.edges))


def _athena_input(flows: _Flows, athena: Mapping[str, Any], path: str, account: str, region: str,
                  warnings: list[str]) -> None:
    """The tables an Athena dataset definition's query reads, and where Athena writes its results for the job."""
    query = str(athena.get("QueryString") or "")
    read, warning = tables_read(query, str(athena.get("Database") or ""))
    if warning:
        warnings.append(f"{path}.QueryString: {warning}")
    catalog = str(athena.get("Catalog") or "AwsDataCatalog")
    for database, table in read:
        if catalog != "AwsDataCatalog":  # a federated catalog's tables are not the Glue catalog's
            warnings.append(f"{path}: table {database}.{table} of catalog {catalog} is not followed")
            continue
        flows.add(arns.glue_table_arn(region, account, database, table), flows.owner, EdgeKind.READS,
                  f"{path}.QueryString", redact.sql(query)[:200])
    flows.writes(athena.get("OutputS3Uri"), f"{path}.OutputS3Uri", "the query's results, written by Athena for the job")


def _redshift_input(flows: _Flows, redshift: Mapping[str, Any], path: str, account: str, region: str) -> None:
    cluster = redshift.get("ClusterId")
    if cluster:
        flows.add(arns.build_arn("redshift", region, account, f"cluster:{cluster}"), flows.owner, EdgeKind.READS,
                  f"{path}.QueryString", redact.sql(str(redshift.get("QueryString") or ""))[:200])
    flows.writes(redshift.get("OutputS3Uri"), f"{path}.OutputS3Uri", "the query's results, unloaded for the job")


def transform_processing_job(record: dict[str, Any], account: str, region: str, names: _Names) -> Facts:
    job = record.get("Described") or {}
    job_id = str(job.get("ProcessingJobArn") or record["Summary"]["ProcessingJobArn"])
    flows = _Flows(job_id, "sagemaker:DescribeProcessingJob")
    warnings: list[str] = []
    for index, source in enumerate(job.get("ProcessingInputs") or []):
        path = f"ProcessingInputs[{index}]"
        flows.reads((source.get("S3Input") or {}).get("S3Uri"), f"{path}.S3Input.S3Uri")
        dataset = source.get("DatasetDefinition") or {}
        if dataset.get("AthenaDatasetDefinition"):
            _athena_input(flows, dataset["AthenaDatasetDefinition"],
                          f"{path}.DatasetDefinition.AthenaDatasetDefinition", account, region, warnings)
        if dataset.get("RedshiftDatasetDefinition"):
            _redshift_input(flows, dataset["RedshiftDatasetDefinition"],
                            f"{path}.DatasetDefinition.RedshiftDatasetDefinition", account, region)
    config = job.get("ProcessingOutputConfig") or {}
    for index, output in enumerate(config.get("Outputs") or []):
        path = f"ProcessingOutputConfig.Outputs[{index}]"
        flows.writes((output.get("S3Output") or {}).get("S3Uri"), f"{path}.S3Output.S3Uri")
        group = (output.get("FeatureStoreOutput") or {}).get("FeatureGroupName")
        if group:
            flows.add(job_id, names.arn("feature-group", str(group)), EdgeKind.WRITES,
                      f"{path}.FeatureStoreOutput.FeatureGroupName", str(group))
    attributes = _status(record, "ProcessingJobStatus")
    if job:
        network = job.get("NetworkConfig") or {}
        _kept(attributes, role=job.get("RoleArn"), output_kms_key=config.get("KmsKeyId"),
              volume_kms_key=((job.get("ProcessingResources") or {}).get("ClusterConfig") or {}).get("VolumeKmsKeyId"))
        attributes["in_vpc"] = _in_vpc(network.get("VpcConfig"))
        attributes["network_isolation"] = bool(network.get("EnableNetworkIsolation"))
        attributes["inter_container_encryption"] = bool(network.get("EnableInterContainerTrafficEncryption"))
    if warnings:
        attributes["warnings"] = warnings
    return Facts((_node(PROCESSING, record, account, region, attributes),), tuple(flows.edges))


def transform_transform_job(record: dict[str, Any], account: str, region: str, names: _Names) -> Facts:
    job = record.get("Described") or {}
    job_id = str(job.get("TransformJobArn") or record["Summary"]["TransformJobArn"])
    flows = _Flows(job_id, "sagemaker:DescribeTransformJob")
    if job.get("ModelName"):
        flows.add(names.arn("model", str(job["ModelName"])), job_id, EdgeKind.READS, "ModelName",
                  str(job["ModelName"]))
    source = (((job.get("TransformInput") or {}).get("DataSource") or {}).get("S3DataSource") or {}).get("S3Uri")
    flows.reads(source, "TransformInput.DataSource.S3DataSource.S3Uri")
    output = job.get("TransformOutput") or {}
    flows.writes(output.get("S3OutputPath"), "TransformOutput.S3OutputPath")
    capture = job.get("DataCaptureConfig") or {}
    flows.writes(capture.get("DestinationS3Uri"), "DataCaptureConfig.DestinationS3Uri")
    attributes = _status(record, "TransformJobStatus")
    if job:
        _kept(attributes, output_kms_key=output.get("KmsKeyId"),
              volume_kms_key=(job.get("TransformResources") or {}).get("VolumeKmsKeyId"))
        if capture.get("DestinationS3Uri"):
            attributes["data_capture"] = _kept({"enabled": True, "destination": capture["DestinationS3Uri"]},
                                               kms_key=capture.get("KmsKeyId"))
    return Facts((_node(TRANSFORM, record, account, region, attributes),), tuple(flows.edges))


def _model_data(container: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    """(path inside the container, S3 URL) of every artefact a container loads."""
    yield "ModelDataUrl", container.get("ModelDataUrl")
    yield "ModelDataSource.S3DataSource.S3Uri", ((container.get("ModelDataSource") or {}).get("S3DataSource")
                                                 or {}).get("S3Uri")
    for index, extra in enumerate(container.get("AdditionalModelDataSources") or []):
        yield f"AdditionalModelDataSources[{index}].S3DataSource.S3Uri", (extra.get("S3DataSource") or {}).get("S3Uri")


def transform_model(record: dict[str, Any], account: str, region: str) -> Facts:
    model = record.get("Described") or {}
    model_id = str(model.get("ModelArn") or record["Summary"]["ModelArn"])
    flows = _Flows(model_id, "sagemaker:DescribeModel")
    containers = [("PrimaryContainer", model["PrimaryContainer"])] if model.get("PrimaryContainer") else []
    containers += [(f"Containers[{i}]", c) for i, c in enumerate(model.get("Containers") or [])]
    for where, container in containers:
        for path, url in _model_data(container):
            flows.reads(url, f"{where}.{path}")
    attributes: dict[str, Any] = {}
    if model:
        # Images only: a container's Environment may hold credentials and is never kept.
        images = sorted({str(c["Image"]) for _, c in containers if c.get("Image")})
        _kept(attributes, role=model.get("ExecutionRoleArn"), images=images or None)
        attributes["in_vpc"] = _in_vpc(model.get("VpcConfig"))
        attributes["network_isolation"] = bool(model.get("EnableNetworkIsolation"))
    return Facts((_node(MODELS, record, account, region, attributes),), tuple(flows.edges))


def _capture(endpoint: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """What data capture copies and where: the endpoint's own summary (what runs now) where it has one, the
    configuration's options (input, output) beside it."""
    live = endpoint.get("DataCaptureConfig") or {}
    configured = config.get("DataCaptureConfig") or {}
    if not live and not configured:
        return None
    said = live or configured
    status = live.get("CaptureStatus")
    enabled = bool(said.get("EnableCapture")) and status != "Stopped"
    # The key the configuration names (the summary's field is always there, whatever AWS then put in it).
    return _kept({"enabled": enabled}, status=status, destination=said.get("DestinationS3Uri"),
                 kms_key=configured.get("KmsKeyId") or live.get("KmsKeyId"),
                 sampling_percentage=live.get("CurrentSamplingPercentage", configured.get("InitialSamplingPercentage")),
                 modes=sorted(str(o.get("CaptureMode")) for o in configured.get("CaptureOptions") or []) or None,
                 source="sagemaker:DescribeEndpoint" if live else "sagemaker:DescribeEndpointConfig")


def transform_endpoint(record: dict[str, Any], account: str, region: str, names: _Names) -> Facts:
    endpoint = record.get("Described") or {}
    config = record.get("Config") or {}
    endpoint_id = str(endpoint.get("EndpointArn") or record["Summary"]["EndpointArn"])
    flows = _Flows(endpoint_id, "sagemaker:DescribeEndpointConfig")
    config_name = str(endpoint.get("EndpointConfigName") or "")
    models: list[str] = []
    for variants in ("ProductionVariants", "ShadowProductionVariants"):
        for index, variant in enumerate(config.get(variants) or []):
            if variant.get("ModelName"):
                models.append(str(variant["ModelName"]))
                flows.add(names.arn("model", models[-1]), endpoint_id, EdgeKind.READS,
                          f"EndpointConfig[{config_name}].{variants}[{index}].ModelName", models[-1])
    capture = _capture(endpoint, config)
    said = {key: value for key, value in capture.items() if key != "source"} if capture is not None else None
    destination = _place(capture.get("destination")) if capture is not None and capture["enabled"] else None
    if capture is not None and destination is not None:  # every request and answer sampled is copied there
        flows.edges.append(Edge(endpoint_id, destination, EdgeKind.WRITES, (Evidence(
            str(capture["source"]), endpoint_id, "DataCaptureConfig.DestinationS3Uri",
            redact.short(json.dumps(said, sort_keys=True), 300)),)))
    asynchronous = ((endpoint.get("AsyncInferenceConfig") or config.get("AsyncInferenceConfig") or {})
                    .get("OutputConfig") or {})
    flows.writes(asynchronous.get("S3OutputPath"), "AsyncInferenceConfig.OutputConfig.S3OutputPath",
                 f"answers to asynchronous requests: {asynchronous.get('S3OutputPath')}")
    attributes = _status(record, "EndpointStatus")
    if endpoint:
        _kept(attributes, endpoint_config=config_name or None)
    if said is not None:
        attributes["data_capture"] = said
    if config:
        _kept(attributes, volume_kms_key=config.get("KmsKeyId"), role=config.get("ExecutionRoleArn"),
              async_output_kms_key=asynchronous.get("KmsKeyId"))
        if config.get("VpcConfig") is not None:  # an inference component's endpoint names its own VPC
            attributes["in_vpc"] = _in_vpc(config.get("VpcConfig"))
        elif models and all(model in names.model_in_vpc for model in models):
            # The endpoint runs its models' containers, in the VPC each model names.
            attributes["in_vpc"] = all(names.model_in_vpc[model] for model in models)
    elif record.get("ConfigGone"):
        attributes["endpoint_config_deleted"] = True  # it serves on; which models it runs is no longer said
    elif endpoint.get("EndpointConfigName"):
        attributes.setdefault("unread", []).append("endpoint configuration")
    return Facts((_node(ENDPOINTS, record, account, region, attributes),), tuple(flows.edges))


def transform_feature_group(record: dict[str, Any], account: str, region: str) -> Facts:
    group = record.get("Described") or {}
    group_id = str(group.get("FeatureGroupArn") or record["Summary"]["FeatureGroupArn"])
    flows = _Flows(group_id, "sagemaker:DescribeFeatureGroup")
    offline = group.get("OfflineStoreConfig") or {}
    storage = offline.get("S3StorageConfig") or {}
    # Where the records rest: the resolved URI (under the account, region and group's own folders) when AWS
    # has resolved it, the configured prefix otherwise.
    resting = storage.get("ResolvedOutputS3Uri") or storage.get("S3Uri")
    path = "OfflineStoreConfig.S3StorageConfig." + ("ResolvedOutputS3Uri" if storage.get("ResolvedOutputS3Uri")
                                                    else "S3Uri")
    flows.writes(resting, path)
    catalog = offline.get("DataCatalogConfig") or {}
    place = _place(resting)
    if place and catalog.get("Database") and catalog.get("TableName") and not offline.get("DisableGlueTableCreation"):
        # The Glue table the feature store made over its offline store: the same data, queryable in Athena.
        table = arns.glue_table_arn(region, account, str(catalog["Database"]), str(catalog["TableName"]))
        flows.add(table, place, EdgeKind.STORED_AT, "OfflineStoreConfig.DataCatalogConfig",
                  f"{catalog['Database']}.{catalog['TableName']} → {resting}")
    attributes: dict[str, Any] = _status(record, "FeatureGroupStatus")
    if group:
        online = group.get("OnlineStoreConfig") or {}
        attributes["features"] = [str(f["FeatureName"]) for f in group.get("FeatureDefinitions") or []
                                  if f.get("FeatureName")]
        _kept(attributes, record_identifier=group.get("RecordIdentifierFeatureName"),
              event_time=group.get("EventTimeFeatureName"), role=group.get("RoleArn"))
        attributes["online_store"] = _kept({"enabled": bool(online.get("EnableOnlineStore"))},
                                           kms_key=(online.get("SecurityConfig") or {}).get("KmsKeyId"),
                                           ttl=online.get("TtlDuration"))
        if offline:
            attributes["offline_store"] = _kept({}, location=resting, kms_key=storage.get("KmsKeyId"),
                                                table=(f"{catalog['Database']}.{catalog['TableName']}"
                                                       if catalog.get("Database") and catalog.get("TableName")
                                                       else None))
    return Facts((_node(FEATURE_GROUPS, record, account, region, attributes),), tuple(flows.edges))


def transform_sagemaker(raw: dict[str, Any], account: str, region: str) -> Facts:
    names = _Names(raw, account, region)
    parts = (
        (TRAINING, lambda r: transform_training_job(r, account, region)),
        (PROCESSING, lambda r: transform_processing_job(r, account, region, names)),
        (TRANSFORM, lambda r: transform_transform_job(r, account, region, names)),
        (MODELS, lambda r: transform_model(r, account, region)),
        (ENDPOINTS, lambda r: transform_endpoint(r, account, region, names)),
        (FEATURE_GROUPS, lambda r: transform_feature_group(r, account, region)),
    )
    return Facts.concat([
        each_resource(raw.get(resource.key) or [], transform, resource.describe,
                      lambda r, key=resource.arn_field: r["Summary"][key], region)
        for resource, transform in parts
    ])


COLLECTOR = Collector(
    service="sagemaker", label="SageMaker",
    calls=(LIST_TRAINING_JOBS, DESCRIBE_TRAINING_JOB, LIST_PROCESSING_JOBS, DESCRIBE_PROCESSING_JOB,
           LIST_TRANSFORM_JOBS, DESCRIBE_TRANSFORM_JOB, LIST_MODELS, DESCRIBE_MODEL, LIST_ENDPOINTS,
           DESCRIBE_ENDPOINT, DESCRIBE_ENDPOINT_CONFIG, LIST_FEATURE_GROUPS, DESCRIBE_FEATURE_GROUP),
    get=get_sagemaker, transform=transform_sagemaker,
    listings={resource.kind: resource.listing for resource in RESOURCES},
)
