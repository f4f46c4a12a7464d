"""The demo's batch part: the clusters and serverless jobs that turn curated data into what the platform uses,
and the analysts' saved work in Athena.

An EMR cluster, `course-recommendations`, runs a Spark step that reads the curated enrollments (which hold
student e-mail addresses) and writes course recommendations beside them; a second cluster,
`engagement-aggregates`, aggregates the raw clickstream under a security configuration that encrypts at rest
and in transit. An EMR Serverless application, `engagement-scoring`, scores the clickstream into the curated
bucket. The analysts keep a prepared statement, `course_roster`, in the `analytics` workgroup (beside the
named query `weekly-completions` of the main estate).

Left open on purpose: `course-recommendations` runs without a security configuration (nothing encrypts its
disks or the traffic between its nodes), and EMR's block public access lets the YARN web interface (port 8088)
be opened to the internet.
"""

from __future__ import annotations

import json

from lineage.demo import ACCOUNT, CURATED, RAW, TEMP, ClientFactory

RECOMMENDATIONS_CLUSTER = "course-recommendations"
AGGREGATES_CLUSTER = "engagement-aggregates"
SECURITY_CONFIGURATION = "lp-encrypted"
SERVERLESS_APPLICATION = "engagement-scoring"
PREPARED_STATEMENT = "course_roster"
_ROLE_NAME = "learning-platform-role"  # the main estate's role
_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{_ROLE_NAME}"
_RELEASE = "emr-7.1.0"
_SUBNET = "subnet-0a1b2c3d4e5f60718"  # EMR needs a subnet; moto does not check that it exists


def _spark_step(name: str, script: str, arguments: list[str]) -> dict[str, object]:
    return {"Name": name, "ActionOnFailure": "CONTINUE", "HadoopJarStep": {
        "Jar": "command-runner.jar",
        "Args": ["spark-submit", "--deploy-mode", "cluster", f"s3://{TEMP}/scripts/{script}", *arguments]}}


def _cluster(name: str, step: dict[str, object], security_configuration: str | None) -> dict[str, object]:
    return {
        "Name": name, "ReleaseLabel": _RELEASE, "LogUri": f"s3://{TEMP}/emr-logs/",
        "ServiceRole": _ROLE_NAME, "JobFlowRole": _ROLE_NAME, "Applications": [{"Name": "Spark"}],
        "Instances": {"MasterInstanceType": "m5.xlarge", "SlaveInstanceType": "m5.xlarge", "InstanceCount": 3,
                      "KeepJobFlowAliveWhenNoSteps": True, "Ec2SubnetId": _SUBNET},
        "Steps": [step], "Tags": [{"Key": "team", "Value": "data-science"}],
        **({"SecurityConfiguration": security_configuration} if security_configuration else {}),
    }


def _encrypted_everywhere() -> str:
    return json.dumps({"EncryptionConfiguration": {
        "EnableAtRestEncryption": True, "EnableInTransitEncryption": True,
        "AtRestEncryptionConfiguration": {
            "S3EncryptionConfiguration": {"EncryptionMode": "SSE-KMS", "AwsKmsKey": "alias/lp-emr"},
            "LocalDiskEncryptionConfiguration": {"EncryptionKeyProviderType": "AwsKms", "AwsKmsKey": "alias/lp-emr",
                                                 "EnableEbsEncryption": True}},
        "InTransitEncryptionConfiguration": {"TLSCertificateConfiguration": {
            "CertificateProviderType": "PEM", "S3Object": f"s3://{TEMP}/certificates/emr.zip"}}}})


def build(client: ClientFactory) -> None:
    emr = client("emr")
    # Left open on purpose: block public access is on, but excepts the YARN web interface (8088) beside SSH, so a
    # cluster's security group may open it to the internet. (moto stores any BlockPublicSecurityGroupRules as
    # true, so "off" itself cannot be shown here.)
    emr.put_block_public_access_configuration(BlockPublicAccessConfiguration={
        "BlockPublicSecurityGroupRules": True,
        "PermittedPublicSecurityGroupRuleRanges": [{"MinRange": 22, "MaxRange": 22},
                                                   {"MinRange": 8088, "MaxRange": 8088}]})
    emr.create_security_configuration(Name=SECURITY_CONFIGURATION, SecurityConfiguration=_encrypted_everywhere())
    # Left open on purpose: no security configuration.
    emr.run_job_flow(**_cluster(RECOMMENDATIONS_CLUSTER, _spark_step(
        "recommend-courses", "recommend.py",
        ["--input", f"s3://{CURATED}/enrollments/", "--output", f"s3://{CURATED}/recommendations/"]), None))
    emr.run_job_flow(**_cluster(AGGREGATES_CLUSTER, _spark_step(
        "aggregate-engagement", "aggregate.py",
        ["--source_path", f"s3://{RAW}/landing/clickstream/", "--target_path", f"s3://{CURATED}/engagement/"]),
        SECURITY_CONFIGURATION))

    serverless = client("emr-serverless")
    application = serverless.create_application(name=SERVERLESS_APPLICATION, releaseLabel=_RELEASE, type="SPARK")
    serverless.start_job_run(
        applicationId=application["applicationId"], executionRoleArn=_ROLE, name="score-engagement",
        jobDriver={"sparkSubmit": {
            "entryPoint": f"s3://{TEMP}/scripts/score.py",
            "entryPointArguments": ["--source", f"s3://{RAW}/landing/clickstream/",
                                    "--output", f"s3://{CURATED}/engagement-scores/"],
            "sparkSubmitParameters": "--conf spark.executor.cores=2"}},
        configurationOverrides={"monitoringConfiguration": {"s3MonitoringConfiguration": {
            "logUri": f"s3://{TEMP}/emr-serverless-logs/"}}})

    client("athena").create_prepared_statement(
        StatementName=PREPARED_STATEMENT, WorkGroup="analytics",
        QueryStatement="SELECT student_email, completed_at FROM curated.enrollments WHERE course_id = ?")
