"""The least-privilege IAM policy of the scanner: read-only, and exactly the calls it makes."""

from __future__ import annotations

import json
from typing import Any

# API operation (as the scan counts it) → IAM action, where the two names differ.
_ACTION_BY_OPERATION = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification",
}

# Every operation the collectors call. A test scans the demo estate and fails when a call is missing.
SCANNER_OPERATIONS = (
    "sts:GetCallerIdentity",
    "s3:ListBuckets", "s3:GetBucketLocation", "s3:GetBucketLifecycleConfiguration", "s3:GetBucketEncryption",
    "s3:GetPublicAccessBlock", "s3:GetBucketPolicy", "s3:GetBucketVersioning", "s3:GetBucketTagging",
    "s3:GetBucketNotificationConfiguration",
    "events:ListEventBuses", "events:DescribeEventBus", "events:ListRules", "events:ListTargetsByRule",
    "states:ListStateMachines", "states:DescribeStateMachine",
    "glue:GetDatabases", "glue:GetTables", "glue:GetCrawlers", "glue:GetJobs", "glue:GetTriggers",
    "glue:ListWorkflows", "glue:GetSecurityConfigurations", "glue:GetDataCatalogEncryptionSettings",
    "athena:ListWorkGroups", "athena:GetWorkGroup", "athena:ListNamedQueries", "athena:GetNamedQuery",
)

_READ_PREFIXES = ("Get", "List", "Describe", "BatchGet")


def action_for(operation: str) -> str:
    return _ACTION_BY_OPERATION.get(operation, operation)


def is_read(action: str) -> bool:
    return action.split(":", 1)[1].startswith(_READ_PREFIXES)


def scanner_policy() -> dict[str, Any]:
    actions = sorted({action_for(operation) for operation in SCANNER_OPERATIONS})
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "LineageTrackerReadOnly", "Effect": "Allow", "Action": actions, "Resource": "*"}],
    }


def policy_json() -> str:
    return json.dumps(scanner_policy(), indent=2) + "\n"
