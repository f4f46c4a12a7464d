"""EMR rules: clusters whose security configuration leaves data unencrypted at rest or in transit, and a region
where EMR's block public access is off or lets ports other than SSH be opened to the internet.

Where a cluster writes its logs (`LogUri`) is a place on a flow like any other: `s3.location_without_lifecycle`
already judges its lifecycle, so there is no EMR rule of its own for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.rules import Hit, rule


def _missing_encryption(configuration: dict[str, Any]) -> list[str]:
    """What a readable security configuration leaves unencrypted."""
    missing = []
    if not configuration.get("at_rest"):
        missing.append("at rest (EMRFS data in S3 and the cluster's local disks)")
    elif not configuration.get("local_disk_encryption"):
        missing.append("on the cluster's local disks")
    if not configuration.get("in_transit"):
        missing.append("in transit between the cluster's nodes")
    return missing


def cluster_without_security_configuration(graph: Graph, node: Node) -> Iterator[Hit]:
    if "security_configuration" not in node.attributes:
        return  # the cluster, or its security configuration, could not be read
    configuration = node.attributes["security_configuration"]
    if configuration is None:
        yield Hit(node.id, f"Cluster {node.name} runs without a security configuration: the data its steps read "
                  "and write is not encrypted on its disks or between its nodes by EMR.",
                  (Evidence("elasticmapreduce:DescribeCluster", node.id, "Cluster.SecurityConfiguration", "not set"),))
        return
    if not isinstance(configuration, dict) or not configuration.get("readable"):
        return  # a document that could not be read says nothing either way
    missing = _missing_encryption(configuration)
    if missing:
        name = str(configuration.get("name", ""))
        yield Hit(node.id, f"Cluster {node.name}'s security configuration {name} encrypts nothing "
                  f"{' and nothing '.join(missing)}.",
                  (Evidence("elasticmapreduce:DescribeSecurityConfiguration", node.id,
                            "SecurityConfiguration.EncryptionConfiguration",
                            f"EnableAtRestEncryption={bool(configuration.get('at_rest'))}, "
                            f"EnableInTransitEncryption={bool(configuration.get('in_transit'))}"),))


rule(
    cluster_without_security_configuration,
    id="emr.cluster_without_security_configuration",
    title="EMR cluster does not encrypt data at rest and in transit",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation=(
        "Create a security configuration with at-rest (S3: SSE-KMS; local disk: AwsKms with EBS encryption) and "
        "in-transit encryption (aws emr create-security-configuration --name NAME --security-configuration "
        "file://sc.json) and launch the cluster's replacement with --security-configuration NAME: a running "
        "cluster's security configuration cannot be changed."
    ),
    kinds=("emr.cluster",),
    frameworks=("CIS AWS Foundations", "ISO 27001 A.8.24"),
)


def _beyond_ssh(block: dict[str, Any]) -> list[str]:
    """The port ranges block public access lets be opened to the internet, other than SSH's 22 (AWS's default
    exception)."""
    return [ports for ports in block.get("permitted_ports") or () if ports != "22"]


def block_public_access_off(graph: Graph, node: Node) -> Iterator[Hit]:
    block = node.attributes.get("block_public_access")
    if not isinstance(block, dict) or "block_public_security_group_rules" not in block:
        return  # not read
    path = "BlockPublicAccessConfiguration"
    if block["block_public_security_group_rules"] is False:
        yield Hit(node.id, f"EMR block public access is off in {node.region}: cluster {node.name} (and any other "
                  "there) may be launched with security groups open to the internet on any port.",
                  (Evidence("elasticmapreduce:GetBlockPublicAccessConfiguration", node.id,
                            f"{path}.BlockPublicSecurityGroupRules", "false"),))
        return
    if opened := _beyond_ssh(block):
        yield Hit(node.id, f"EMR block public access in {node.region} lets cluster {node.name} (and any other there) "
                  f"be opened to the internet on port(s) {', '.join(opened)}, beyond SSH.",
                  (Evidence("elasticmapreduce:GetBlockPublicAccessConfiguration", node.id,
                            f"{path}.PermittedPublicSecurityGroupRuleRanges", ", ".join(opened)),))


rule(
    block_public_access_off,
    id="emr.block_public_access_off",
    title="EMR block public access is off, or excepts ports beyond SSH, in the cluster's region",
    category=Category.EXPOSURE,
    severity=Severity.HIGH,
    remediation=(
        "Turn it on for the region (aws emr put-block-public-access-configuration --block-public-access-configuration "
        "BlockPublicSecurityGroupRules=true,PermittedPublicSecurityGroupRuleRanges=[{MinRange=22,MaxRange=22}]), "
        "with no exception beyond SSH (reach web interfaces through an SSH tunnel or a VPN instead); then close any "
        "security group rule open to 0.0.0.0/0."
    ),
    kinds=("emr.cluster",),
)
