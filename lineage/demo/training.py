"""The demo's training part: the platform learns from its enrollments to recommend courses.

A training job reads the curated enrollments (which hold student e-mail addresses) and writes its model
artefact to a bucket of its own, `lp-ml-artifacts`; a model loads that artefact and an endpoint,
`course-recommender`, serves it, copying every request and answer to `capture/` in the same bucket. A
processing job builds the `student-features` feature group from the curated table through an Athena query,
and a nightly batch transform scores the enrollments with the model.

Left open on purpose: the captured requests are kept for ever (the bucket's lifecycle covers the Athena
staging and the recommendations, not `capture/`) under AWS's key rather than the platform's, and the
training job runs without network isolation (its container could send what it reads anywhere). The
processing job is isolated, so the rule about isolation has something to stay quiet about.
"""

from __future__ import annotations

from typing import Any

from lineage.demo import ACCOUNT, CURATED, REGION, ClientFactory, _tls_only

ARTIFACTS = "lp-ml-artifacts"
ENDPOINT = "course-recommender"
MODEL = "course-recommender"
FEATURE_GROUP = "student-features"
TRAINING_JOB = "course-recommender-2025-01-15"
_ROLE = f"arn:aws:iam::{ACCOUNT}:role/learning-platform-role"  # the main estate's role
_XGBOOST = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-xgboost:1.7-1"  # AWS's own image
_PROCESSING_IMAGE = f"683313688378.dkr.ecr.{REGION}.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
_INSTANCE = {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}


def _bucket(client: ClientFactory) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket=ARTIFACTS)
    s3.put_bucket_encryption(Bucket=ARTIFACTS, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_bucket_policy(Bucket=ARTIFACTS, Policy=_tls_only(ARTIFACTS))
    s3.put_public_access_block(Bucket=ARTIFACTS, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    # Staging and scores expire; `capture/` (every request to the endpoint) is left out: kept for ever.
    s3.put_bucket_lifecycle_configuration(Bucket=ARTIFACTS, LifecycleConfiguration={"Rules": [
        {"ID": "expire-athena-staging", "Status": "Enabled", "Filter": {"Prefix": "athena-staging/"},
         "Expiration": {"Days": 7}},
        {"ID": "expire-recommendations", "Status": "Enabled", "Filter": {"Prefix": "recommendations/"},
         "Expiration": {"Days": 90}},
    ]})


def _train(sagemaker: Any) -> str:
    """The training job; the artefact it wrote, as AWS names it."""
    sagemaker.create_training_job(
        TrainingJobName=TRAINING_JOB, RoleArn=_ROLE,
        AlgorithmSpecification={"TrainingImage": _XGBOOST, "TrainingInputMode": "File"},
        InputDataConfig=[{"ChannelName": "train", "DataSource": {"S3DataSource": {
            "S3DataType": "S3Prefix", "S3Uri": f"s3://{CURATED}/enrollments/",
            "S3DataDistributionType": "FullyReplicated"}}}],
        OutputDataConfig={"S3OutputPath": f"s3://{ARTIFACTS}/models"},
        ResourceConfig=_INSTANCE, StoppingCondition={"MaxRuntimeInSeconds": 3600},
        EnableNetworkIsolation=False, EnableInterContainerTrafficEncryption=False,
    )
    described = sagemaker.describe_training_job(TrainingJobName=TRAINING_JOB)
    return str(described["ModelArtifacts"]["S3ModelArtifacts"])


def _serve(sagemaker: Any, artefact: str) -> None:
    sagemaker.create_model(
        ModelName=MODEL, ExecutionRoleArn=_ROLE, PrimaryContainer={"Image": _XGBOOST, "ModelDataUrl": artefact})
    sagemaker.create_endpoint_config(
        EndpointConfigName=f"{ENDPOINT}-config",
        ProductionVariants=[{"VariantName": "primary", "ModelName": MODEL, "InitialInstanceCount": 1,
                             "InstanceType": "ml.m5.large"}],
        # No KmsKeyId: captured requests are encrypted under the account's AWS managed key for S3.
        DataCaptureConfig={"EnableCapture": True, "InitialSamplingPercentage": 100,
                           "DestinationS3Uri": f"s3://{ARTIFACTS}/capture/",
                           "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]},
    )
    sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=f"{ENDPOINT}-config")
    sagemaker.create_transform_job(
        TransformJobName="course-recommender-batch-2025-01-15", ModelName=MODEL,
        TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                                        "S3Uri": f"s3://{CURATED}/enrollments/"}}},
        TransformOutput={"S3OutputPath": f"s3://{ARTIFACTS}/recommendations/"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
    )


def _features(sagemaker: Any) -> None:
    # moto requires an offline store (so does this story: the features' history rests in S3).
    sagemaker.create_feature_group(
        FeatureGroupName=FEATURE_GROUP, RecordIdentifierFeatureName="student_id", EventTimeFeatureName="event_time",
        FeatureDefinitions=[{"FeatureName": "student_id", "FeatureType": "String"},
                            {"FeatureName": "event_time", "FeatureType": "String"},
                            {"FeatureName": "courses_completed", "FeatureType": "Integral"},
                            {"FeatureName": "student_email", "FeatureType": "String"}],
        OnlineStoreConfig={"EnableOnlineStore": True},
        OfflineStoreConfig={"S3StorageConfig": {"S3Uri": f"s3://{ARTIFACTS}/features"}},
        RoleArn=_ROLE,
    )
    sagemaker.create_processing_job(
        ProcessingJobName="student-features-2025-01-15", RoleArn=_ROLE,
        AppSpecification={"ImageUri": _PROCESSING_IMAGE},
        ProcessingResources={"ClusterConfig": _INSTANCE},
        ProcessingInputs=[{"InputName": "enrollments", "DatasetDefinition": {
            "AthenaDatasetDefinition": {
                "Catalog": "AwsDataCatalog", "Database": "curated", "WorkGroup": "analytics",
                "QueryString": "SELECT student_id, student_email, count(*) AS courses_completed FROM enrollments "
                               "WHERE completed_at IS NOT NULL GROUP BY student_id, student_email",
                "OutputS3Uri": f"s3://{ARTIFACTS}/athena-staging/", "OutputFormat": "PARQUET"},
            "LocalPath": "/opt/ml/processing/input", "DataDistributionType": "FullyReplicated", "InputMode": "File"}}],
        ProcessingOutputConfig={"Outputs": [{"OutputName": "features",
                                             "FeatureStoreOutput": {"FeatureGroupName": FEATURE_GROUP}}]},
        NetworkConfig={"EnableNetworkIsolation": True, "EnableInterContainerTrafficEncryption": True},
        StoppingCondition={"MaxRuntimeInSeconds": 3600},
    )


def build(client: ClientFactory) -> None:
    """The artefacts bucket, the training job and what serves its model, and the feature group."""
    _bucket(client)
    sagemaker = client("sagemaker")
    _serve(sagemaker, _train(sagemaker))
    _features(sagemaker)
