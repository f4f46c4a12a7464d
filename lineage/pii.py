"""Personal data through the graph: which nodes hold it (their labels, from `lineage.classification`),
every node it reaches and one shortest path from each source, and where processing masks or drops it.

Labels are given once, when a scan is taken, and kept on the nodes (`personal_labels`), so a stored scan
re-read later says what it said then, whichever rules file was used. Propagation is a pure function of
the labels and the graph, and is derived again whenever a graph is built.

How far a label goes:
- along every flow, downstream, and across the same data named twice (a table and its location);
- from a path up to the buckets and paths holding it, never down again into a sibling, and on from
  such a container only to what reads all of it (its notifications carry no path's data);
- down into every path of a bucket or table only when the label covers all of it (a tag on the
  bucket, a column of the table); a Macie finding on one object does not;
- to the jobs that write it where it rests: they handle it, and pass nothing on (`writes_only`);
- not past a node declared to mask or drop it (tag `lineage:pii=masked|dropped`, or the rules file).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lineage import arn as arns
from lineage.classification import Classification, node_labels, processing_declared, ruled_out_by
from lineage.isolation import Problems
from lineage.model import EdgeKind, Evidence, Node

if TYPE_CHECKING:
    from lineage.graph import Graph

LABELS = "personal_labels"  # the node's own labels, each with its evidence
RULED_OUT = "personal_labels_ruled_out"  # labels the rules file marked as false positives, with its reason
HANDLING = "personal_data_handling"  # {"action": masked | dropped, "why": …} on processing that stops it
REACHED = "personal_data"  # what reaches the node: categories, origins, one path from each origin
_CLASSIFIABLE = ("tags", "columns", "parameters", "lf_tags", "lf_column_tags", "macie_findings", "personal_columns")
_PARTIAL_SOURCES = frozenset({"macie"})  # labels that say something of one object, not of every path inside


# --- labels ---------------------------------------------------------------------------------------------


def label_nodes(graph: Graph, rules: Classification, problems: Problems) -> None:
    """Give each node not labelled yet the labels its configuration declares, and mark processing that
    masks or drops personal data. A node that fails to be read is a gap; the others are labelled."""
    for node_id, node in list(graph.nodes.items()):
        if not any(key in node.attributes for key in _CLASSIFIABLE) and not rules.processing:
            continue  # nothing to read: no columns, tags, LF-tags or findings, and no file naming processing
        if LABELS in node.attributes and HANDLING in node.attributes:
            continue
        try:
            graph.nodes[node_id] = _labelled(graph, node, rules)
        except Exception as error:  # noqa: BLE001 - a node whose configuration cannot be read is its gap
            problems.failed("personal_data.classify", node_id, error, node.region)


def _labelled(graph: Graph, node: Node, rules: Classification) -> Node:
    attributes = dict(node.attributes)
    if LABELS not in attributes and any(key in attributes for key in _CLASSIFIABLE):
        inherited = _database_lf_tags(graph, node)
        labels = node_labels(node.id, node.kind, node.name, attributes, rules, inherited)
        attributes[LABELS] = labels
        if rules.false_positives:  # what the file ruled out stays on record, so a reviewer sees it was judged
            kept = {tuple(sorted(label.items())) for label in labels}
            unfiltered = node_labels(node.id, node.kind, node.name, attributes, replace(rules, false_positives=()),
                                     inherited)
            ruled_out = [{**label, "ruled_out_by": ruled_out_by(rules, node.id, node.name, label)}
                         for label in unfiltered if tuple(sorted(label.items())) not in kept]
            if ruled_out:
                attributes[RULED_OUT] = ruled_out
        columns = sorted({(label["column"], label["category"]) for label in labels if label.get("column")})
        if columns or "columns" in attributes:
            attributes["personal_columns"] = [{"column": c, "category": k} for c, k in columns]
    if HANDLING not in attributes:
        declared = processing_declared(node.id, node.name, attributes.get("tags"), rules)
        if declared is not None:
            attributes[HANDLING] = {"action": declared[0], "why": declared[1]}
    return replace(node, attributes=attributes) if attributes != node.attributes else node


def _database_lf_tags(graph: Graph, node: Node) -> Mapping[str, Any] | None:
    """LF-tags on a table's database: Lake Formation applies them to every table in it."""
    if node.kind != "glue.table" or not node.attributes.get("database"):
        return None
    database = graph.nodes.get(arns.glue_database_arn(node.region, node.account, str(node.attributes["database"])))
    tags = database.attributes.get("lf_tags") if database is not None else None
    return tags if isinstance(tags, Mapping) else None


def labels_of(node: Node) -> list[dict[str, str]]:
    labels = node.attributes.get(LABELS)
    return [label for label in labels if isinstance(label, Mapping) and label.get("category")] \
        if isinstance(labels, list) else []


def categories_of(node: Node) -> list[str]:
    """The personal-data categories a node declares itself."""
    return sorted({str(label["category"]) for label in labels_of(node)})


def handling_of(node: Node) -> dict[str, str] | None:
    handling = node.attributes.get(HANDLING)
    return dict(handling) if isinstance(handling, Mapping) and handling.get("action") else None


# --- propagation ------------------------------------------------------------------------------------------


def propagate(graph: Graph, problems: Problems) -> None:
    """Mark every node personal data reaches with its categories, origins and one path from each origin."""
    stops = {node_id for node_id, node in graph.nodes.items() if handling_of(node)}
    for node_id, node in list(graph.nodes.items()):  # derived again from the labels: what a stored scan said goes
        if REACHED in node.attributes:
            graph.nodes[node_id] = replace(node, attributes={k: v for k, v in node.attributes.items() if k != REACHED})
    reached: dict[str, dict[str, Any]] = {}
    for origin, node in list(graph.nodes.items()):
        labels = labels_of(node)
        if not labels:
            continue
        with problems.guard("personal_data.propagate", origin, node.region):
            categories = {str(label["category"]) for label in labels}
            covers_all = any(label.get("source") not in _PARTIAL_SOURCES for label in labels)
            downstream, writers = _paths_from(graph, origin, stops, covers_all)
            for node_id, path in [*downstream.items(), *writers.items()]:
                entry = reached.setdefault(node_id, {"categories": set(), "paths": {}, "downstream": False})
                entry["categories"].update(categories)
                entry["paths"][origin] = list(path)
                entry["downstream"] |= node_id in downstream
    for node_id, entry in reached.items():
        node = graph.nodes[node_id]
        paths = dict(sorted(entry["paths"].items()))
        personal: dict[str, Any] = {"categories": sorted(entry["categories"]), "origins": list(paths), "paths": paths}
        if not entry["downstream"]:
            personal["writes_only"] = True  # it writes the data where it rests: it handles it, nothing flows out
        graph.nodes[node_id] = replace(node, attributes={**node.attributes, REACHED: personal})


def _paths_from(graph: Graph, origin: str, stops: set[str], covers_all: bool
                ) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """(downstream, writers): every node the origin's data reaches, with one shortest path; and the writers
    of every place that holds the data (the origin, the same data named otherwise, the paths inside it),
    which handle it without passing it on."""
    reached = graph.reach(origin, stops=stops, down_from_start=covers_all)
    paths = {node_id: r.path for node_id, r in reached.items()}
    holders = [origin, *sorted(graph.equivalents(origin))]
    if covers_all:
        holders += sorted({inner for holder in holders for inner in graph.contained(holder)})
    writers: dict[str, tuple[str, ...]] = {}
    for holder in holders:
        for edge in graph.flows_in(holder):
            if edge.kind == EdgeKind.WRITES and edge.source not in paths and edge.source not in writers:
                writers[edge.source] = (*paths.get(holder, (origin, holder)), edge.source)
    return paths, writers


def carries_personal_data(node: Node) -> bool:
    return bool(node.attributes.get(REACHED))


def passes_personal_data_on(node: Node) -> bool:
    """Whether what flows out of the node may carry personal data: not a writer only, nor masking."""
    personal = node.attributes.get(REACHED)
    return bool(personal) and not personal.get("writes_only") and handling_of(node) is None


# --- what a person reads: sources, what each reaches, hop by hop ----------------------------------------


@dataclass(frozen=True, slots=True)
class Hop:
    """One step of a path: a flow (its kind), or the same data under another name."""

    source: str
    target: str
    relation: str  # an edge kind, or: "stored at", "held by" (a container), "holds" (a path inside), "written by"
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Reach:
    node: str
    hops: tuple[Hop, ...]

    @property
    def distance(self) -> int:
        return sum(1 for hop in self.hops if hop.relation in _FLOW_RELATIONS)


_FLOW_RELATIONS = frozenset(kind.value for kind in EdgeKind if kind.is_flow) | {"written by"}


@dataclass(frozen=True, slots=True)
class Source:
    """A node that holds personal data by its own configuration, and every place its data reaches."""

    node: str
    categories: tuple[str, ...]
    labels: tuple[Mapping[str, str], ...]
    reaches: tuple[Reach, ...]  # nearest first, then by id; the source itself is not among them


def reached_by(graph: Graph) -> dict[str, list[tuple[str, list[str]]]]:
    """origin → [(node, path)] for every node its data reaches (itself left out); built once per graph."""
    index = graph.memo.get(REACHED)
    if index is None:
        index = {}
        for node_id, node in graph.nodes.items():
            personal = node.attributes.get(REACHED)
            paths = personal.get("paths") if isinstance(personal, Mapping) else None
            for origin, path in (paths.items() if isinstance(paths, Mapping) else ()):
                if origin != node_id and isinstance(path, list) and path:
                    index.setdefault(origin, []).append((node_id, path))
        graph.memo[REACHED] = index
    return index


def sources(graph: Graph) -> list[Source]:
    """Every source of personal data in the graph, by id."""
    found = []
    index = reached_by(graph)
    for node_id in sorted(graph.nodes):
        labels = labels_of(graph.nodes[node_id])
        if labels:
            reaches = sorted((Reach(node, hops_of(graph, path)) for node, path in index.get(node_id, [])),
                             key=lambda r: (r.distance, len(r.hops), r.node))
            found.append(Source(node_id, tuple(categories_of(graph.nodes[node_id])), tuple(labels), tuple(reaches)))
    return found


def hops_of(graph: Graph, path: list[str] | tuple[str, ...]) -> tuple[Hop, ...]:
    """The hops along a path of node ids, each with the relation that joins its ends and its evidence."""
    return tuple(_hop(graph, a, b) for a, b in zip(path, path[1:], strict=False))


def _hop(graph: Graph, a: str, b: str) -> Hop:
    for edge in graph.flows_out(a):
        if edge.target == b:
            return Hop(a, b, edge.kind.value, edge.evidence)
    for edge in graph.flows_in(a):
        if edge.source == b and edge.kind == EdgeKind.WRITES:
            return Hop(a, b, "written by", edge.evidence)
    if b in graph.equivalents(a):
        edge = graph.edges.get((a, b, EdgeKind.STORED_AT)) or graph.edges.get((b, a, EdgeKind.STORED_AT))
        return Hop(a, b, "stored at", edge.evidence if edge else ())
    if b in graph.containers(a):
        return Hop(a, b, "held by")
    if b in graph.contained(a):
        return Hop(a, b, "holds")
    return Hop(a, b, "unknown")
