"""Rules: each declares its id, title, category, severity, remediation and the kinds of node it judges
right after its check.

A check is a pure function of the graph and one node, yielding `Hit`s. The runner (`evaluate`) hands
each rule the nodes of its kinds, turns hits into findings — one step more severe where the node
carries personal data, for the categories where that matters — and keeps a failure of one check on one
node that pair's coverage gap: the other nodes, and the other rules, are judged as usual.

Two guarantees live here rather than in each check: a node only referenced (not read from AWS) is
judged only by rules that ask for such nodes, and a place known only at run time (`dynamic:`) only
by rules that ask for those — it is an unknown place, never a bucket.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lineage import arn as arns
from lineage.graph import Graph
from lineage.isolation import Problems
from lineage.model import Category, CoverageGap, Edge, EdgeKind, Evidence, Finding, Node, Severity
from lineage.pii import carries_personal_data


@dataclass(frozen=True, slots=True)
class Hit:
    node: str
    message: str
    evidence: tuple[Evidence, ...] = ()


Check = Callable[[Graph, Node], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    category: Category
    severity: Severity
    remediation: str
    check: Check
    kinds: frozenset[str]  # node kinds the check is given; ANY_KIND for every node
    frameworks: tuple[str, ...] = ()
    unobserved: bool = False  # also judge nodes only referenced, never read
    dynamic: bool = False  # judge places known only at run time (and only those)

    def applies_to(self, node: Node) -> bool:
        if node.kind not in self.kinds and ANY_KIND not in self.kinds:
            return False
        if arns.is_dynamic(node.id) or node.attributes.get("dynamic"):
            return self.dynamic
        return not self.dynamic and (node.observed or self.unobserved)


@dataclass(frozen=True, slots=True)
class Evaluation:
    findings: list[Finding]
    gaps: list[CoverageGap] = field(default_factory=list)  # checks that failed on a node


ANY_KIND = "*"
RULES: list[Rule] = []

_RAISED_WITH_PERSONAL_DATA = frozenset({Category.LIFECYCLE, Category.ENCRYPTION, Category.EXPOSURE})


def rule(check: Check, id: str, title: str, category: Category, severity: Severity, remediation: str,
         kinds: Iterable[str], frameworks: tuple[str, ...] = (), unobserved: bool = False,
         dynamic: bool = False) -> Rule:
    """Register `check` with the metadata written right after it (a plain call rather than a decorator:
    the check stays an ordinary function, which mutation testing can change and tests can call)."""
    registered = Rule(id, title, category, severity, remediation, check, frozenset(kinds), frameworks, unobserved,
                      dynamic)
    RULES.append(registered)
    return registered


# --- what several families ask of a place known only at run time ---------------------------------------

INTO = frozenset({EdgeKind.WRITES, EdgeKind.ROUTES, EdgeKind.NOTIFIES})  # flows that leave data somewhere


def flows_into(graph: Graph, node: Node, kinds: frozenset[EdgeKind]) -> list[Edge]:
    return [edge for edge in graph.flows_in(node.id) if edge.kind in kinds]


def account_of(graph: Graph, node_id: str) -> str:
    """The account a place belongs to: as read, else as its ARN names it; "" when neither says (a bucket's ARN
    names none)."""
    node = graph.nodes.get(node_id)
    if node is not None and node.account:
        return node.account
    parsed = arns.parse_arn(node_id)
    return parsed.account if parsed is not None else ""


def unknown_place(node: Node) -> str:
    """`a place chosen at run time (s3.location, from $.bucket)`, for messages."""
    expression = str(node.attributes.get("expression") or "")
    return f"a place chosen at run time ({node.kind}" + (f", from {expression:.120}" if expression else "") + ")"


def finding_id(rule_id: str, node: str) -> str:
    """Stable across scans: the same gap on the same node keeps its id."""
    return hashlib.sha256(f"{rule_id}\x00{node}".encode()).hexdigest()[:16]


def _finding(graph: Graph, current: Rule, hit: Hit) -> Finding:
    severity = current.severity
    node = graph.nodes.get(hit.node)
    message = hit.message
    if node is not None and current.category in _RAISED_WITH_PERSONAL_DATA and carries_personal_data(node):
        severity = severity.raised()
        categories = ", ".join(node.attributes["personal_data"]["categories"])
        message = f"{message} Personal data ({categories}) reaches this node."
    identifier = finding_id(current.id, hit.node)
    return Finding(identifier, current.id, current.category, severity, hit.node, message, current.remediation,
                   hit.evidence)


def evaluate(graph: Graph, rules: Iterable[Rule] | None = None) -> Evaluation:
    _load_families()
    by_kind: dict[str, list[Node]] = {}
    for node in graph.nodes.values():
        by_kind.setdefault(node.kind, []).append(node)
    problems = Problems()
    findings: dict[str, Finding] = {}
    for current in rules if rules is not None else RULES:
        kinds = sorted(by_kind) if ANY_KIND in current.kinds else sorted(current.kinds)
        for kind in kinds:
            for node in by_kind.get(kind, ()):
                if not current.applies_to(node):
                    continue
                try:
                    # Whole before kept: a check that fails half-way leaves no half of its hits.
                    for finding in [_finding(graph, current, hit) for hit in current.check(graph, node)]:
                        findings[finding.id] = finding
                except Exception as error:  # noqa: BLE001 - a check failing on one node is that node's gap
                    problems.failed(current.id, node.id, error, node.region)
    return Evaluation(ordered(findings.values()), problems.gaps)


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Findings as a scan holds them: the most severe first, then by rule and node."""
    return sorted(findings, key=lambda f: (-f.severity.rank, f.rule, f.node))


def all_rules() -> list[Rule]:
    """Every rule, to list: the families' and those that judge only against a policy the user gives (a tag
    policy: `lineage.tag_policy`), which `evaluate` does not run by itself."""
    _load_families()
    from lineage.tag_policy import TAG_RULES

    return [*RULES, *TAG_RULES]


def _load_families() -> None:
    # Importing a family registers its rules; done lazily so that this module has no cycle.
    from lineage.rules import (  # noqa: F401
        apigateway,
        athena,
        awslambda,
        bedrock,
        cost,
        coverage,
        dynamodb,
        emr,
        events,
        firehose,
        glue,
        kinesis,
        kms,
        logs,
        personal_data,
        quicksight,
        s3,
        sagemaker,
        sns,
        sqs,
        states,
    )
