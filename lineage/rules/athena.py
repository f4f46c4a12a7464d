"""Athena rules."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.rules import Hit, rule


def results_not_encrypted(graph: Graph, node: Node) -> Iterator[Hit]:
    if "result_encryption" not in node.attributes:
        return  # the configuration could not be read
    if not node.attributes.get("output_location") and not graph.on_a_flow(node.id):
        return  # an idle workgroup with no result location of its own writes nothing yet
    if not node.attributes.get("result_encryption"):
        yield Hit(node.id, f"Workgroup {node.name} sets no encryption for query results: copies of the "
                  "data it reads rest at its output location as the bucket's default leaves them.",
                  (Evidence("athena:GetWorkGroup", node.id,
                            "Configuration.ResultConfiguration.EncryptionConfiguration", "not set"),))


rule(
    results_not_encrypted,
    id="athena.results_not_encrypted",
    title="Athena workgroup writes query results unencrypted",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation=(
        "Set the workgroup's ResultConfiguration.EncryptionConfiguration to SSE_KMS (or at least SSE_S3) "
        "and EnforceWorkGroupConfiguration so clients cannot override it."
    ),
    kinds=("athena.workgroup",),
)
