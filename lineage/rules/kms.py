"""KMS rules: a customer's key under which data rests, whose material never rotates."""

from __future__ import annotations

from collections.abc import Iterator

from lineage.graph import Graph
from lineage.model import Category, Evidence, Node, Severity
from lineage.pii import carries_personal_data
from lineage.protection import places_under
from lineage.rules import Hit, rule


def key_rotation_off(graph: Graph, node: Node) -> Iterator[Hit]:
    rotation = node.attributes.get("rotation")
    if not node.attributes.get("customer_key") or not isinstance(rotation, dict) or not rotation.get("applies"):
        return  # AWS rotates its own keys; asymmetric and HMAC keys do not rotate; unread is not judged
    if rotation.get("enabled") or node.attributes.get("state") in ("PendingDeletion", "Disabled"):
        return
    places = places_under(graph, node)
    personal = [place.name for place in places if carries_personal_data(place)]
    held = f"; it protects {', '.join(place.name for place in places[:5])}" if places else ""
    more = f" and {len(places) - 5} more" if len(places) > 5 else ""
    said = f" — personal data among it ({', '.join(personal[:3])})" if personal else ""
    evidence = (Evidence("kms:GetKeyRotationStatus", node.id, "KeyRotationEnabled", "false"),)
    yield Hit(node.id, f"KMS key {node.name} is the customer's and its material never rotates{held}{more}{said}.",
              evidence)


rule(
    key_rotation_off,
    id="kms.key_rotation_off",
    title="Customer managed KMS key without automatic rotation",
    category=Category.ENCRYPTION,
    severity=Severity.MEDIUM,
    remediation=(
        "Turn on automatic rotation (yearly by default, 90–2560 days with --rotation-period-in-days): "
        "aws kms enable-key-rotation --key-id KEY_ID"
    ),
    kinds=("kms.key",),
    frameworks=("CIS AWS 3.6", "PCI DSS 3.6.4"),
)
