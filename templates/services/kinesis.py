"""Kinesis data streams in a template → `ListStreams`, `DescribeStreamSummary`, `ListStreamConsumers` and
`ListTagsForStream` as the deployed streams answer them → the Kinesis collector's transform.

Where the template is silent a stream is made as Kinesis makes it: unencrypted (CloudFormation starts encryption
only for `StreamEncryption`), its records kept 24 hours, in PROVISIONED mode; `aws_defaults` says which. A
retention left to a parameter nobody gave is unknown, not the default. Consumers (`AWS::Kinesis::StreamConsumer`)
are named on their stream, as the collector names them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import kinesis
from lineage.model import Facts
from templates.intrinsics import is_determined
from templates.services.common import finished, tag_map
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::Kinesis::Stream", "AWS::Kinesis::StreamConsumer"})
DEFAULT_RETENTION_HOURS = 24
_ON_DEMAND_SHARDS = 4  # what an on-demand stream starts with


def stream_record(stream: Placed, consumers: list[str]) -> tuple[dict[str, Any], list[str], list[str]]:
    """(the answers a scan records for the deployed stream, the configuration AWS's defaults gave, what the
    template leaves to a value nobody gave)."""
    properties = stream.properties
    defaults: list[str] = []
    unknown: list[str] = [name for name, key in (("encryption", "StreamEncryption"), ("mode", "StreamModeDetails"))
                          if not is_determined(properties.get(key))]
    mode_details = properties.get("StreamModeDetails")
    mode = str(mode_details.get("StreamMode") or "PROVISIONED") if isinstance(mode_details, Mapping) else "PROVISIONED"
    if mode_details is None:
        defaults.append("mode")
    hours = properties.get("RetentionPeriodHours")
    known = hours is None or str(hours).isdigit()
    if hours is None:
        defaults.append("retention")
    elif not known:
        unknown.append("retention_hours")
    summary: dict[str, Any] = {
        "StreamName": stream.name, "StreamARN": stream.id, "StreamStatus": "ACTIVE",
        "StreamModeDetails": {"StreamMode": mode},
        "RetentionPeriodHours": int(hours) if hours is not None and known else DEFAULT_RETENTION_HOURS,
        "OpenShardCount": _shards(properties.get("ShardCount"), mode), "ConsumerCount": len(consumers),
        "EnhancedMonitoring": [{"ShardLevelMetrics": _metrics(properties.get("DesiredShardLevelMetrics"))}],
    }
    encryption = properties.get("StreamEncryption")
    if isinstance(encryption, Mapping) and encryption.get("KeyId"):
        summary.update({"EncryptionType": str(encryption.get("EncryptionType") or "KMS"),
                        "KeyId": str(encryption["KeyId"])})
    else:
        summary["EncryptionType"] = "NONE"
        if encryption is None:
            defaults.append("encryption")
    listed = {"StreamName": stream.name, "StreamARN": stream.id, "StreamStatus": "ACTIVE",
              "StreamModeDetails": {"StreamMode": mode}}
    record = {"Stream": listed, "Summary": summary, "Tags": tag_map(properties.get("Tags")),
              "Consumers": [{"ConsumerName": name, "ConsumerStatus": "ACTIVE"} for name in consumers]}
    return record, defaults, unknown


def _metrics(value: Any) -> list[str]:
    return [str(metric) for metric in value] if isinstance(value, list) else []


def _shards(count: Any, mode: str) -> int:
    if mode == "ON_DEMAND":
        return _ON_DEMAND_SHARDS
    return int(count) if str(count).isdigit() else 1


def _consumers(stack: Stack) -> dict[str, list[str]]:
    """Each consumer's name, by the ARN of the stream it reads."""
    found: dict[str, list[str]] = {}
    for placed in stack.placed.values():
        if placed.type == "AWS::Kinesis::StreamConsumer":
            stream, name = placed.properties.get("StreamARN"), placed.properties.get("ConsumerName")
            if isinstance(stream, str) and isinstance(name, str):
                found.setdefault(stream, []).append(name)
    return found


def facts(stack: Stack) -> Facts:
    consumers = _consumers(stack)
    records, defaults, unknown = [], {}, {}
    for placed in stack.placed.values():
        if placed.type == "AWS::Kinesis::Stream":
            record, defaults[placed.id], unknown[placed.id] = stream_record(placed,
                                                                            sorted(consumers.get(placed.id, [])))
            records.append(record)
    return finished(kinesis.transform_kinesis(records, stack.account, stack.region), defaults, unknown)


