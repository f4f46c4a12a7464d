"""One graph from many collectors' facts: resolution, joins, and queries (personal data: `lineage.pii`).

Resolution: the same id from several collectors is one node (an observed node's facts win); an edge
to an id no collector read becomes an unobserved node so the flow stays whole; every S3 location
belongs to its bucket. Joins: a table and the location holding its data are the same data; an S3 path
holds what every path inside it holds. Queries follow both at no cost, containment one way at a time:
from `s3://b/x` up to `s3://b` (the bucket holds what `x` holds) and down to `s3://b/x/y`, but never up
and then down again — `s3://b/y` shares nothing with `s3://b/x`.

A place known only at run time (`dynamic:` id) is a node like any other, but never a bucket and never
the same data as anything: it is an unknown place. A fact no step can place is the step's gap in
`Graph.problems`, and the graph is built from everything else.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from lineage import arn as arns
from lineage import invocation_logging, pii, redact, references, resource_links
from lineage.classification import Classification, default_classification
from lineage.intake import admit
from lineage.isolation import Problems
from lineage.model import CoverageGap, Edge, EdgeKind, Evidence, Facts, Node, stage_for
from lineage.patterns import BucketMatcher

_ANY_WAY, _UP, _DOWN = "any", "up", "down"  # how a walk last moved through S3 containment
# What takes a whole bucket's data: a reader of it, or what names the bucket (and may read any of it).
READS_ALL = frozenset({EdgeKind.READS, EdgeKind.REFERENCES})


@dataclass(slots=True)
class Graph:
    nodes: dict[str, Node]
    edges: dict[tuple[str, str, EdgeKind], Edge]
    _in: dict[str, list[Edge]] = field(default_factory=dict, repr=False)
    _out: dict[str, list[Edge]] = field(default_factory=dict, repr=False)
    _equivalent: dict[str, set[str]] = field(default_factory=dict, repr=False)  # a table ↔ its location
    _containers: dict[str, set[str]] = field(default_factory=dict, repr=False)  # S3 paths holding this one
    _contained: dict[str, set[str]] = field(default_factory=dict, repr=False)  # S3 paths inside this one
    problems: list[CoverageGap] = field(default_factory=list)  # facts that could not be placed, and why
    # Indexes a query builds once per graph (`lineage.pii.reached_by`); dropped with the graph.
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    # -- structure -------------------------------------------------------------------------------

    def flows_in(self, node_id: str) -> list[Edge]:
        """Flows into the node; one whose direction is unknown (`references`) is here from either end."""
        return self._in.get(node_id, [])

    def flows_out(self, node_id: str) -> list[Edge]:
        return self._out.get(node_id, [])

    def on_a_flow(self, node_id: str) -> bool:
        """Whether data moves into or out of this node, or of the same data elsewhere named."""
        return any(self.flows_in(n) or self.flows_out(n) for n in self.same_data(node_id) | {node_id})

    def same_data(self, node_id: str) -> set[str]:
        """Nodes that hold (some of) the same objects: a table's location, the S3 paths holding this one
        and those inside it — not its siblings."""
        return self.equivalents(node_id) | self.containers(node_id) | self.contained(node_id)

    def equivalents(self, node_id: str) -> set[str]:
        return self._equivalent.get(node_id, set())

    def containers(self, node_id: str) -> set[str]:
        return self._containers.get(node_id, set())

    def contained(self, node_id: str) -> set[str]:
        return self._contained.get(node_id, set())

    def bucket_of(self, node_id: str) -> Node | None:
        parts = arns.s3_parts(node_id)
        return self.nodes.get(arns.bucket_arn(parts[0])) if parts else None

    # -- queries ---------------------------------------------------------------------------------

    def walk(self, start: str, downstream: bool = True, depth: int | None = None) -> list[tuple[str, int]]:
        """Nodes reachable from `start` along flows, with their distance; the same data costs nothing.

        Containment is followed one way at a time (see the module's docstring): each step remembers
        whether it went up to a container or down into a path, and a flow starts afresh.
        """
        reached = self.reach(start, downstream, depth)
        return sorted(((n, r.distance) for n, r in reached.items() if n != start),
                      key=lambda item: (item[1], item[0]))

    def reach(self, start: str, downstream: bool = True, depth: int | None = None,
              stops: Collection[str] = (), down_from_start: bool = True) -> dict[str, Reached]:
        """Every node reachable from `start` (itself included) with its distance and one shortest path.

        Flows out of a node in `stops` are not followed (a job that masks what it reads). Without
        `down_from_start`, the walk may not go down from `start` into the paths inside it: what is known
        of one object in a bucket is not known of the bucket's other paths.
        """
        if start not in self.nodes:
            raise KeyError(start)
        first = (start, _ANY_WAY if down_from_start else _UP)
        best: dict[tuple[str, str], int] = {first: 0}
        parent: dict[tuple[str, str], tuple[str, str] | None] = {first: None}
        queue: deque[tuple[int, tuple[str, str]]] = deque([(0, first)])

        def visit(state: tuple[str, str], steps: int, came_from: tuple[str, str], free: bool) -> None:
            if state in best and best[state] <= steps:
                return
            best[state], parent[state] = steps, came_from
            (queue.appendleft if free else queue.append)((steps, state))

        while queue:
            steps, state = queue.popleft()
            if steps > best[state]:
                continue  # a shorter way here was found after this one was queued
            current, way = state
            # Sorted: among paths of equal length, the one kept must not depend on the order of a set.
            for other in sorted(self.equivalents(current)):
                visit((other, way), steps, state, free=True)
            if way in (_ANY_WAY, _UP):
                for other in sorted(self.containers(current)):
                    visit((other, _UP), steps, state, free=True)
            if way in (_ANY_WAY, _DOWN):
                for other in sorted(self.contained(current)):
                    visit((other, _DOWN), steps, state, free=True)
            if (depth is not None and steps >= depth) or (current in stops and current != start):
                continue
            for edge in self.flows_out(current) if downstream else self.flows_in(current):
                # Reached by going up from one of its paths, a bucket passes that path's data on only to
                # what reads all of it: its notifications say that something changed, not what.
                if way == _UP and current != start and downstream and edge.kind not in READS_ALL:
                    continue
                visit((edge.target if downstream else edge.source, _ANY_WAY), steps + 1, state, free=False)
        return _shortest(best, parent)

    def to_networkx(self) -> nx.MultiDiGraph:
        """Every node and edge (structure included), for graph algorithms beyond these queries."""
        graph = nx.MultiDiGraph()
        for node_id, node in self.nodes.items():
            graph.add_node(node_id, kind=node.kind, stage=node.stage.value, observed=node.observed)
        for source, target, kind in self.edges:
            graph.add_edge(source, target, key=kind.value, kind=kind.value)
        return graph


@dataclass(frozen=True, slots=True)
class Reached:
    distance: int  # flows crossed; the same data elsewhere costs nothing
    path: tuple[str, ...]  # from the start to this node, both included


def _shortest(best: dict[tuple[str, str], int], parent: dict[tuple[str, str], tuple[str, str] | None]
              ) -> dict[str, Reached]:
    """Per node, its nearest state and the path to it (states are a node and how it was entered)."""
    nearest: dict[str, tuple[str, str]] = {}
    for state, steps in best.items():
        held = nearest.get(state[0])
        if held is None or (steps, state[1]) < (best[held], held[1]):
            nearest[state[0]] = state
    reached = {}
    for node, state in nearest.items():
        path = []
        cursor: tuple[str, str] | None = state
        while cursor is not None:
            if not path or path[-1] != cursor[0]:
                path.append(cursor[0])
            cursor = parent[cursor]
        reached[node] = Reached(best[state], tuple(reversed(path)))
    return reached


def read_by_reference(graph: Graph, kind: str) -> dict[str, Node]:
    """Every node of `kind` read from AWS, by its id and by each reference that named it (`named_as`: an alias
    and its key, a role's bare name and its ARN); built once per graph."""
    memo = f"read_by_reference:{kind}"
    index: dict[str, Node] | None = graph.memo.get(memo)
    if index is None:
        index = {}
        for node in graph.nodes.values():
            if node.kind == kind and node.observed:
                index[node.id] = node
                index.update((str(name), node) for name in node.attributes.get("named_as") or [])
        graph.memo[memo] = index
    return index


def merge_nodes(first: Node, second: Node) -> Node:
    """Facts read from AWS win over facts only referenced; attributes of both are kept."""
    primary, other = (second, first) if second.observed and not first.observed else (first, second)
    attributes = {**other.attributes, **primary.attributes}
    kind = primary.kind if primary.kind != "external" or other.kind == "external" else other.kind
    return replace(
        primary,
        kind=kind,
        stage=primary.stage if primary.observed or kind == primary.kind else stage_for(kind),
        account=primary.account or other.account,
        region=primary.region or other.region,
        observed=primary.observed or other.observed,
        attributes=attributes,
    )


def merge_edges(first: Edge, second: Edge) -> Edge:
    evidence = first.evidence + tuple(e for e in second.evidence if e not in first.evidence)
    return replace(first, evidence=evidence)


def build_graph(facts: Iterable[Facts], classification: Classification | None = None) -> Graph:
    """Facts as they came → the graph: made plain by the intake, then resolved (`resolve`)."""
    problems = Problems()
    graph = resolve(*admit(facts, problems), classification)
    graph.problems = problems.gaps + graph.problems
    return graph


def resolve(admitted_nodes: Iterable[Node], admitted_edges: Iterable[Edge],
            classification: Classification | None = None) -> Graph:
    """The graph of plain facts (as the intake gives them), its nodes labelled with the personal data they
    declare (by `classification`, the default rules when none is given; a node labelled when its scan was
    taken keeps its labels) and the personal data propagated. A step that fails on one item is its gap."""
    problems = Problems()
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str, EdgeKind], Edge] = {}
    for node in admitted_nodes:
        if node.id not in nodes:
            nodes[node.id] = node  # the common case, which cannot fail: no guard to pay for
            continue
        with problems.guard("graph.merge", node.id, node.region):
            nodes[node.id] = merge_nodes(nodes[node.id], node)
    for edge in admitted_edges:
        if edge.key not in edges:
            edges[edge.key] = edge
            continue
        with problems.guard("graph.merge", f"{edge.source} → {edge.target}"):
            edges[edge.key] = merge_edges(edges[edge.key], edge)
    with problems.guard("graph.references", "environment variables"):
        for edge in references.named_by_digests(nodes):
            edges[edge.key] = merge_edges(edges[edge.key], edge) if edge.key in edges else edge
    add_referenced_nodes(nodes, edges.values())
    with problems.guard("graph.resource_links", "glue"):  # over every table named, read or only referenced
        links = resource_links.linked(nodes)
        for edge in links:
            edges.setdefault(edge.key, edge)
        add_referenced_nodes(nodes, links)
    with problems.guard("graph.invocation_logging", "bedrock"):
        for edge in invocation_logging.logged_invocations(nodes):
            edges.setdefault(edge.key, edge)
    for node_id in [i for i, n in nodes.items() if n.kind == "s3.location"]:
        try:
            _attach_location(nodes, edges, node_id)
        except Exception as error:  # noqa: BLE001 - one path that cannot be placed is its own gap
            problems.failed("graph.attach_location", node_id, error)
    buckets = [n for n in nodes.values() if n.kind == "s3.bucket" and n.observed]
    for rule in [n for n in nodes.values() if n.kind == "events.rule" and n.attributes.get("bucket_matchers")]:
        with problems.guard("graph.match_buckets", rule.id, rule.region):
            _match_buckets(rule, buckets, edges)
    graph = Graph(nodes, edges)
    for edge in sorted(edges.values(), key=lambda e: (e.source, e.target, e.kind.value)):  # one order, one path
        if edge.kind.is_flow:
            graph._out.setdefault(edge.source, []).append(edge)
            graph._in.setdefault(edge.target, []).append(edge)
        if edge.kind.either_way and edge.source != edge.target:
            # Indexed the other way too: a walk, personal data and every rule see both directions it may take.
            mirrored = Edge(edge.target, edge.source, edge.kind, edge.evidence)
            graph._out.setdefault(mirrored.source, []).append(mirrored)
            graph._in.setdefault(mirrored.target, []).append(mirrored)
    graph._equivalent, graph._containers, graph._contained = same_data_index(nodes, edges)
    pii.label_nodes(graph, classification or default_classification(), problems)
    pii.propagate(graph, problems)
    graph.problems = problems.gaps
    return graph


def add_referenced_nodes(nodes: dict[str, Node], edges: Iterable[Edge]) -> None:
    """An edge's end no collector read becomes a node of its own, known only by reference."""
    for edge in list(edges):
        for endpoint in (edge.source, edge.target):
            if endpoint not in nodes:
                nodes[endpoint] = arns.referenced_node(endpoint)


def _attach_location(nodes: dict[str, Node], edges: dict[tuple[str, str, EdgeKind], Edge], node_id: str) -> None:
    """An S3 location is part of its bucket, and takes the bucket's account and region."""
    parts = arns.s3_parts(node_id)
    if parts is None:  # a dynamic location, or a path whose id is not an S3 one: no bucket to belong to
        return
    bucket_id = arns.bucket_arn(parts[0])
    if bucket_id not in nodes:
        nodes[bucket_id] = arns.referenced_node(bucket_id)
    bucket, node = nodes[bucket_id], nodes[node_id]
    nodes[node_id] = Node(node.id, node.kind, node.name, node.stage, node.account or bucket.account,
                          node.region or bucket.region, bucket.observed, node.attributes)
    edge = Edge(node_id, bucket_id, EdgeKind.PART_OF)
    edges.setdefault(edge.key, edge)


def _match_buckets(rule: Node, buckets: list[Node], edges: dict[tuple[str, str, EdgeKind], Edge]) -> None:
    """A rule whose pattern matches bucket names by prefix, suffix, wildcard… hears from each bucket that
    matches: the pattern is the evidence."""
    for data in rule.attributes["bucket_matchers"]:
        matcher = BucketMatcher.from_dict(data)
        excerpt = redact.short(f"{matcher.operator}: {json.dumps(matcher.operand)}", 200)
        for bucket in buckets:
            if matcher.matches(bucket.name):
                evidence = Evidence("events:ListRules", rule.id, "EventPattern", excerpt)
                edge = Edge(bucket.id, rule.id, EdgeKind.NOTIFIES, (evidence,))
                edges[edge.key] = merge_edges(edges[edge.key], edge) if edge.key in edges else edge


def _ancestor_prefixes(prefix: str) -> list[str]:
    """The paths that hold `prefix`'s objects, up to the bucket: `a/b/c` → ["", "a", "a/b"]; never `a/bc`
    for `a/b` (a path ends at a `/`: `raw` holds `raw/x`, not `rawdata`)."""
    return [""] + [prefix[:index] for index, char in enumerate(prefix) if char == "/"] if prefix else []


def same_data_index(node_ids: Iterable[str], edge_keys: Iterable[tuple[str, str, EdgeKind]]
                    ) -> tuple[dict[str, set[str]], dict[str, set[str]], dict[str, set[str]]]:
    """(equivalent, containers, contained): a table and its location; for S3 paths, those that hold each
    path and those each path holds. Linear in the paths: each looks up its own ancestors. The page walks
    the same joins as `Graph.reach`, from this index."""
    equivalent: dict[str, set[str]] = {}
    containers: dict[str, set[str]] = {}
    contained: dict[str, set[str]] = {}
    for source, target, kind in edge_keys:
        if kind == EdgeKind.STORED_AT:
            equivalent.setdefault(source, set()).add(target)
            equivalent.setdefault(target, set()).add(source)
    by_path: dict[tuple[str, str], str] = {}
    for node_id in node_ids:
        parts = arns.s3_parts(node_id)
        if parts is not None:
            by_path[parts] = node_id
    for (bucket, prefix), inner in by_path.items():
        for ancestor in _ancestor_prefixes(prefix):
            outer = by_path.get((bucket, ancestor))
            if outer is not None:
                containers.setdefault(inner, set()).add(outer)
                contained.setdefault(outer, set()).add(inner)
    return equivalent, containers, contained
