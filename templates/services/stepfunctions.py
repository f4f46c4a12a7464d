"""State machines in a template → `DescribeStateMachine` as the deployed machine answers it → the Step Functions
collector's transform (and through it the ASL parser).

The definition is what CloudFormation would deploy: `Definition` (an object), `DefinitionString`, or
`DefinitionS3Location` when its key names a file beside the template (as `aws cloudformation package` and
`sam package` upload one); `DefinitionSubstitutions` are applied. A substitution the template does not
determine stays `${Name}`, which the ASL parser reads as a value known only at run time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collectors import stepfunctions
from lineage.model import Facts
from templates.document import LOCAL_ARTIFACT_BUCKET, definition_beside
from templates.intrinsics import placeholder
from templates.services.common import as_text
from templates.stack import Placed, Stack, each_placed

TYPES = frozenset({"AWS::StepFunctions::StateMachine"})
_SUBSTITUTION = re.compile(r"\$\{([^}]+)\}")


def definition_text(placed: Placed, folder: Path | None) -> tuple[str, str]:
    """(the definition as deployed, a warning when it cannot be known from the template)."""
    properties = placed.properties
    if isinstance(properties.get("Definition"), Mapping):
        text = json.dumps(properties["Definition"])
    elif isinstance(properties.get("DefinitionString"), str):
        text = properties["DefinitionString"]
    elif properties.get("DefinitionS3Location") is not None:
        location = properties["DefinitionS3Location"]
        key = location.get("Key") if isinstance(location, Mapping) else location
        bucket = location.get("Bucket") if isinstance(location, Mapping) else LOCAL_ARTIFACT_BUCKET
        if not isinstance(key, str) or folder is None:
            return "", f"state machine {placed.logical_id}: its definition is in S3 ({json.dumps(location)[:200]})"
        document, why = definition_beside(folder, key)
        if document is None:
            where = f"s3://{bucket}/{key}" if bucket != LOCAL_ARTIFACT_BUCKET else key
            return "", f"state machine {placed.logical_id}: {why}" if bucket == LOCAL_ARTIFACT_BUCKET else (
                f"state machine {placed.logical_id}: its definition is in S3 ({where}), not beside the template")
        text = json.dumps(document)
    else:
        return "", f"state machine {placed.logical_id}: no definition"
    substitutions = properties.get("DefinitionSubstitutions")
    if isinstance(substitutions, Mapping) and substitutions:
        values = {str(k): as_text(v) for k, v in substitutions.items()}
        text = _SUBSTITUTION.sub(lambda m: values.get(m.group(1), placeholder(m.group(1))), text)
    return text, ""


def _logging(configuration: Any) -> dict[str, Any]:
    if not isinstance(configuration, Mapping):
        return {"level": "OFF"}
    destinations = []
    for destination in configuration.get("Destinations") or []:
        group = ((destination or {}).get("CloudWatchLogsLogGroup") or {}).get("LogGroupArn", "")
        destinations.append({"cloudWatchLogsLogGroup": {"logGroupArn": group}})
    return {"level": configuration.get("Level", "OFF"),
            "includeExecutionData": configuration.get("IncludeExecutionData") in (True, "true", "True"),
            "destinations": destinations}


def described(placed: Placed, folder: Path | None) -> tuple[dict[str, Any], str]:
    """`DescribeStateMachine` of the deployed machine, and a warning when its definition is not known."""
    properties = placed.properties
    definition, warning = definition_text(placed, folder)
    encryption = properties.get("EncryptionConfiguration")
    answer: dict[str, Any] = {
        "stateMachineArn": placed.id,
        "name": placed.name,
        "type": properties.get("StateMachineType", "STANDARD"),
        "status": "ACTIVE",
        "roleArn": properties.get("RoleArn", ""),
        "definition": definition,
        "loggingConfiguration": _logging(properties.get("LoggingConfiguration")),
        "tracingConfiguration": {"enabled": (properties.get("TracingConfiguration") or {}).get("Enabled")
                                 in (True, "true", "True")},
    }
    if isinstance(encryption, Mapping):
        answer["encryptionConfiguration"] = {"type": encryption.get("Type", "AWS_OWNED_KEY"),
                                             "kmsKeyId": encryption.get("KmsKeyId")}
    return answer, warning


def facts(stack: Stack) -> Facts:
    folder = Path(stack.template.path).parent if stack.template.path else None
    records = []
    for record, warning in each_placed(stack, TYPES, lambda placed: described(placed, folder)):
        if warning:
            stack.warnings.append(warning)
        records.append(record)
    return stepfunctions.transform_state_machines(records, stack.account, stack.region)
