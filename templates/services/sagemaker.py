"""SageMaker models, endpoint configurations, endpoints and feature groups in a template → what ListModels and
DescribeModel, ListEndpoints, DescribeEndpoint and DescribeEndpointConfig, ListFeatureGroups and
DescribeFeatureGroup answer for the deployed stack → the SageMaker collector's transform.

CloudFormation writes these resources as the API does (`PrimaryContainer`, `ProductionVariants`,
`DataCaptureConfig`, `OfflineStoreConfig` keep their names), so the answers are the properties with what AWS adds:
the ARNs (names in lower case), an endpoint InService with its configuration's name, its data capture running
(`CaptureStatus` Started) at the configured sampling, a feature group Created. An endpoint configuration is no node
of its own: it is read with each endpoint that names it, as a scan reads it.

What only deployment gives is left out rather than guessed: the folder a feature group's offline store resolves to
(`ResolvedOutputS3Uri` holds the account, region, group name and creation time), so the store is read at its
configured `S3Uri`, which holds it; and the Glue table AWS makes for the store when the template names none.
Training, processing and transform jobs have no CloudFormation resource: they are run, not deployed, and a scan
finds them; a pipeline (`AWS::SageMaker::Pipeline`) is not read, as the collector reads none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import sagemaker
from lineage.model import Facts
from templates.services.common import is_true
from templates.stack import Placed, Stack, each_placed

MODEL, CONFIG, ENDPOINT, FEATURE_GROUP = ("AWS::SageMaker::Model", "AWS::SageMaker::EndpointConfig",
                                          "AWS::SageMaker::Endpoint", "AWS::SageMaker::FeatureGroup")
TYPES = frozenset({MODEL, CONFIG, ENDPOINT, FEATURE_GROUP})
_CONFIG_KEYS = ("ProductionVariants", "ShadowProductionVariants", "DataCaptureConfig", "KmsKeyId",
                "AsyncInferenceConfig", "ExecutionRoleArn", "VpcConfig", "EnableNetworkIsolation")


def _summary(placed: Placed, name_field: str, arn_field: str, **more: Any) -> dict[str, Any]:
    return {name_field: placed.name, arn_field: placed.id, **more}


def model_record(placed: Placed) -> dict[str, Any]:
    """ListModels' summary and DescribeModel's answer for the deployed model."""
    p = placed.properties
    described = {key: p[key] for key in ("PrimaryContainer", "Containers", "ExecutionRoleArn", "VpcConfig",
                                         "InferenceExecutionConfig") if key in p}
    described.update(ModelName=placed.name, ModelArn=placed.id, EnableNetworkIsolation=is_true(
        p.get("EnableNetworkIsolation")))
    return {"Summary": _summary(placed, "ModelName", "ModelArn"), "Described": described}


def _live_capture(configured: Mapping[str, Any]) -> dict[str, Any]:
    """DescribeEndpoint's summary of data capture as it runs once the endpoint is in service."""
    enabled = is_true(configured.get("EnableCapture", True))
    live = {"EnableCapture": enabled, "CaptureStatus": "Started" if enabled else "Stopped",
            "CurrentSamplingPercentage": configured.get("InitialSamplingPercentage"),
            "DestinationS3Uri": configured.get("DestinationS3Uri")}
    if configured.get("KmsKeyId"):
        live["KmsKeyId"] = configured["KmsKeyId"]
    return live


def _config_answer(placed: Placed) -> dict[str, Any]:
    """DescribeEndpointConfig's answer: the configuration's properties, named as AWS names it."""
    p = placed.properties
    answer = {key: p[key] for key in _CONFIG_KEYS if key in p}
    capture = p.get("DataCaptureConfig")
    if isinstance(capture, Mapping):
        answer["DataCaptureConfig"] = {**capture, "EnableCapture": is_true(capture.get("EnableCapture", True))}
    return {**answer, "EndpointConfigName": placed.name, "EndpointConfigArn": placed.id}


def endpoint_record(placed: Placed, configs: Mapping[str, Placed]) -> dict[str, Any]:
    """ListEndpoints' summary, DescribeEndpoint's answer and its configuration's, for the deployed endpoint."""
    config_name = str(placed.properties.get("EndpointConfigName") or "")
    described: dict[str, Any] = {"EndpointName": placed.name, "EndpointArn": placed.id,
                                 "EndpointConfigName": config_name, "EndpointStatus": "InService"}
    record: dict[str, Any] = {"Summary": _summary(placed, "EndpointName", "EndpointArn",
                                                  EndpointStatus="InService")}
    config = configs.get(config_name)
    if config is not None:
        record["Config"] = _config_answer(config)
        capture = record["Config"].get("DataCaptureConfig")
        if isinstance(capture, Mapping):
            described["DataCaptureConfig"] = _live_capture(capture)
    record["Described"] = described
    return record


def feature_group_record(placed: Placed) -> dict[str, Any]:
    """ListFeatureGroups' summary and DescribeFeatureGroup's answer for the deployed group."""
    p = placed.properties
    described = {key: p[key] for key in ("RecordIdentifierFeatureName", "EventTimeFeatureName", "FeatureDefinitions",
                                         "OnlineStoreConfig", "OfflineStoreConfig", "RoleArn", "Description")
                 if key in p}
    described.update(FeatureGroupName=placed.name, FeatureGroupArn=placed.id, FeatureGroupStatus="Created")
    online = p.get("OnlineStoreConfig")
    if isinstance(online, Mapping):
        described["OnlineStoreConfig"] = {**online, "EnableOnlineStore": is_true(online.get("EnableOnlineStore"))}
    return {"Summary": _summary(placed, "FeatureGroupName", "FeatureGroupArn", FeatureGroupStatus="Created"),
            "Described": described}


def facts(stack: Stack) -> Facts:
    configs = {p.name: p for p in stack.placed.values() if p.type == CONFIG}
    raw = {
        "TrainingJobs": [], "ProcessingJobs": [], "TransformJobs": [],
        "Models": each_placed(stack, frozenset({MODEL}), model_record),
        "Endpoints": each_placed(stack, frozenset({ENDPOINT}), lambda p: endpoint_record(p, configs)),
        "FeatureGroups": each_placed(stack, frozenset({FEATURE_GROUP}), feature_group_record),
    }
    named = {str(p.properties.get("EndpointConfigName")) for p in stack.placed.values() if p.type == ENDPOINT}
    for record in raw["Endpoints"]:
        name = record["Described"]["EndpointConfigName"]
        if name not in configs:
            stack.warnings.append(f"endpoint {record['Described']['EndpointName']}: its configuration {name} is not "
                                  "one this template defines; which models it serves is not read")
    for name in sorted(set(configs) - named):
        stack.warnings.append(f"endpoint configuration {name}: no endpoint of this template serves it; "
                              "read only with an endpoint, as a scan reads it")
    if not any(raw.values()):
        return Facts()
    return sagemaker.transform_sagemaker(raw, stack.account, stack.region)
