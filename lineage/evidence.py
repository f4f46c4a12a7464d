"""The evidence an auditor reads, as data: every source of personal data in a scan, every place its data
reaches hop by hop, how each place where it rests is protected (with the configuration that proves each
answer), and one verdict per place. Pure: a function of a stored scan and its graph. `viz.evidence`
renders it (page, JSON, CSV, manifest) and checks a bundle's bytes; `lineage pii` prints its summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from lineage import pii, protection
from lineage.graph import Graph
from lineage.isolation import Problems
from lineage.model import Finding, Scan, Severity

FORMAT = "lineage-evidence/1"
TOOL = "aws-lineage"
NOT_RECORDED = "not recorded"  # a scan that kept no caller identity: said, never guessed


def installed_version() -> str:
    """The version of the tool installed, which a bundle names; "unknown" when it is run uninstalled."""
    try:
        return version(TOOL)
    except PackageNotFoundError:
        return "unknown"

FAILING, UNKNOWN, OK, PROCESSED = "failing", "unknown", "ok", "processed"
_FAILING_SEVERITY = Severity.HIGH  # a finding this severe, or more, fails the place it is on


def _finding_order(finding: Finding) -> tuple[int, str, str]:
    return (-finding.severity.rank, finding.rule, finding.id)


@dataclass(slots=True)
class _Places:
    """What the bundle says of each node, computed once however many sources reach it."""

    scan: Scan
    graph: Graph
    problems: Problems
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    cache: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for finding in self.scan.findings:
            self.findings.setdefault(finding.node, []).append(finding)
        for listed in self.findings.values():
            listed.sort(key=_finding_order)

    def of(self, node_id: str) -> dict[str, Any]:
        if node_id not in self.cache:
            self.cache[node_id] = self._place(node_id)
        return self.cache[node_id]

    def _place(self, node_id: str) -> dict[str, Any]:
        node = self.graph.nodes.get(node_id)
        findings = self.findings.get(node_id, [])
        place: dict[str, Any] = {
            "node": node_id, "name": node.name if node else node_id, "kind": node.kind if node else "unknown",
            "account": node.account if node else "", "region": node.region if node else "",
            "observed": bool(node.observed) if node else False,
            "rests_here": bool(node is not None and protection.rests_here(node)),
            "handling": pii.handling_of(node) if node else None,
            "findings": [f.to_dict() for f in findings],
            "protection": [],
        }
        if node is not None and place["rests_here"]:
            with self.problems.guard("evidence.protection", node_id, node.region) as judged:
                answers = protection.protection(self.graph, node)
                place["protection"] = [_answer(answers[question]) for question in protection.QUESTIONS
                                       if question in answers]
            if judged.failed:  # one odd configuration costs its own answers, said as unknown
                place["protection"] = [_answer(protection.Answer(question, "unknown: could not be judged", None))
                                       for question in protection.QUESTIONS]
        failed = [a for a in place["protection"] if a["ok"] is False]
        serious = [f for f in findings if f.severity.rank >= _FAILING_SEVERITY.rank]
        place["failed"] = [a["question"] for a in failed]
        place["failing_findings"] = [f.rule for f in serious]
        place["reasons"] = [f"{a['question']}: {a['value']}" for a in failed] + [
            f"{f.severity.value} finding {f.rule}: {f.message}" for f in serious]
        place["failing"] = bool(place["reasons"])
        place["unknown"] = [a["question"] for a in place["protection"] if a["ok"] is None]
        place["verdict"] = _verdict(place)
        return place


def _answer(answer: protection.Answer) -> dict[str, Any]:
    return {"question": answer.question, "value": answer.value, "ok": answer.ok,
            "customer_key": answer.customer_key, "evidence": [e.to_dict() for e in answer.evidence]}


def _verdict(place: Mapping[str, Any]) -> str:
    """One word for a place: failing beats everything, then what processing does to the data."""
    if place["failing"]:
        return FAILING
    if place["handling"]:
        return str(place["handling"]["action"])
    if not place["rests_here"]:
        return PROCESSED
    return UNKNOWN if place["unknown"] else OK


def _hop(places: _Places, index: int, hop: pii.Hop) -> dict[str, Any]:
    target = places.of(hop.target)
    return {"index": index, "from": hop.source, "from_name": places.of(hop.source)["name"],
            "relation": hop.relation, "to": hop.target, "to_name": target["name"], "to_kind": target["kind"],
            "handling": target["handling"], "evidence": [e.to_dict() for e in hop.evidence]}


def _label(label: Mapping[str, Any]) -> dict[str, str]:
    return {key: str(label.get(key) or "") for key in ("category", "source", "match", "operation", "column", "rules")}


def _label_order(label: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(label[key] for key in ("category", "column", "source", "match", "operation", "rules"))


def evidence_document(scan: Scan, graph: Graph, tool_version: str,
                      problems: Problems | None = None) -> dict[str, Any]:
    """The bundle's content as plain data: what `evidence.json` holds and the other files render. What
    could not be judged is said as unknown, listed in the document's `problems` and, when given, in
    `problems`."""
    problems = problems if problems is not None else Problems()
    places = _Places(scan, graph, problems)
    found: list[pii.Source] = []
    with problems.guard("evidence.sources"):
        found = pii.sources(graph)
    sources = []
    for number, source in enumerate(found, start=1):
        held = dict(places.of(source.node))
        reaches = []
        for reach in source.reaches:
            place = dict(places.of(reach.node))
            place["distance"] = reach.distance
            place["hops"] = [_hop(places, index, hop) for index, hop in enumerate(reach.hops, start=1)]
            reaches.append(place)
        sources.append({
            "number": number, "anchor": f"source-{number}", "node": source.node, "name": held["name"],
            "kind": held["kind"], "account": held["account"], "region": held["region"],
            "categories": list(source.categories),
            "labels": sorted((_label(label) for label in source.labels), key=_label_order),
            "held": held, "reaches": reaches,
        })
    reached = {place["node"]: place for source in sources for place in source["reaches"]}
    involved = {**reached, **{source["node"]: source["held"] for source in sources}}
    ruled_out = sorted(({"node": node.id, "name": node.name, "column": str(label.get("column", "")),
                         "category": str(label.get("category", "")), "match": str(label.get("match", "")),
                         "ruled_out_by": str(label.get("ruled_out_by", "")), "rules": str(label.get("rules", ""))}
                        for node in graph.nodes.values() for label in node.attributes.get(pii.RULED_OUT) or ()
                        if isinstance(label, Mapping)),
                       key=lambda item: (item["node"], item["column"], item["category"], item["match"]))
    rules_files = sorted({label["rules"] for source in sources for label in source["labels"] if label["rules"]}
                         | {item["rules"] for item in ruled_out if item["rules"]})
    return {
        "format": FORMAT,
        "tool": {"name": TOOL, "version": tool_version},
        "scan": {
            "id": scan.id, "started_at": scan.started_at, "finished_at": scan.finished_at,
            "status": scan.status.value, "accounts": sorted(scan.accounts), "regions": sorted(scan.regions),
            "coverage_gaps": [g.to_dict() for g in scan.coverage_gaps],
        },
        # Who the scan ran as, as STS said; a scan taken before it was kept, or where STS did not answer,
        # says so rather than guessing.
        "caller_identity": scan.caller or NOT_RECORDED,
        "rules_files": rules_files,
        "summary": {
            "sources": len(sources),
            "places_reached": len(reached),
            "places_where_it_rests": sum(1 for p in reached.values() if p["rests_here"]),
            "failing_places": sum(1 for p in involved.values() if p["failing"]),
            "unknown_places": sum(1 for p in involved.values() if p["verdict"] == UNKNOWN),
            "coverage_gaps": len(scan.coverage_gaps),
            "problems": len(problems.gaps),
        },
        "sources": sources,
        # What a rules file marked as a false positive: judged, and not counted, for a reviewer to see.
        "ruled_out": ruled_out,
        "problems": [gap.to_dict() for gap in problems.gaps],
    }
