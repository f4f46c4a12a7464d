"""KMS keys in a template → `DescribeKey` and `GetKeyRotationStatus` as the deployed key answers them → the KMS
collector's transform.

A scan reads a key only where something it read names it; a template's key is read whatever names it, since
the template defines it (its rotation is judged by `kms.key_rotation_off`, and what rests under it is found by
the references the other services' nodes make). Each alias (`AWS::KMS::Alias`) is one more name of its key, as
`DescribeKey` on an alias answers with the key. Where the template is silent a key is a symmetric encryption
key whose material does not rotate (rotation is off for a new key): `aws_defaults` says so.
"""

from __future__ import annotations

from typing import Any

from collectors import kms
from lineage.model import Facts
from templates.intrinsics import is_determined
from templates.services.common import by_owner, finished, is_true
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::KMS::Key", "AWS::KMS::Alias"})
SYMMETRIC = "SYMMETRIC_DEFAULT"
DEFAULT_ROTATION_DAYS = 365


def key_records(key: Placed, aliases: list[str], account: str) -> tuple[list[dict[str, Any]], list[str]]:
    """(a record for each name the key is read by — its ARN, each alias's — the configuration AWS's defaults
    gave)."""
    properties = key.properties
    defaults: list[str] = []
    spec = str(properties.get("KeySpec") or "")
    if not spec:
        spec = SYMMETRIC
        defaults.append("spec")
    usage = str(properties.get("KeyUsage") or ("ENCRYPT_DECRYPT" if spec == SYMMETRIC else ""))
    enabled = is_true(properties.get("Enabled", True))
    metadata: dict[str, Any] = {
        "AWSAccountId": account, "KeyId": key.name, "Arn": key.id, "Enabled": enabled,
        "KeyState": "Enabled" if enabled else "Disabled", "KeyManager": "CUSTOMER", "KeySpec": spec,
        "KeyUsage": usage, "Origin": str(properties.get("Origin") or "AWS_KMS"),
        "Description": str(properties.get("Description") or ""), "MultiRegion": is_true(properties.get("MultiRegion")),
    }
    # Only symmetric encryption keys of KMS's own material rotate; of the others GetKeyRotationStatus says nothing.
    answers: dict[str, Any] = {"Rotation": None}
    if spec == SYMMETRIC and metadata["Origin"] == "AWS_KMS":
        if "EnableKeyRotation" not in properties:
            defaults.append("rotation")
        rotates = is_true(properties.get("EnableKeyRotation"))
        rotation: dict[str, Any] = {"KeyRotationEnabled": rotates}
        if rotates:
            period = properties.get("RotationPeriodInDays", DEFAULT_ROTATION_DAYS)
            rotation["RotationPeriodInDays"] = int(period) if str(period).isdigit() else period
        answers = {"Rotation": rotation}
    records = [{"Reference": reference, "KeyMetadata": metadata, **answers} for reference in [key.id, *aliases]]
    return records, defaults


def _aliases(stack: Stack) -> dict[str, list[str]]:
    """Each alias as an ARN (the form references take), by the key it names: its ARN, or its id."""
    return {target: [p.id for p in placed]
            for target, placed in by_owner(stack, "AWS::KMS::Alias", "TargetKeyId", None,
                                           "alias {}: names no key").items()}


def facts(stack: Stack) -> Facts:
    aliases = _aliases(stack)
    records, defaults, unknown = [], {}, {}
    for placed in stack.placed.values():
        if placed.type != "AWS::KMS::Key":
            continue
        named = sorted({*aliases.get(placed.id, ()), *aliases.get(placed.name, ())})
        said_records, defaults[placed.id] = key_records(placed, named, stack.account)
        records += said_records
        if not is_determined(placed.properties.get("EnableKeyRotation")):
            unknown[placed.id] = ["rotation"]
    read = kms.transform_kms(records, stack.account, stack.region)
    return finished(read, defaults, unknown)


