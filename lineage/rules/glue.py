"""Glue rules: catalog encryption, and security configurations of jobs and crawlers."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.rules import Hit, rule


def catalog_not_encrypted(graph: Graph, node: Node) -> Iterator[Hit]:
    if node.attributes.get("encryption_at_rest", "DISABLED") == "DISABLED":
        evidence = (Evidence("glue:GetDataCatalogEncryptionSettings", node.id,
                             "EncryptionAtRest.CatalogEncryptionMode", "DISABLED"),)
        yield Hit(node.id, f"The Data Catalog in {node.region} stores table schemas (column names, "
                  "comments, locations) without encryption at rest.", evidence)


rule(
    catalog_not_encrypted,
    id="glue.catalog_not_encrypted",
    title="Glue Data Catalog metadata not encrypted at rest",
    category=Category.ENCRYPTION,
    severity=Severity.HIGH,
    remediation=(
        "aws glue put-data-catalog-encryption-settings --data-catalog-encryption-settings "
        "'{\"EncryptionAtRest\":{\"CatalogEncryptionMode\":\"SSE-KMS\",\"SseAwsKmsKeyId\":\"KEY\"},"
        "\"ConnectionPasswordEncryption\":{\"ReturnConnectionPasswordEncrypted\":true,\"AwsKmsKeyId\":\"KEY\"}}'"
    ),
    kinds=("glue.catalog",),
)


def connection_passwords_not_encrypted(graph: Graph, node: Node) -> Iterator[Hit]:
    if not node.attributes.get("connection_password_encryption"):
        evidence = (Evidence("glue:GetDataCatalogEncryptionSettings", node.id,
                             "ConnectionPasswordEncryption.ReturnConnectionPasswordEncrypted", "false"),)
        yield Hit(node.id, f"Connection passwords in the {node.region} catalog are not encrypted.", evidence)


rule(
    connection_passwords_not_encrypted,
    id="glue.connection_passwords_not_encrypted",
    title="Glue connection passwords returned in clear",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation="Enable ConnectionPasswordEncryption with a KMS key in the Data Catalog settings.",
    kinds=("glue.catalog",),
)


def _security_hits(node: Node, label: str) -> Iterator[Hit]:
    configuration = node.attributes.get("security_configuration")
    settings = node.attributes.get("security_settings")
    operation = "glue:GetJobs" if node.kind == "glue.job" else "glue:GetCrawlers"
    field = "SecurityConfiguration" if node.kind == "glue.job" else "CrawlerSecurityConfiguration"
    if not configuration:
        yield Hit(node.id, f"{label} {node.name} runs without a security configuration: what it writes to "
                  "S3, its logs and its bookmarks are not encrypted with a key of yours.",
                  (Evidence(operation, node.id, field, "not set"),))
    elif settings is not None and settings.get("s3_encryption") == "DISABLED":
        yield Hit(node.id, f"{label} {node.name}'s security configuration {configuration} leaves S3 "
                  "encryption disabled.",
                  (Evidence("glue:GetSecurityConfigurations", configuration,
                            "EncryptionConfiguration.S3Encryption.S3EncryptionMode", "DISABLED"),))


def job_without_security_configuration(graph: Graph, node: Node) -> Iterator[Hit]:
    yield from _security_hits(node, "Glue job")


rule(
    job_without_security_configuration,
    id="glue.job_without_security_configuration",
    title="Glue job without an encrypting security configuration",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation=(
        "Create a security configuration with S3 encryption SSE-KMS, CloudWatch and job bookmark "
        "encryption, and set it on the job (SecurityConfiguration)."
    ),
    kinds=("glue.job",),
)


def crawler_without_security_configuration(graph: Graph, node: Node) -> Iterator[Hit]:
    yield from _security_hits(node, "Glue crawler")


rule(
    crawler_without_security_configuration,
    id="glue.crawler_without_security_configuration",
    title="Glue crawler without an encrypting security configuration",
    category=Category.ENCRYPTION,
    severity=Severity.LOW,
    remediation="Set a security configuration with CloudWatch encryption on the crawler.",
    kinds=("glue.crawler",),
)
