"""KMS: for each key that what the scan read names (a bucket's default key, a queue's, a table's, a log
group's…), whose key it is — the customer's or AWS's — and whether its material rotates.

Keys are not listed: an account holds keys nothing on a flow uses, and a key's facts matter only where
data rests under it. The keys are found in the other collectors' facts (`keys_named`), after they ran,
and each is read once (`DescribeKey`, `GetKeyRotationStatus`). A key in another account is not read: its
policy, not the scanning role, decides who may describe it, and the attempt would only be a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from collectors.context import AwsContext, each_resource, is_absent, is_gone, one_node_per_resource
from collectors.declarations import Call, Collector, Wanted
from lineage import arn as arns
from lineage.model import Facts, Node, stage_for

KIND = "kms.key"
_GONE = ("NotFoundException",)
DESCRIBE_KEY = Call("kms", "describe_key", required=("KeyMetadata.KeyId", "KeyMetadata.Arn"), gone=_GONE)
# Asymmetric and HMAC keys do not rotate; a key pending deletion or disabled cannot say: not configured.
GET_KEY_ROTATION_STATUS = Call("kms", "get_key_rotation_status", required=("KeyRotationEnabled",), gone=_GONE,
                               absent=("UnsupportedOperationException", "KMSInvalidStateException"))


def _key_references(value: Any) -> Iterable[str]:
    """Every string under an attribute whose name says it holds a KMS key (`kms_key`, `replica_kms_key`)."""
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if isinstance(inner, str) and str(key).endswith("kms_key"):
                yield inner
            else:
                yield from _key_references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _key_references(inner)


def keys_named(facts: Iterable[Facts], account: str) -> list[Node]:
    """The keys that observed nodes of this account name, as unobserved nodes (id: the reference as an ARN)."""
    named: dict[str, Node] = {}
    for batch in facts:
        for node in batch.nodes:
            if not node.observed or node.kind == KIND:
                continue
            for reference in _key_references(node.attributes):
                key_id = arns.kms_key_reference(reference, node.region, node.account or account)
                parsed = arns.parse_arn(key_id) if key_id else None
                if key_id and parsed and parsed.account == account and key_id not in named:
                    named[key_id] = arns.referenced_node(key_id, KIND)
    return list(named.values())


def get_kms(_ctx: AwsContext, _region: str) -> list[dict[str, Any]]:
    return []  # nothing is listed: `get_named_keys` reads what the other facts name


def get_named_keys(ctx: AwsContext, region: str, wanted: Wanted) -> list[dict[str, Any]]:
    def read(reference: str) -> dict[str, Any] | None:
        described = ctx.call(DESCRIBE_KEY, region, reference, KeyId=reference)
        if described is None or is_gone(described):
            return None  # a gap already, or a key deleted: nothing to say of it
        record: dict[str, Any] = {"Reference": reference, "KeyMetadata": described["KeyMetadata"]}
        key_id = described["KeyMetadata"]["KeyId"]
        rotation = ctx.call(GET_KEY_ROTATION_STATUS, region, key_id, KeyId=key_id)
        if rotation is not None and not is_gone(rotation):
            record["Rotation"] = None if is_absent(rotation) else rotation
        return record

    records = ctx.map(read, sorted(wanted.get(KIND, ())))
    return [record for record in records if record is not None]


def transform_key(record: dict[str, Any], account: str, region: str) -> Node:
    metadata = record["KeyMetadata"]
    attributes: dict[str, Any] = {
        "manager": metadata.get("KeyManager", ""),  # AWS or CUSTOMER
        "customer_key": metadata.get("KeyManager") == "CUSTOMER",
        "state": metadata.get("KeyState", ""),
        "spec": metadata.get("KeySpec", ""),
        "origin": metadata.get("Origin", ""),
        "named_as": [record["Reference"]],
    }
    if "Rotation" not in record:
        attributes["unread"] = ["rotation"]
    elif record["Rotation"] is None:
        attributes["rotation"] = {"applies": False}
    else:
        rotation = record["Rotation"]
        attributes["rotation"] = {"applies": True, "enabled": bool(rotation["KeyRotationEnabled"]),
                                  "period_days": rotation.get("RotationPeriodInDays")}
    name = str(metadata.get("Description") or "") or metadata["KeyId"]
    return Node(metadata["Arn"], KIND, name[:120], stage_for(KIND), metadata.get("AWSAccountId") or account, region,
                True, attributes)


def transform_kms(records: list[dict[str, Any]], account: str, region: str) -> Facts:
    """One node per key, however many references named it (an alias and the key's ARN are one key)."""
    facts = each_resource(records, lambda record: Facts((transform_key(record, account, region),)), DESCRIBE_KEY,
                          lambda record: record.get("Reference", ""), region)
    return one_node_per_resource(facts)


COLLECTOR = Collector(
    service="kms", label="KMS keys",
    calls=(DESCRIBE_KEY, GET_KEY_ROTATION_STATUS),
    get=get_kms, transform=transform_kms, get_named=get_named_keys, named_in=keys_named,
)
