"""One module per AWS service, each declaring its `COLLECTOR`: the calls it makes, get, transform."""

from __future__ import annotations

from collectors import (
    apigateway,
    appsync,
    athena,
    awslambda,
    bedrock,
    dynamodb,
    emr,
    emrserverless,
    events,
    firehose,
    glue,
    iam,
    kinesis,
    kms,
    lakeformation,
    logs,
    macie,
    pipes,
    quicksight,
    s3,
    sagemaker,
    scheduler,
    sns,
    sqs,
    stepfunctions,
)
from collectors.context import GET_CALLER_IDENTITY
from collectors.declarations import Call, Collector

COLLECTORS: tuple[Collector, ...] = (s3.COLLECTOR, events.COLLECTOR, stepfunctions.COLLECTOR, glue.COLLECTOR,
                                     athena.COLLECTOR, dynamodb.COLLECTOR, sqs.COLLECTOR, awslambda.COLLECTOR,
                                     lakeformation.COLLECTOR, macie.COLLECTOR, logs.COLLECTOR, kinesis.COLLECTOR,
                                     sns.COLLECTOR, firehose.COLLECTOR, scheduler.COLLECTOR, pipes.COLLECTOR,
                                     kms.COLLECTOR, iam.COLLECTOR, sagemaker.COLLECTOR,
                                     emr.COLLECTOR, emrserverless.COLLECTOR, bedrock.COLLECTOR, quicksight.COLLECTOR,
                                     apigateway.COLLECTOR, appsync.COLLECTOR)


def all_calls() -> tuple[Call, ...]:
    """Every AWS call a scan can make, the identity call first."""
    return (GET_CALLER_IDENTITY, *(call for collector in COLLECTORS for call in collector.calls))
