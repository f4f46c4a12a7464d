"""One module per service, each turning its resource types into the answers its collector's transform reads.

Each module declares `TYPES` (the CloudFormation types it reads) and `facts(stack)`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from lineage.model import Facts
from templates.services import (
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
    kinesis,
    kms,
    lakeformation,
    logs,
    pipes,
    quicksight,
    s3,
    sagemaker,
    scheduler,
    sns,
    sqs,
    stepfunctions,
)
from templates.stack import Stack

SERVICES: tuple[ModuleType, ...] = (s3, stepfunctions, events, glue, athena, lakeformation, sqs, sns, awslambda,
                                   dynamodb, logs, kinesis, firehose, kms, scheduler, pipes, apigateway, appsync,
                                   bedrock, sagemaker, emr, emrserverless, quicksight)


def read_types() -> frozenset[str]:
    """Every resource type some service reads; the others are kept as nodes of their own."""
    return frozenset(t for service in SERVICES for t in service.TYPES)


def readers() -> tuple[tuple[str, Callable[[Stack], Facts]], ...]:
    return tuple((service.__name__.rsplit(".", 1)[-1], service.facts) for service in SERVICES)
