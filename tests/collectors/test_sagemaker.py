"""SageMaker: the get on recorded answers through botocore's Stubber (training jobs in two pages, the newest of
the last 30 days; a job, a model and an endpoint configuration deleted between listing and reading; a feature
group listed without its ARN), the transform on what it read (the chain from S3 through the training job, its
artefact, the model, to the endpoint and what it captures), the get on moto, and the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws

from collectors import sagemaker
from collectors.context import AwsContext
from lineage import arn as arns
from lineage.demo import training
from lineage.graph import build_graph
from lineage.model import EdgeKind, Facts, Node, Severity, stage_for
from lineage.rules import evaluate
from tests.collectors.recorded_answers import parsed, read_through, recorded

R, A = "eu-west-1", "111122223333"
SM = f"arn:aws:sagemaker:{R}:{A}"
ROLE = f"arn:aws:iam::{A}:role/service-role/AmazonSageMaker-ExecutionRole-ml"
KEY = f"arn:aws:kms:{R}:{A}:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
TRAINED, TRAINING = f"{SM}:training-job/churn-model-2025-03-02", f"{SM}:training-job/churn-model-2025-03-03"
PROCESSING = f"{SM}:processing-job/customer-features-2025-03-02"
SCORING = f"{SM}:transform-job/churn-scoring-2025-03-02"
MODEL, ENSEMBLE = f"{SM}:model/churn-model", f"{SM}:model/churn-ensemble"
ENDPOINT, CANARY, LEGACY = f"{SM}:endpoint/churn", f"{SM}:endpoint/churn-canary", f"{SM}:endpoint/legacy"
FEATURES = f"{SM}:feature-group/customer-features"
ARTIFACTS, CURATED = "ml-artifacts-111122223333", "curated-111122223333"
ARTEFACT = arns.s3_location_id(ARTIFACTS, "churn/churn-model-2025-03-02/output/model.tar.gz")
CAPTURE = arns.s3_location_id(ARTIFACTS, "capture/churn")
RECENT = {"CreationTimeAfter": ANY, "SortBy": "CreationTime", "SortOrder": "Descending", "MaxResults": 50}


def _describe(stub: Stubber, answers: dict[str, Any], operation: str, parameter: str, name: str) -> None:
    method = {"DescribeTrainingJob": "describe_training_job", "DescribeProcessingJob": "describe_processing_job",
              "DescribeTransformJob": "describe_transform_job", "DescribeModel": "describe_model",
              "DescribeEndpoint": "describe_endpoint", "DescribeEndpointConfig": "describe_endpoint_config",
              "DescribeFeatureGroup": "describe_feature_group"}[operation]
    if name in answers[operation]:
        stub.add_response(method, parsed("sagemaker", operation, answers[operation][name]), {parameter: name})
    else:  # deleted since it was listed, as AWS says it
        message = ("Requested resource not found." if operation == "DescribeTrainingJob"
                   else f"Could not find {operation[8:].lower()} '{name}'.")
        stub.add_client_error(method, "ValidationException", message, 400, expected_params={parameter: name})


def _stub_everything(stub: Stubber, answers: dict[str, Any]) -> None:
    first, second = answers["ListTrainingJobs"]
    stub.add_response("list_training_jobs", parsed("sagemaker", "ListTrainingJobs", first), RECENT)
    stub.add_response("list_training_jobs", parsed("sagemaker", "ListTrainingJobs", second),
                      {**RECENT, "NextToken": first["NextToken"]})
    for name in ("churn-model-2025-03-02", "churn-model-2025-03-01-deleted", "churn-model-2025-03-03"):
        _describe(stub, answers, "DescribeTrainingJob", "TrainingJobName", name)
    stub.add_response("list_processing_jobs", parsed("sagemaker", "ListProcessingJobs", answers["ListProcessingJobs"]),
                      RECENT)
    _describe(stub, answers, "DescribeProcessingJob", "ProcessingJobName", "customer-features-2025-03-02")
    stub.add_response("list_transform_jobs", parsed("sagemaker", "ListTransformJobs", answers["ListTransformJobs"]),
                      RECENT)
    _describe(stub, answers, "DescribeTransformJob", "TransformJobName", "churn-scoring-2025-03-02")
    stub.add_response("list_models", parsed("sagemaker", "ListModels", answers["ListModels"]), {})
    for name in ("Churn-Model", "churn-ensemble", "deleted-model"):
        _describe(stub, answers, "DescribeModel", "ModelName", name)
    stub.add_response("list_endpoints", parsed("sagemaker", "ListEndpoints", answers["ListEndpoints"]), {})
    for name in ("churn", "churn-canary", "legacy"):
        _describe(stub, answers, "DescribeEndpoint", "EndpointName", name)
    stub.add_response("list_feature_groups", parsed("sagemaker", "ListFeatureGroups", answers["ListFeatureGroups"]),
                      {})
    _describe(stub, answers, "DescribeFeatureGroup", "FeatureGroupName", "customer-features")
    # One DescribeEndpointConfig per configuration, however many endpoints share it.
    for name in ("churn-config", "legacy-config-2024"):
        _describe(stub, answers, "DescribeEndpointConfig", "EndpointConfigName", name)


def _context() -> tuple[AwsContext, Stubber]:
    ctx = AwsContext(boto3.Session(region_name=R), [R], workers=1, max_attempts=1)
    return ctx, Stubber(ctx.client("sagemaker", R))


def _well_formed() -> dict[str, Any]:
    answers = recorded("sagemaker")
    summaries = answers["ListFeatureGroups"]["FeatureGroupSummaries"]
    answers["ListFeatureGroups"]["FeatureGroupSummaries"] = [s for s in summaries if "FeatureGroupArn" in s]
    return answers


def _read() -> dict[str, Any]:
    ctx, stub = _context()
    _stub_everything(stub, _well_formed())
    return read_through(stub, ctx, sagemaker.get_sagemaker, R)


def _facts() -> Facts:
    return sagemaker.transform_sagemaker(_read(), A, R)


def _nodes(facts: Facts) -> dict[str, Node]:
    return {node.id: node for node in facts.nodes}


def _edges(facts: Facts) -> set[tuple[str, str, EdgeKind]]:
    return {(edge.source, edge.target, edge.kind) for edge in facts.edges}


# --- get and transform on recorded answers ----------------------------------------------------------


def test_recent_jobs_are_asked_for_newest_first_and_bounded() -> None:
    arguments = sagemaker._listing_arguments(sagemaker.TRAINING, datetime(2025, 3, 31, tzinfo=UTC))
    assert arguments["CreationTimeAfter"] == datetime(2025, 3, 31, tzinfo=UTC) - timedelta(days=sagemaker.RECENT_DAYS)
    assert arguments["PaginationConfig"] == {"MaxItems": sagemaker.MOST_JOBS, "PageSize": sagemaker.MOST_JOBS}
    assert (arguments["SortBy"], arguments["SortOrder"]) == ("CreationTime", "Descending")
    assert sagemaker._listing_arguments(sagemaker.MODELS, datetime(2025, 3, 31, tzinfo=UTC)) == {}


def test_what_was_deleted_meanwhile_is_left_out_and_every_other_resource_is_a_node() -> None:
    nodes = _nodes(_facts())
    assert {node_id for node_id in nodes if node_id.startswith(SM)} == {
        TRAINED, TRAINING, PROCESSING, SCORING, MODEL, ENSEMBLE, ENDPOINT, CANARY, LEGACY, FEATURES}
    assert {nodes[n].kind for n in (TRAINED, PROCESSING, SCORING, MODEL, ENDPOINT, FEATURES)} == {
        "sagemaker.training_job", "sagemaker.processing_job", "sagemaker.transform_job", "sagemaker.model",
        "sagemaker.endpoint", "sagemaker.feature_group"}
    assert all("unread" not in node.attributes for node in nodes.values())


def test_the_chain_from_s3_through_training_artefact_and_model_to_the_endpoint() -> None:
    facts = _facts()
    edges = _edges(facts)
    train = arns.s3_location_id(CURATED, "customers/features/train")
    assert {(train, TRAINED, EdgeKind.READS), (TRAINED, ARTEFACT, EdgeKind.WRITES),
            (ARTEFACT, MODEL, EdgeKind.READS), (MODEL, ENDPOINT, EdgeKind.READS),
            (ENSEMBLE, ENDPOINT, EdgeKind.READS),  # the shadow variant sees every request too
            (ENDPOINT, CAPTURE, EdgeKind.WRITES)} <= edges
    # The running job has no artefact yet: where it will write is all there is.
    assert (TRAINING, arns.s3_location_id(ARTIFACTS, "churn"), EdgeKind.WRITES) in edges
    assert (TRAINED, arns.s3_location_id(ARTIFACTS, "churn"), EdgeKind.WRITES) not in edges
    assert (TRAINED, arns.s3_location_id(ARTIFACTS, "checkpoints/churn"), EdgeKind.WRITES) in edges
    assert not any(edge.source.startswith("fs-") or "efs" in edge.source for edge in facts.edges)
    [evidence] = next(e for e in facts.edges if e.target == MODEL and e.source == ARTEFACT).evidence
    assert (evidence.operation, evidence.path) == ("sagemaker:DescribeModel", "PrimaryContainer.ModelDataUrl")


def test_jobs_keep_their_role_network_and_keys() -> None:
    nodes = _nodes(_facts())
    assert dict(nodes[TRAINED].attributes) == {
        "status": "Completed", "role": ROLE, "output_path": f"s3://{ARTIFACTS}/churn", "output_kms_key": KEY,
        "volume_kms_key": KEY, "in_vpc": True, "network_isolation": True, "inter_container_encryption": True}
    assert nodes[TRAINING].attributes["network_isolation"] is False and nodes[TRAINING].attributes["in_vpc"] is False
    processing = nodes[PROCESSING].attributes
    assert (processing["in_vpc"], processing["network_isolation"], processing["output_kms_key"]) == (
        True, False, "alias/ml-data")
    assert "hunter2" not in repr(processing) and "tok-not" not in repr(nodes[MODEL].attributes)


def test_a_processing_job_reads_the_tables_its_athena_query_names_and_writes_the_feature_group() -> None:
    facts = _facts()
    edges = _edges(facts)
    assert {(arns.glue_table_arn(R, A, "curated", "customers"), PROCESSING, EdgeKind.READS),
            (arns.glue_table_arn(R, A, "sales", "orders"), PROCESSING, EdgeKind.READS),
            (f"arn:aws:redshift:{R}:{A}:cluster:analytics-cluster", PROCESSING, EdgeKind.READS),
            (PROCESSING, arns.s3_location_id(ARTIFACTS, "athena-staging"), EdgeKind.WRITES),
            (PROCESSING, arns.s3_location_id(CURATED, "customers/features/train"), EdgeKind.WRITES),
            (PROCESSING, FEATURES, EdgeKind.WRITES),
            (arns.s3_location_id(ARTIFACTS, "code/features.py"), PROCESSING, EdgeKind.READS)} <= edges
    query = next(e for e in facts.edges if e.source == arns.glue_table_arn(R, A, "curated", "customers")).evidence[0]
    assert "'IE'" not in query.excerpt  # a literal may be personal data


def test_a_transform_job_reads_its_model_by_the_arn_aws_wrote() -> None:
    edges = _edges(_facts())
    assert {(MODEL, SCORING, EdgeKind.READS),
            (arns.s3_location_id(CURATED, "customers/scoring"), SCORING, EdgeKind.READS),
            (SCORING, arns.s3_location_id(ARTIFACTS, "scores"), EdgeKind.WRITES),
            (SCORING, arns.s3_location_id(ARTIFACTS, "batch-capture"), EdgeKind.WRITES)} <= edges


def test_endpoints_share_one_configuration_read_once_and_keep_their_capture() -> None:
    facts = _facts()
    nodes = _nodes(facts)
    assert dict(nodes[ENDPOINT].attributes["data_capture"]) == {
        "enabled": True, "status": "Started", "destination": f"s3://{ARTIFACTS}/capture/churn", "kms_key": KEY,
        "sampling_percentage": 20, "modes": ["Input", "Output"]}
    assert nodes[ENDPOINT].attributes["endpoint_config"] == "churn-config"
    assert nodes[ENDPOINT].attributes["volume_kms_key"] == KEY
    assert nodes[ENDPOINT].attributes["in_vpc"] is False  # its shadow model runs outside the VPC
    assert "in_vpc" not in nodes[LEGACY].attributes  # which models it runs is not known
    # Capture stopped on the canary: nothing is copied, though the configuration says capture.
    assert nodes[CANARY].attributes["data_capture"]["enabled"] is False
    assert (CANARY, CAPTURE, EdgeKind.WRITES) not in _edges(facts)
    assert (ENDPOINT, arns.s3_location_id(ARTIFACTS, "async-answers"), EdgeKind.WRITES) in _edges(facts)
    # A configuration deleted while its endpoint serves on: the endpoint stays, its models unknown.
    assert nodes[LEGACY].attributes["endpoint_config_deleted"] is True
    assert not [edge for edge in facts.edges if edge.target == LEGACY]


def test_a_feature_group_writes_its_offline_store_which_its_glue_table_is_stored_at() -> None:
    facts = _facts()
    group = _nodes(facts)[FEATURES]
    offline = arns.s3_location_id(ARTIFACTS, "feature-store/111122223333/sagemaker/eu-west-1/offline-store/"
                                             "customer-features-1736499600/data")
    table = arns.glue_table_arn(R, A, "sagemaker_featurestore", "customer_features_1736499600")
    assert {(FEATURES, offline, EdgeKind.WRITES), (table, offline, EdgeKind.STORED_AT)} <= _edges(facts)
    assert group.attributes["features"] == ["customer_id", "event_time", "email", "lifetime_value"]
    assert dict(group.attributes["online_store"]) == {"enabled": True, "kms_key": KEY}
    assert group.attributes["offline_store"]["table"] == "sagemaker_featurestore.customer_features_1736499600"
    assert group.stage.value == "storage"


def test_a_listed_item_without_its_arn_costs_only_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx, stub = _context()
    # Stubber refuses an answer its model would not parse from AWS; this one is malformed on purpose.
    monkeypatch.setattr(stub, "_validate_operation_response", lambda *_: None)
    _stub_everything(stub, recorded("sagemaker"))
    with stub:
        raw = sagemaker.get_sagemaker(ctx, R)
    ctx.close()
    [gap] = ctx.gaps
    assert (gap.operation, gap.service) == ("ListFeatureGroups", "sagemaker") and "FeatureGroupArn" in gap.error
    assert [r["Summary"]["FeatureGroupName"] for r in raw["FeatureGroups"]] == ["customer-features"]


def test_a_description_no_transform_expected_costs_only_its_resource() -> None:
    raw = _read()
    raw["TrainingJobs"][0]["Described"]["InputDataConfig"] = "not a list"
    facts = sagemaker.transform_sagemaker(raw, A, R)
    [gap] = facts.gaps
    assert (gap.operation, gap.resource) == ("DescribeTrainingJob", TRAINED)
    assert TRAINING in _nodes(facts) and ENDPOINT in _nodes(facts)


def test_an_undescribed_resource_keeps_what_its_listing_said() -> None:
    raw = _read()
    del raw["Endpoints"][0]["Described"], raw["Endpoints"][0]["Config"]
    endpoint = _nodes(sagemaker.transform_sagemaker(raw, A, R))[ENDPOINT]
    assert endpoint.observed and endpoint.attributes["unread"] == ["configuration"]
    assert endpoint.attributes["status"] == "InService"


# --- the get on moto ----------------------------------------------------------------------------------


def test_sagemaker_get_on_moto() -> None:
    with mock_aws():
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        ctx = AwsContext(session, ["us-east-1"])
        assert sagemaker.get_sagemaker(ctx, "us-east-1") == {"TrainingJobs": [], "ProcessingJobs": [],
                                                             "TransformJobs": [], "Models": [], "Endpoints": [],
                                                             "FeatureGroups": []}
        training.build(lambda service: session.client(service))
        raw = sagemaker.get_sagemaker(ctx, "us-east-1")
        ctx.close()
    assert ctx.gaps == []
    facts = sagemaker.transform_sagemaker(raw, "123456789012", "us-east-1")
    prefix = "arn:aws:sagemaker:us-east-1:123456789012"
    endpoint, model = f"{prefix}:endpoint/course-recommender", f"{prefix}:model/course-recommender"
    artefact = arns.s3_location_id(training.ARTIFACTS, f"models/{training.TRAINING_JOB}/output/model.tar.gz")
    assert {(arns.s3_location_id("lp-curated-data", "enrollments"), f"{prefix}:training-job/{training.TRAINING_JOB}",
             EdgeKind.READS),
            (f"{prefix}:training-job/{training.TRAINING_JOB}", artefact, EdgeKind.WRITES),
            (artefact, model, EdgeKind.READS), (model, endpoint, EdgeKind.READS),
            (endpoint, arns.s3_location_id(training.ARTIFACTS, "capture"), EdgeKind.WRITES),
            (f"{prefix}:processing-job/student-features-2025-01-15", f"{prefix}:feature-group/student-features",
             EdgeKind.WRITES)} <= _edges(facts)


# --- rules ------------------------------------------------------------------------------------------


LIFECYCLE, CUSTOMER_KEY, ISOLATION = ("sagemaker.data_capture_without_lifecycle",
                                      "sagemaker.data_capture_without_customer_key",
                                      "sagemaker.job_without_network_isolation")


def _bucket(lifecycle_rules: list[dict[str, Any]]) -> Node:
    return Node(arns.bucket_arn(ARTIFACTS), "s3.bucket", ARTIFACTS, stage_for("s3.bucket"), A, R, True,
                {"lifecycle_rules": lifecycle_rules})


def _found(facts: Facts, rule: str) -> dict[str, Any]:
    return {f.node: f for f in evaluate(build_graph([facts])).findings if f.rule == rule}


def _expiring(prefix: str) -> dict[str, Any]:
    return {"id": "expire", "enabled": True, "prefix": prefix, "expiration_days": 30}


def test_capture_to_a_place_no_lifecycle_covers_is_found_and_one_covered_is_not() -> None:
    facts = _facts()
    uncovered = Facts((_bucket([_expiring("scores/")]),)) + facts
    [finding] = _found(uncovered, LIFECYCLE).values()
    assert finding.node == ENDPOINT and f"s3://{ARTIFACTS}/capture/churn" in finding.message
    assert {e.operation for e in finding.evidence} >= {"sagemaker:DescribeEndpoint",
                                                       "s3:GetBucketLifecycleConfiguration"}
    assert _found(Facts((_bucket([_expiring("capture/")]),)) + facts, LIFECYCLE) == {}
    assert _found(facts, LIFECYCLE) == {}  # the bucket not read: its lifecycle unknown, nothing said


def test_capture_without_the_customers_key_is_found() -> None:
    raw = _read()
    assert _found(sagemaker.transform_sagemaker(raw, A, R), CUSTOMER_KEY) == {}  # the churn endpoint has one
    raw["Endpoints"][0]["Described"]["DataCaptureConfig"].pop("KmsKeyId")
    raw["Endpoints"][0]["Config"]["DataCaptureConfig"].pop("KmsKeyId")
    [finding] = _found(sagemaker.transform_sagemaker(raw, A, R), CUSTOMER_KEY).values()
    assert finding.node == ENDPOINT and finding.severity == Severity.LOW and "names no KMS key" in finding.message
    raw["Endpoints"][0]["Described"]["DataCaptureConfig"]["KmsKeyId"] = "alias/aws/s3"
    assert list(_found(sagemaker.transform_sagemaker(raw, A, R), CUSTOMER_KEY)) == [ENDPOINT]


def test_capture_under_a_key_kms_says_is_aws_managed_is_found() -> None:
    facts = _facts()
    described = Node(KEY, "kms.key", "aws/s3", stage_for("kms.key"), A, R, True,
                     {"manager": "AWS", "customer_key": False, "named_as": [KEY]})
    [finding] = _found(Facts((described,)) + facts, CUSTOMER_KEY).values()
    assert finding.node == ENDPOINT and f"names the AWS managed key {KEY}" in finding.message
    customers = Node(KEY, "kms.key", "ml-data", stage_for("kms.key"), A, R, True,
                     {"manager": "CUSTOMER", "customer_key": True, "named_as": [KEY]})
    assert _found(Facts((customers,)) + facts, CUSTOMER_KEY) == {}


def test_jobs_on_personal_data_without_network_isolation_are_found_and_isolated_ones_are_not() -> None:
    facts = _facts()
    assert _found(facts, ISOLATION) == {}  # isolation is off by default: judged where personal data arrives
    jobs = {n.id for n in facts.nodes if n.kind in ("sagemaker.training_job", "sagemaker.processing_job")}
    inputs = {parts[0] for e in facts.edges if e.target in jobs and (parts := arns.s3_parts(e.source))}
    labelled = Facts(tuple(Node(arns.bucket_arn(bucket), "s3.bucket", bucket, stage_for("s3.bucket"), A, R, True,
                                {"tags": {"lineage:pii": "email"}}) for bucket in sorted(inputs)))
    found = _found(labelled + facts, ISOLATION)
    assert set(found) == {TRAINING, PROCESSING}
    assert "outside any VPC" in found[TRAINING].message and "in a VPC" in found[PROCESSING].message


@pytest.mark.parametrize("rule", [LIFECYCLE, CUSTOMER_KEY, ISOLATION])
def test_a_resource_not_described_is_not_judged(rule: str) -> None:
    raw = _read()
    for key in ("TrainingJobs", "ProcessingJobs", "Endpoints"):
        for record in raw[key]:
            record.pop("Described", None)
            record.pop("Config", None)
    facts = Facts((_bucket([]),)) + sagemaker.transform_sagemaker(raw, A, R)
    assert _found(facts, rule) == {}
