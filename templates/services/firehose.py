"""Firehose delivery streams in a template → `DescribeDeliveryStream` and `ListTagsForDeliveryStream` as the
deployed stream answers them → the Firehose collector's transform.

Each `…DestinationConfiguration` is answered as its `…DestinationDescription` (an extended S3 destination
repeated as a plain S3 one, as Firehose repeats it), each `S3Configuration` as `S3DestinationDescription` and
`S3BackupConfiguration` as `S3BackupDescription`; what Firehose never gives back (access keys, tokens,
passwords, private keys) is left out. Where the template is silent a stream takes records from direct producers
and keeps them unencrypted while it buffers them (server-side encryption is off unless configured), and S3
destinations buffer 5 MB or 300 seconds, uncompressed, under the bucket's own encryption; `aws_defaults` says
which of what the rules judge came from AWS's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from collectors import firehose
from lineage.model import Facts
from templates.intrinsics import is_determined
from templates.services.common import finished, tag_map
from templates.stack import Placed, Stack

TYPES = frozenset({"AWS::KinesisFirehose::DeliveryStream"})
DESTINATION_ID = "destinationId-000000000001"  # the id Firehose gives a stream's one destination
_DESTINATIONS = ("ExtendedS3", "S3", "Redshift", "Elasticsearch", "Amazonopensearchservice",
                 "AmazonOpenSearchServerless", "HttpEndpoint", "Splunk", "Snowflake", "Iceberg")
_RENAMED = {"S3Configuration": "S3DestinationDescription", "S3BackupConfiguration": "S3BackupDescription",
            "CatalogArn": "CatalogARN"}
_SECRETS = frozenset({"AccessKey", "HECToken", "Password", "PrivateKey", "KeyPassphrase"})
_S3_DEFAULTS = {"BufferingHints": {"SizeInMBs": 5, "IntervalInSeconds": 300}, "CompressionFormat": "UNCOMPRESSED",
                "EncryptionConfiguration": {"NoEncryptionConfig": "NoEncryption"}}
# What the plain S3 description repeating an extended one holds.
_PLAIN_S3 = ("RoleARN", "BucketARN", "Prefix", "ErrorOutputPrefix", "BufferingHints", "CompressionFormat",
             "EncryptionConfiguration", "CloudWatchLoggingOptions")
_SOURCES = {"KinesisStreamSourceConfiguration": "KinesisStreamSourceDescription",
            "MSKSourceConfiguration": "MSKSourceDescription",
            "DatabaseSourceConfiguration": "DatabaseSourceDescription"}


def described(value: Any) -> Any:
    """A configuration as Firehose describes it: sections renamed, secrets left out, `Enabled` a boolean."""
    if isinstance(value, Mapping):
        answer: dict[str, Any] = {}
        for key, inner in value.items():
            if key in _SECRETS:
                continue
            if key == "Enabled" and isinstance(inner, str):
                inner = inner.lower() == "true"
            answer[_RENAMED.get(key, key)] = described(inner)
        return answer
    if isinstance(value, list):
        return [described(inner) for inner in value]
    return value


def _s3(description: Mapping[str, Any]) -> dict[str, Any]:
    """An S3 description with what Firehose gives where the template is silent."""
    return {**_S3_DEFAULTS, **description}


def _destination(properties: Mapping[str, Any]) -> dict[str, Any]:
    destination: dict[str, Any] = {"DestinationId": DESTINATION_ID}
    for kind in _DESTINATIONS:
        configuration = properties.get(f"{kind}DestinationConfiguration")
        if not isinstance(configuration, Mapping):
            continue
        description = described(configuration)
        if kind in ("S3", "ExtendedS3"):
            description = _s3(description)
            if kind == "ExtendedS3":
                description.setdefault("S3BackupMode", "Disabled")
                destination["S3DestinationDescription"] = {k: description[k] for k in _PLAIN_S3 if k in description}
        elif isinstance(description.get("S3DestinationDescription"), Mapping):
            description["S3DestinationDescription"] = _s3(description["S3DestinationDescription"])
        destination[f"{kind}DestinationDescription"] = description
    return destination


def stream_record(stream: Placed) -> tuple[dict[str, Any], list[str]]:
    """(the answers a scan records for the deployed stream, the configuration AWS's defaults gave)."""
    properties = stream.properties
    defaults: list[str] = []
    kind = str(properties.get("DeliveryStreamType") or "")
    if not kind:
        kind = "DirectPut"
        defaults.append("source")
    description: dict[str, Any] = {
        "DeliveryStreamName": stream.name, "DeliveryStreamARN": stream.id, "DeliveryStreamStatus": "ACTIVE",
        "DeliveryStreamType": kind, "VersionId": "1", "HasMoreDestinations": False,
        "Destinations": [_destination(properties)],
    }
    encryption = properties.get("DeliveryStreamEncryptionConfigurationInput")
    if isinstance(encryption, Mapping) and encryption.get("KeyType"):
        description["DeliveryStreamEncryptionConfiguration"] = {**described(encryption), "Status": "ENABLED"}
    elif encryption is None:
        defaults.append("encryption")  # off: Firehose says nothing of it
    source = {answered: described(properties[written]) for written, answered in _SOURCES.items()
              if isinstance(properties.get(written), Mapping)}
    if source:
        description["Source"] = source
    return {"Name": stream.name, "Description": description, "Tags": tag_map(properties.get("Tags"))}, defaults


def facts(stack: Stack) -> Facts:
    records, defaults, unknown = [], {}, {}
    for placed in stack.placed.values():
        if placed.type in TYPES:
            record, defaults[placed.id] = stream_record(placed)
            records.append(record)
            if not is_determined(placed.properties.get("DeliveryStreamEncryptionConfigurationInput")):
                unknown[placed.id] = ["encryption"]
    read = firehose.transform_firehose(records, stack.account, stack.region)
    return finished(read, defaults, unknown)


