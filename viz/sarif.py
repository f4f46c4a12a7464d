"""Findings as SARIF 2.1.0, the format code-scanning tools read (GitHub, GitLab, Azure DevOps).

A finding on a resource a template defines points at the template's file and the line of the resource's logical
id (a path inside a bucket, at the bucket; a resource the templates only name, such as another account's bucket
a rule replicates to, at the resource that names it). A finding of a live scan has no file: it names its resource
as a logical location, which SARIF allows and GitHub's code scanning does not show (it wants a file); use the
template's SARIF there, and a scan's for tools that read logical locations. A file under the folder the command
runs in is written relative to it, as code-scanning tools resolve paths against the checkout. Each result carries
the finding's stable id as its fingerprint, so a tool tracks the same gap from one run to the next however the
file's lines move.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path, PureWindowsPath
from typing import Any

from lineage.evidence import installed_version
from lineage.model import EdgeKind, Finding, Node, Scan, Severity

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "aws-lineage"
INFORMATION_URI = "https://pypi.org/project/aws-lineage/"
FINGERPRINT = "lineageFinding/v1"

# SARIF's levels, and the 0–10 score GitHub ranks security results by (its bands: 9+ critical, 7+ high, 4+ medium).
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note",
          Severity.INFO: "note"}
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0",
                      Severity.INFO: "1.0"}


def _tool_version() -> str:
    found = installed_version()
    return "0" if found == "unknown" else found


def artifact_uri(path: str, base: Path | None = None) -> str:
    """A file's path as a SARIF URI: relative to `base` (where the tool ran) with forward slashes when it lies
    under it, else a `file:` URI of its absolute path."""
    if "\\" in path:
        path = PureWindowsPath(path).as_posix()
    base = (base or Path.cwd()).resolve()
    absolute = (base / path).resolve()
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_uri()


def _rule_descriptor(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.replace(".", "_").split("_")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.title},
        "help": {"text": rule.remediation, "markdown": rule.remediation},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"category": rule.category.value, "tags": [rule.category.value, *rule.frameworks],
                       "security-severity": _SECURITY_SEVERITY[rule.severity]},
    }


def template_sources(scan: Scan, described: Mapping[str, Mapping[str, Any]] | None = None
                     ) -> dict[str, Mapping[str, Any]]:
    """Where in a template each node is defined: its own `template` attribute, or where `described` says (the
    resources of a scan of the account that templates describe); for a place inside a resource, such as an S3 path
    in a bucket, that of the resource it is part of; for a place the templates only name (one no scan read), that
    of the first resource (by id) whose flow names it. A resource the scan read that no template describes (made by
    hand) has none: pointing it at another resource's line would send its fix to the wrong place."""
    own = {**(described or {}), **{n.id: n.attributes["template"] for n in scan.nodes
                                   if isinstance(n.attributes.get("template"), Mapping)}}
    parent = {e.source: e.target for e in scan.edges if e.kind is EdgeKind.PART_OF}
    sources: dict[str, Mapping[str, Any]] = {}
    for node in scan.nodes:
        current: str | None = node.id
        for _ in range(4):  # a path in a bucket, a table in a database: never deeper than a few levels
            if current is None or current in own:
                break
            current = parent.get(current)
        if current is not None and current in own:
            sources[node.id] = own[current]
    read = {n.id for n in scan.nodes if n.observed}
    named_by: dict[str, str] = {}
    for edge in sorted(scan.edges, key=lambda e: (e.source, e.target)):
        if edge.kind.is_flow:
            for end, other in ((edge.target, edge.source), (edge.source, edge.target)):
                if end not in sources and end not in read and other in sources:
                    named_by.setdefault(end, other)
    return {**sources, **{node: sources[other] for node, other in named_by.items()}}


def _location(finding: Finding, node: Node | None, source: Mapping[str, Any] | None) -> dict[str, Any]:
    source = source or {}
    location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": finding.node, "kind": "resource",
                                                      **({"name": node.name} if node is not None else {})}]}
    if source.get("construct_path"):  # a CDK app's construct: where the engineer wrote it, not the generated file
        location["logicalLocations"].append({"fullyQualifiedName": str(source["construct_path"]), "kind": "object"})
    if isinstance(source, Mapping) and source.get("file"):
        physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(str(source["file"]))}}
        if isinstance(source.get("line"), int) and source["line"] > 0:
            physical["region"] = {"startLine": source["line"]}
        location["physicalLocation"] = physical
    return location


def sarif_log(scan: Scan, rules: Iterable[Any], findings: Iterable[Finding] | None = None,
              described: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """One SARIF log with one run: the rules that produced findings, and a result per finding; `described` says
    where templates describe the resources of a scan of the account (`lineage.template_drift.where_described`)."""
    selected = list(scan.findings if findings is None else findings)
    nodes = {node.id: node for node in scan.nodes}
    sources = template_sources(scan, described)
    by_id = {rule.id: rule for rule in rules}
    descriptors: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for finding in selected:
        if finding.rule not in index and finding.rule in by_id:
            index[finding.rule] = len(descriptors)
            descriptors.append(_rule_descriptor(by_id[finding.rule]))
    results = []
    files: dict[str, None] = {}
    for finding in selected:
        location = _location(finding, nodes.get(finding.node), sources.get(finding.node))
        if "physicalLocation" in location:
            files[location["physicalLocation"]["artifactLocation"]["uri"]] = None
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "level": _LEVEL[finding.severity],
            "message": {"text": f"{finding.message} Remediation: {finding.remediation}".strip()},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT: finding.id},
            "properties": {"severity": finding.severity.value, "category": finding.category.value,
                           "node": finding.node, "security-severity": _SECURITY_SEVERITY[finding.severity]},
        }
        if finding.rule in index:
            result["ruleIndex"] = index[finding.rule]
        results.append(result)
    run: dict[str, Any] = {
        "tool": {"driver": {"name": TOOL_NAME, "version": _tool_version(), "informationUri": INFORMATION_URI,
                            "rules": descriptors}},
        "automationDetails": {"id": f"{TOOL_NAME}/{scan.id}"},
        "results": results,
        "properties": {"scan": scan.id, "status": scan.status.value, "accounts": list(scan.accounts),
                       "regions": list(scan.regions)},
    }
    if files:
        run["artifacts"] = [{"location": {"uri": uri}} for uri in files]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
