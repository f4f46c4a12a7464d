"""Data Firehose rules: records sent over plain HTTP, and records from direct producers waiting unencrypted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.protection import firehose_encryption
from lineage.rules import Hit, rule

# Destinations Firehose sends to by URL. AWS accepts only https:// for an HTTP endpoint; a Splunk HEC endpoint
# is not held to it.
_BY_URL = ("HttpEndpoint", "Splunk")


def http_endpoint_plain(graph: Graph, node: Node) -> Iterator[Hit]:
    destinations = node.attributes.get("destinations")
    for destination in destinations if isinstance(destinations, list) else []:
        if not isinstance(destination, Mapping):
            continue
        target = str(destination.get("target") or "")
        if destination.get("type") in _BY_URL and target.lower().startswith("http://"):
            evidence = Evidence("firehose:DescribeDeliveryStream", node.id, str(destination.get("path", "")), target)
            yield Hit(node.id, f"Delivery stream {node.name} sends its records to {target} over plain HTTP: anyone on "
                      "the way can read or change them.", (evidence,))
            return


rule(
    http_endpoint_plain,
    id="firehose.http_endpoint_plain",
    title="Firehose delivers to an endpoint over plain HTTP",
    category=Category.ENCRYPTION,
    severity=Severity.HIGH,
    remediation=(
        "Point the destination at an https:// URL (aws firehose update-destination with "
        "HttpEndpointDestinationUpdate.EndpointConfiguration.Url, or SplunkDestinationUpdate.HECEndpoint) and have "
        "the receiver present a certificate from a public CA."
    ),
    kinds=("firehose.delivery_stream",),
)


def stream_not_encrypted(graph: Graph, node: Node) -> Iterator[Hit]:
    # A Kinesis or MSK source keeps the records itself, under its own encryption: only direct producers count.
    if "encryption" not in node.attributes or node.attributes.get("source_type") != "DirectPut":
        return
    answer = firehose_encryption(node)
    if answer.ok is False:
        yield Hit(node.id, f"Delivery stream {node.name} has server-side encryption off: records put into it wait "
                  "for delivery unencrypted.", answer.evidence)


rule(
    stream_not_encrypted,
    id="firehose.stream_not_encrypted",
    title="Firehose stream buffers records unencrypted",
    category=Category.ENCRYPTION,
    severity=Severity.LOW,
    remediation=(
        "Turn on server-side encryption: aws firehose start-delivery-stream-encryption --delivery-stream-name NAME "
        "--delivery-stream-encryption-configuration-input KeyType=CUSTOMER_MANAGED_CMK,KeyARN=KEY "
        "(or KeyType=AWS_OWNED_CMK)."
    ),
    kinds=("firehose.delivery_stream",),
)
