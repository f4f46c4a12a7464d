"""What changed between two scans: nodes, flows and findings added and removed, and attribute changes
that matter (an encryption downgraded, a lifecycle rule removed, a TLS-only policy dropped)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lineage.model import Finding, Scan, Severity

# Attributes that say nothing about the resource's state: when it was read, or derived by the graph.
_IGNORED_ATTRIBUTES = frozenset({"created"})

_ENCRYPTION_STRENGTH = {None: 0, "": 0, "AES256": 1, "SSE_S3": 1, "aws:kms": 2, "SSE_KMS": 2, "aws:kms:dsse": 3,
                        "CSE_KMS": 3, "DISABLED": 0, "SSE-KMS": 2, "AWS_OWNED_KEY": 1,
                        "CUSTOMER_MANAGED_KMS_KEY": 2}


@dataclass(frozen=True, slots=True)
class AttributeChange:
    node: str
    attribute: str
    before: Any
    after: Any
    summary: str  # one line a person reads: "encryption downgraded: aws:kms → AES256"
    worse: bool  # the change weakens the protection of the data

    def to_dict(self) -> dict[str, Any]:
        return {"node": self.node, "attribute": self.attribute, "before": self.before, "after": self.after,
                "summary": self.summary, "worse": self.worse}


@dataclass(frozen=True, slots=True)
class Drift:
    base: str
    head: str
    nodes_added: tuple[str, ...]
    nodes_removed: tuple[str, ...]
    flows_added: tuple[tuple[str, str, str], ...]
    flows_removed: tuple[tuple[str, str, str], ...]
    findings_added: tuple[Finding, ...]
    findings_resolved: tuple[Finding, ...]
    findings_changed: tuple[tuple[Finding, Finding], ...]  # same gap, other severity (before, after)
    attribute_changes: tuple[AttributeChange, ...]

    @property
    def empty(self) -> bool:
        return not (self.nodes_added or self.nodes_removed or self.flows_added or self.flows_removed
                    or self.findings_added or self.findings_resolved or self.findings_changed
                    or self.attribute_changes)

    def new_findings_at_least(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings_added if f.severity.rank >= severity.rank]

    def one_line(self) -> str:
        return (f"+{len(self.nodes_added)}/-{len(self.nodes_removed)} nodes, "
                f"+{len(self.flows_added)}/-{len(self.flows_removed)} flows, "
                f"{len(self.findings_added)} new and {len(self.findings_resolved)} resolved findings, "
                f"{len(self.attribute_changes)} changed attributes")

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base, "head": self.head,
            "nodes": {"added": list(self.nodes_added), "removed": list(self.nodes_removed)},
            "flows": {"added": [dict(zip(("source", "target", "kind"), f, strict=True)) for f in self.flows_added],
                      "removed": [dict(zip(("source", "target", "kind"), f, strict=True))
                                  for f in self.flows_removed]},
            "findings": {"added": [f.to_dict() for f in self.findings_added],
                         "resolved": [f.to_dict() for f in self.findings_resolved],
                         "changed": [{"before": b.to_dict(), "after": a.to_dict()} for b, a in self.findings_changed]},
            "attribute_changes": [c.to_dict() for c in self.attribute_changes],
        }


def _strength(value: Any) -> int:
    return _ENCRYPTION_STRENGTH.get(value, 1) if isinstance(value, str | None) else 1


def _encryption_value(value: Any) -> Any:
    """The algorithm of an S3 encryption, the type of a Step Functions one, or the value itself."""
    if isinstance(value, dict):
        return value.get("algorithm", value.get("type"))
    return value


def describe_change(node: str, attribute: str, before: Any, after: Any) -> AttributeChange:
    """A change with the words an operator needs: what got weaker or stronger, and how."""
    if attribute in ("encryption", "encryption_at_rest", "result_encryption", "kms_key"):
        old, new = _encryption_value(before), _encryption_value(after)
        if attribute == "kms_key":
            worse = bool(before) and not after
            return AttributeChange(node, attribute, before, after,
                                   f"customer key {'removed' if worse else 'changed'}: {old} → {new}", worse)
        if old != new:
            worse = _strength(new) < _strength(old)
            word = "downgraded" if worse else "upgraded" if _strength(new) > _strength(old) else "changed"
            return AttributeChange(node, attribute, before, after, f"{attribute} {word}: {old} → {new}", worse)
    if attribute == "lifecycle_rules" and isinstance(before, list) and isinstance(after, list):
        # A rule without an id (one a template leaves AWS to name) is no name to give.
        old_ids = {r.get("id") for r in before if r.get("id")}
        new_ids = {r.get("id") for r in after if r.get("id")}
        removed, added = sorted(old_ids - new_ids, key=str), sorted(new_ids - old_ids, key=str)
        parts = ([f"removed {', '.join(map(str, removed))}"] if removed else []) + (
            [f"added {', '.join(map(str, added))}"] if added else [])
        summary = "lifecycle rules " + ("; ".join(parts) if parts else "changed")
        return AttributeChange(node, attribute, before, after, summary, bool(removed) or len(after) < len(before))
    if attribute == "policy" and isinstance(before, dict) and isinstance(after, dict):
        if before.get("tls_only") and not after.get("tls_only"):
            return AttributeChange(node, attribute, before, after, "TLS-only policy removed", True)
        if before.get("requires_kms") and not after.get("requires_kms"):
            return AttributeChange(node, attribute, before, after, "policy no longer requires KMS", True)
    if attribute == "public_access_block":
        weaker = sum(bool(v) for v in (after or {}).values()) < sum(bool(v) for v in (before or {}).values())
        return AttributeChange(node, attribute, before, after,
                               "public access block " + ("weakened" if weaker else "changed"), weaker)
    if attribute == "logging" and isinstance(before, dict) and isinstance(after, dict):
        old, new = before.get("level"), after.get("level")
        if old != new:
            return AttributeChange(node, attribute, before, after, f"logging {old} → {new}", new == "OFF")
    if attribute == "targets" and isinstance(before, list) and isinstance(after, list):
        old = {str(t.get("arn")) for t in before if isinstance(t, dict)}
        new = {str(t.get("arn")) for t in after if isinstance(t, dict)}
        parts = ([f"added {', '.join(sorted(new - old))}"] if new - old else []) + (
            [f"removed {', '.join(sorted(old - new))}"] if old - new else [])
        return AttributeChange(node, attribute, before, after,
                               "targets " + ("; ".join(parts) if parts else "configured differently"), False)
    if attribute == "personal_data":
        return AttributeChange(node, attribute, before, after,
                               "personal data now reaches it" if after and not before
                               else "personal data no longer reaches it" if before and not after
                               else "personal data categories changed", bool(after) and not before)
    return plain_change(node, attribute, before, after)


def _compared(attribute: str, value: Any) -> Any:
    """What of an attribute counts as a change: for personal data, what reaches the node and from where —
    not which of several equally short paths is the one shown."""
    if attribute == "personal_data" and isinstance(value, dict):
        return {key: item for key, item in value.items() if key != "paths"}
    return value


def plain_change(node: str, attribute: str, before: Any, after: Any) -> AttributeChange:
    """A change said as the values themselves, for attributes with no words of their own."""
    text_before = json.dumps(before, sort_keys=True, default=str)[:60]
    text_after = json.dumps(after, sort_keys=True, default=str)[:60]
    return AttributeChange(node, attribute, before, after, f"{attribute}: {text_before} → {text_after}", False)


def _change(node: str, attribute: str, before: Any, after: Any) -> AttributeChange:
    """The change in words; a value of a shape the words do not expect is still reported, plainly."""
    try:
        return describe_change(node, attribute, before, after)
    except Exception:  # noqa: BLE001 - an odd value costs its wording, never the diff
        return plain_change(node, attribute, before, after)


def diff_scans(base: Scan, head: Scan) -> Drift:
    old_nodes = {n.id: n for n in base.nodes}
    new_nodes = {n.id: n for n in head.nodes}
    old_flows = {(e.source, e.target, e.kind.value) for e in base.edges if e.kind.is_flow}
    new_flows = {(e.source, e.target, e.kind.value) for e in head.edges if e.kind.is_flow}
    old_findings = {f.id: f for f in base.findings}
    new_findings = {f.id: f for f in head.findings}
    changes = []
    for node_id in sorted(old_nodes.keys() & new_nodes.keys()):
        before, after = old_nodes[node_id].attributes, new_nodes[node_id].attributes
        for attribute in sorted((before.keys() | after.keys()) - _IGNORED_ATTRIBUTES):
            if _compared(attribute, before.get(attribute)) != _compared(attribute, after.get(attribute)):
                changes.append(_change(node_id, attribute, before.get(attribute), after.get(attribute)))
    return Drift(
        base=base.id, head=head.id,
        nodes_added=tuple(sorted(new_nodes.keys() - old_nodes.keys())),
        nodes_removed=tuple(sorted(old_nodes.keys() - new_nodes.keys())),
        flows_added=tuple(sorted(new_flows - old_flows)),
        flows_removed=tuple(sorted(old_flows - new_flows)),
        findings_added=tuple(sorted((new_findings[i] for i in new_findings.keys() - old_findings.keys()),
                                    key=lambda f: (-f.severity.rank, f.rule, f.node))),
        findings_resolved=tuple(sorted((old_findings[i] for i in old_findings.keys() - new_findings.keys()),
                                       key=lambda f: (-f.severity.rank, f.rule, f.node))),
        findings_changed=tuple((old_findings[i], new_findings[i])
                               for i in sorted(old_findings.keys() & new_findings.keys())
                               if old_findings[i].severity != new_findings[i].severity),
        attribute_changes=tuple(changes),
    )
