"""What the page knows of a scan: plain data its script draws, filters, groups and focuses on.

Nodes are referred to by their place in `nodes` (an ARN written once, not once per edge: a 50,000-node
page is half the size). Each node carries what its panel shows — its account, facts, findings, personal
data and where that came from — and the joins `Graph.reach` follows (a table and its location, S3 paths
inside one another), so that focusing in the page reaches exactly what `lineage lineage` reaches.
Positions are computed here: the whole graph's when it is small, the groups' when it is not (the page
places a group's members in place when it unfolds it). An edge between two accounts names both, so that
the page can draw the flows that leave an account apart from those that stay in it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lineage import arn as arns
from lineage.graph import READS_ALL, same_data_index
from lineage.isolation import Problems
from lineage.model import Edge, EdgeKind, Evidence, Finding, Node, Scan, Severity, Stage
from viz.grouping import GROUP_ABOVE, Group, groups
from viz.layout import COLUMN_WIDTH, MIN_ROWS, ROW_HEIGHT, WRAP_RATIO, positions

STAGE_COLOURS = {
    Stage.GENERATION: "#2b8a3e",
    Stage.STORAGE: "#1864ab",
    Stage.PROCESSING: "#e67700",
    Stage.USAGE: "#862e9c",
}

# Shapes whose label sits outside them, so a long name does not inflate the node.
SHAPE_BY_SERVICE = {
    "s3": "square",
    "glue": "triangle",
    "states": "hexagon",
    "events": "diamond",
    "lambda": "triangleDown",
    "athena": "star",
    "dynamodb": "dot",
    "sqs": "triangleDown",  # what carries messages on: queues, topics, streams
    "sns": "triangleDown",
    "kinesis": "triangleDown",
    "firehose": "triangleDown",
    "scheduler": "diamond",  # EventBridge's own: buses and rules, schedules, pipes
    "pipes": "diamond",
    "apigateway": "diamond",  # where data enters, as events come in: APIs, routes, GraphQL APIs
    "appsync": "diamond",
    "quicksight": "star",  # where people read it, as in Athena: datasets, analyses, dashboards
    "emr": "hexagon",  # compute a run is started on, as Step Functions runs: clusters, jobs, models
    "emr_serverless": "hexagon",
    "sagemaker": "hexagon",
    "bedrock": "star",  # where models are asked: used, as dashboards are
}

SEVERITY_COLOURS = {
    Severity.CRITICAL: "#a61e4d",
    Severity.HIGH: "#e03131",
    Severity.MEDIUM: "#f08c00",
    Severity.LOW: "#fab005",
    Severity.INFO: "#868e96",
}

PERSONAL_DATA_COLOUR = "#d6336c"
CROSS_ACCOUNT_COLOUR = "#0c8599"  # a flow from one account to another: apart from stages and severities
EVIDENCE_SHOWN = 3  # per edge; the rest is in the export
FACT_LENGTH = 300  # characters of one attribute's value in a panel
# Shown in their own section of the panel, or not facts about the place at all.
_NOT_FACTS = frozenset({"personal_data", "personal_labels", "personal_labels_ruled_out", "personal_data_handling"})


# What most nodes have, left unsaid and sent once as the page's defaults: a third off a large page.
_UNSAID: dict[str, Any] = {"personal": [], "origins": [], "labels": [], "handling": "", "facts": [], "eq": [],
                           "up": [], "down": [], "group": -1, "severity": -1, "findings": []}


@dataclass(frozen=True, slots=True)
class Focus:
    """The node a page opens on (None: the whole graph), and how many flows around a focused node it shows."""

    node: str | None = None
    depth: int = 2


def page_data(scan: Scan, problems: Problems, focus: Focus | None = None, personal_only: bool = False,
              group_above: int = GROUP_ABOVE) -> dict[str, Any]:
    """Everything the page's script needs, as JSON-ready data; a node or edge that cannot be given in full
    is given plainly and said in `problems`."""
    index = {node.id: place for place, node in enumerate(scan.nodes)}
    findings_of: dict[int, list[int]] = {}
    for place, finding in enumerate(scan.findings):
        if finding.node in index:
            findings_of.setdefault(index[finding.node], []).append(place)
    equivalent, containers, contained = same_data_index(index, (edge.key for edge in scan.edges))
    page_groups = groups(scan.nodes, group_above)
    group_of = {member: place for place, group in enumerate(page_groups) for member in group.members}
    placed = _positions(scan, page_groups, group_of, problems)
    accounts = [account_of(node) for node in scan.nodes]
    nodes = []
    for place, node in enumerate(scan.nodes):
        joins = {"eq": _places(equivalent.get(node.id), index), "up": _places(containers.get(node.id), index),
                 "down": _places(contained.get(node.id), index)}
        where = {"x": placed[node.id][0], "y": placed[node.id][1]} if node.id in placed else {}
        worst = max((scan.findings[f].severity.rank for f in findings_of.get(place, ())), default=-1)
        try:
            described = _described(node, index)
        except Exception as error:  # noqa: BLE001 - one odd attribute costs its node's panel, not the page
            problems.failed("view.node", node.id, error, node.region)
            described = _described_plainly(node, problems.gaps[-1].error)
        shown = {**described, **joins, **where, "group": group_of.get(node.id, -1), "severity": worst,
                 "findings": findings_of.get(place, [])}
        nodes.append({key: value for key, value in shown.items() if key not in _UNSAID or value != _UNSAID[key]})
    edges = []
    for edge in scan.edges:
        if edge.source not in index or edge.target not in index:
            problems.add("view.edge", f"{edge.source} → {edge.target}", "an end of this edge is not a node of the scan")
            continue
        drawn: dict[str, Any] = {"s": index[edge.source], "t": index[edge.target], "kind": edge.kind.value}
        between = accounts_crossed(accounts[index[edge.source]], accounts[index[edge.target]])
        if between:
            drawn["accounts"] = list(between)
        if edge.evidence:
            drawn["evidence"] = [_evidence(e) for e in edge.evidence[:EVIDENCE_SHOWN]]
        if len(edge.evidence) > EVIDENCE_SHOWN:
            drawn["more_evidence"] = len(edge.evidence) - EVIDENCE_SHOWN
        edges.append(drawn)
    return {
        "nodes": nodes,
        "edges": edges,
        "findings": [_finding(finding, index) for finding in scan.findings],
        "groups": [_group(group, index, placed) for group in page_groups],
        "initial": {"focus": index.get(focus.node) if focus and focus.node else None,
                    "depth": focus.depth if focus else Focus().depth,
                    "personal_only": personal_only},
        "defaults": _UNSAID,
        "flows": [kind.value for kind in EdgeKind if kind.is_flow],
        "either_way": [kind.value for kind in EdgeKind if kind.either_way],
        "reads_all": sorted(kind.value for kind in READS_ALL),
        "style": {"stages": {stage.value: colour for stage, colour in STAGE_COLOURS.items()},
                  "shapes": SHAPE_BY_SERVICE, "severities": [s.value for s in sorted(Severity, key=lambda s: s.rank)],
                  "severity_colours": {s.value: c for s, c in SEVERITY_COLOURS.items()},
                  "personal": PERSONAL_DATA_COLOUR,
                  "cross_account": CROSS_ACCOUNT_COLOUR, "column": COLUMN_WIDTH, "row": ROW_HEIGHT,
                  "min_rows": MIN_ROWS, "wrap_ratio": WRAP_RATIO},
    }


def account_of(node: Node) -> str:
    """The account a place belongs to: as read, else as its ARN names it; "" when neither says (a bucket's ARN
    names none). What `lineage.rules.account_of` says, from the node alone: the page builds no graph."""
    if node.account:
        return node.account
    parsed = arns.parse_arn(node.id)
    return parsed.account if parsed is not None else ""


def accounts_crossed(source_account: str, target_account: str) -> tuple[str, str] | None:
    """The two accounts an edge joins when it leaves one for another; None when it stays in one, or when an
    end's account is unknown (a bucket only referenced): an unknown account is not known to differ."""
    if source_account and target_account and source_account != target_account:
        return source_account, target_account
    return None


def _positions(scan: Scan, page_groups: list[Group], group_of: Mapping[str, int], problems: Problems
               ) -> dict[str, tuple[int, int]]:
    """Where each shape the page opens with stands: every node, or the groups and the nodes in none."""
    try:
        if not page_groups:
            return positions(scan.nodes, scan.edges)
        shapes = [Node(group.id, group.node_kind, group.label, group.stage) for group in page_groups]
        shapes += [node for node in scan.nodes if node.id not in group_of]

        def shape(node_id: str) -> str:
            return page_groups[group_of[node_id]].id if node_id in group_of else node_id

        between = {(shape(e.source), shape(e.target), e.kind): Edge(shape(e.source), shape(e.target), e.kind)
                   for e in scan.edges if e.kind != EdgeKind.PART_OF}
        return positions(shapes, between.values())
    except Exception as error:  # noqa: BLE001 - without positions the page still draws, only less legibly
        problems.failed("view.layout", scan.id, error)
        return {}


def _places(ids: set[str] | None, index: Mapping[str, int]) -> list[int]:
    return sorted(index[i] for i in ids if i in index) if ids else []


def _described(node: Node, index: Mapping[str, int]) -> dict[str, Any]:
    attributes = node.attributes
    personal = attributes.get("personal_data") or {}
    labels = [label for label in attributes.get("personal_labels") or [] if isinstance(label, dict)]
    handling = attributes.get("personal_data_handling")
    return {
        "id": node.id, "name": node.name or node.id, "kind": node.kind, "stage": node.stage.value,
        "account": account_of(node), "region": node.region, "observed": node.observed,
        "personal": sorted({str(c) for c in personal.get("categories") or []}),
        "origins": sorted(index[o] for o in personal.get("origins") or [] if o in index),
        "labels": sorted({f"{label.get('column') or label.get('source') or 'the place'}: {label.get('category', '')}"
                          for label in labels}),
        "handling": f"{handling.get('action', '')} ({handling.get('why', '')})" if isinstance(handling, dict) else "",
        "facts": [[key, _fact(value)] for key, value in sorted(attributes.items()) if key not in _NOT_FACTS],
    }


def _described_plainly(node: Node, why: str) -> dict[str, Any]:
    """A node whose attributes could not be described: its id and kind, and why the rest is missing."""
    return {"id": node.id, "name": node.id, "kind": node.kind, "stage": node.stage.value, "account": account_of(node),
            "region": node.region, "observed": node.observed, "facts": [["not shown in full", why]]}


def _fact(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    return text if len(text) <= FACT_LENGTH else text[: FACT_LENGTH - 1] + "…"


def _evidence(evidence: Evidence) -> dict[str, Any]:
    return {"operation": evidence.operation, "resource": evidence.resource, "path": evidence.path,
            "excerpt": evidence.excerpt, "dynamic": evidence.dynamic}


def _finding(finding: Finding, index: Mapping[str, int]) -> dict[str, Any]:
    return {"rule": finding.rule, "category": finding.category.value, "severity": finding.severity.value,
            "rank": finding.severity.rank, "node": index.get(finding.node, -1), "message": finding.message,
            "remediation": finding.remediation, "evidence": [_evidence(e) for e in finding.evidence[:EVIDENCE_SHOWN]]}


def _group(group: Group, index: Mapping[str, int], placed: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    x, y = placed.get(group.id, (0, 0))
    return {"id": group.id, "kind": group.kind, "label": group.label, "node_kind": group.node_kind,
            "stage": group.stage.value, "members": [index[m] for m in group.members], "x": x, "y": y}
