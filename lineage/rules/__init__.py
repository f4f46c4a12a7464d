"""Rules: each declares its id, title, category, severity and remediation beside its check.

A check is a pure function of the graph yielding `Hit`s; `evaluate` turns hits into findings, one
step more severe where the node carries personal data (for the categories where that matters).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lineage.graph import Graph, carries_personal_data
from lineage.model import Category, Evidence, Finding, Severity


@dataclass(frozen=True, slots=True)
class Hit:
    node: str
    message: str
    evidence: tuple[Evidence, ...] = ()


Check = Callable[[Graph], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    category: Category
    severity: Severity
    remediation: str
    check: Check
    frameworks: tuple[str, ...] = ()


RULES: list[Rule] = []

_RAISED_WITH_PERSONAL_DATA = frozenset({Category.LIFECYCLE, Category.ENCRYPTION, Category.EXPOSURE})


def rule(id: str, title: str, category: Category, severity: Severity, remediation: str,
         frameworks: tuple[str, ...] = ()) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.append(Rule(id, title, category, severity, remediation, check, frameworks))
        return check

    return register


def finding_id(rule_id: str, node: str) -> str:
    """Stable across scans: the same gap on the same node keeps its id."""
    return hashlib.sha256(f"{rule_id}\x00{node}".encode()).hexdigest()[:16]


def evaluate(graph: Graph, rules: Iterable[Rule] | None = None) -> list[Finding]:
    _load_families()
    findings: dict[str, Finding] = {}
    for current in rules if rules is not None else RULES:
        for hit in current.check(graph):
            severity = current.severity
            node = graph.nodes.get(hit.node)
            message = hit.message
            if node is not None and current.category in _RAISED_WITH_PERSONAL_DATA and carries_personal_data(node):
                severity = severity.raised()
                categories = ", ".join(node.attributes["personal_data"]["categories"])
                message = f"{message} Personal data ({categories}) reaches this node."
            identifier = finding_id(current.id, hit.node)
            findings[identifier] = Finding(identifier, current.id, current.category, severity, hit.node,
                                           message, current.remediation, hit.evidence)
    return sorted(findings.values(), key=lambda f: (-f.severity.rank, f.rule, f.node))


def all_rules() -> list[Rule]:
    _load_families()
    return list(RULES)


def _load_families() -> None:
    # Importing a family registers its rules; done lazily so that this module has no cycle.
    from lineage.rules import athena, coverage, events, glue, personal_data, s3, states  # noqa: F401
