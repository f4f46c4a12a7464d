"""DynamoDB tables in a template → `DescribeTable`, `DescribeTimeToLive`, `DescribeContinuousBackups`,
`DescribeKinesisStreamingDestination` and `ListTagsOfResource` as the deployed table answers them → the DynamoDB
collector's transform.

Where the template is silent a table gets what DynamoDB gives every new table: encryption under a key AWS owns
(no `SSEDescription`), no time to live, no point-in-time recovery; `aws_defaults` says which. `SSEEnabled` without
a key is the account's AWS managed key, named here by its alias (`alias/aws/dynamodb`), since only KMS knows its
id. A stream's label is the time it was made, so its ARN keeps a placeholder there. A global table
(`AWS::DynamoDB::GlobalTable`) is read as its replica in the region the template is placed in, writing to the
replicas in the others.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import dynamodb
from lineage import arn as arns
from lineage.model import Facts
from templates.intrinsics import is_determined, placeholder
from templates.services.common import finished, is_true, list_of, mapping_of, tag_map
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"})
AWS_MANAGED_KEY = "alias/aws/dynamodb"


def _replica(table: Placed, region: str) -> Mapping[str, Any]:
    """A global table's replica in `region`, whose settings join the table's; {} for a table."""
    replicas = [r for r in list_of(table.properties.get("Replicas")) if isinstance(r, Mapping)]
    return next((r for r in replicas if r.get("Region") == region), {})


# How a piece of configuration came to be: written in the template, AWS's default, or left to a value nobody gave.
WRITTEN, DEFAULT, UNKNOWN = "written", "default", "unknown"


def _origin(specification: Any, switch: str) -> str:
    """Whether a specification (`{…, Enabled: …}`) is AWS's default, written, or left to deployment."""
    if specification is None:
        return DEFAULT
    value = specification.get(switch) if isinstance(specification, Mapping) else specification
    return WRITTEN if is_determined(value) else UNKNOWN


def _sse(properties: Mapping[str, Any], replica: Mapping[str, Any], region: str, account: str
         ) -> tuple[dict[str, Any] | None, str]:
    """(`SSEDescription`, how it came to be); None for a table under AWS's own key, of which DescribeTable says
    nothing."""
    written = properties.get("SSESpecification")
    specification = mapping_of(written)
    if not is_true(specification.get("SSEEnabled")):
        return None, _origin(written, "SSEEnabled")
    key = mapping_of(replica.get("SSESpecification")).get("KMSMasterKeyId") or specification.get("KMSMasterKeyId")
    named = str(key) if key else AWS_MANAGED_KEY
    arn = arns.kms_key_reference(named, region, account) or named
    return {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": arn}, WRITTEN


def _ttl(written: Any) -> tuple[dict[str, Any], str]:
    """(`DescribeTimeToLive`'s `TimeToLiveDescription`, how it came to be)."""
    ttl = mapping_of(written)
    if is_true(ttl.get("Enabled")):
        return {"TimeToLiveStatus": "ENABLED", "AttributeName": str(ttl.get("AttributeName", ""))}, WRITTEN
    return {"TimeToLiveStatus": "DISABLED"}, _origin(written, "Enabled")


def _recovery(written: Any) -> tuple[dict[str, Any], str]:
    """(`DescribeContinuousBackups`' `ContinuousBackupsDescription`, how it came to be)."""
    status = "ENABLED" if is_true(mapping_of(written).get("PointInTimeRecoveryEnabled")) else "DISABLED"
    description = {"ContinuousBackupsStatus": "ENABLED",
                   "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": status}}
    return description, _origin(written, "PointInTimeRecoveryEnabled")


def table_record(table: Placed, region: str, account: str) -> tuple[dict[str, Any], list[str], list[str]]:
    """(the answers a scan records for the deployed table, the configuration AWS's defaults gave, what the
    template leaves to a value nobody gave)."""
    properties = table.properties
    global_table = table.type == "AWS::DynamoDB::GlobalTable"
    replica = _replica(table, region) if global_table else {}
    described: dict[str, Any] = {
        "TableName": table.name, "TableArn": table.id, "TableStatus": "ACTIVE",
        "KeySchema": list_of(properties.get("KeySchema")),
        "AttributeDefinitions": list_of(properties.get("AttributeDefinitions")),
        "BillingModeSummary": {"BillingMode": str(properties.get("BillingMode") or "PROVISIONED")},
        "DeletionProtectionEnabled": is_true(replica.get("DeletionProtectionEnabled",
                                                       properties.get("DeletionProtectionEnabled"))),
    }
    sse, sse_origin = _sse(properties, replica, region, account)
    if sse is not None:
        described["SSEDescription"] = sse
    view = mapping_of(properties.get("StreamSpecification")).get("StreamViewType")
    if view:
        described["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": str(view)}
        described["LatestStreamLabel"] = placeholder("LatestStreamLabel")
        described["LatestStreamArn"] = f"{table.id}/stream/{described['LatestStreamLabel']}"
    if global_table:
        described["Replicas"] = [{"RegionName": str(r.get("Region")), "ReplicaStatus": "ACTIVE"}
                                 for r in list_of(properties.get("Replicas")) if isinstance(r, Mapping)]
    ttl, ttl_origin = _ttl(properties.get("TimeToLiveSpecification"))
    recovery, recovery_origin = _recovery(replica.get("PointInTimeRecoverySpecification")
                                          or properties.get("PointInTimeRecoverySpecification"))
    kinesis = mapping_of(replica.get("KinesisStreamSpecification") or properties.get("KinesisStreamSpecification"))
    tags = replica.get("Tags") if global_table else properties.get("Tags")
    record = {"Table": described, "TimeToLiveDescription": ttl, "ContinuousBackupsDescription": recovery,
              "KinesisDataStreamDestinations": [{"StreamArn": str(kinesis["StreamArn"]), "DestinationStatus": "ACTIVE"}]
              if kinesis.get("StreamArn") else [],
              "Tags": tag_map(tags)}
    origins = {"encryption": sse_origin, "ttl": ttl_origin, "point_in_time_recovery": recovery_origin}
    return (record, [name for name, origin in origins.items() if origin == DEFAULT],
            [name for name, origin in origins.items() if origin == UNKNOWN])


def facts(stack: Stack) -> Facts:
    records, defaults, unknown = [], {}, {}
    for placed in stack.placed.values():
        if placed.type in TYPES:
            record, defaults[placed.id], unknown[placed.id] = table_record(placed, stack.region, stack.account)
            records.append(record)
    return finished(dynamodb.transform_dynamodb(records, stack.account, stack.region), defaults, unknown)


