"""Where each node is drawn: lineage reads left to right, computed before the page is written.

A node's column is how many flows lie before it on the longest way data can come to it (flows that run
in a circle share one column), so every flow outside a circle points right; where data first appears
stands just before what first takes it. A node on no flow stands beside what it is the same data as or
holds (a bucket with its first path on a flow); the rest stand in one column after everything else, by
stage. Within a column, nodes are ordered by the mean row of what flows into them (a few
sweeps of the barycentre method), which undoes most crossings; a column too tall for the page stands as
several side by side. The same scan is drawn the same way
every time: every tie is broken by id.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import networkx as nx

from lineage.model import Edge, Node, Stage

COLUMN_WIDTH = 260
ROW_HEIGHT = 80  # a group's shape and its two lines of label, clear of the next
MIN_ROWS = 30  # a column this tall or less stands as one
WRAP_RATIO = 1.5  # a taller one wraps at this many times the square root of the shapes drawn
_STAGE_ORDER = {stage: index for index, stage in enumerate(Stage)}
_SWEEPS = 4


def columns(nodes: Iterable[Node], edges: Iterable[Edge]) -> dict[str, int]:
    """Each node's column: the longest chain of flows before it; nodes on no flow after all others."""
    by_id = {node.id: node for node in nodes}
    flows = nx.DiGraph()
    flows.add_edges_from((e.source, e.target) for e in edges
                         if e.kind.is_flow and e.source in by_id and e.target in by_id and e.source != e.target)
    rank: dict[str, int] = {}
    if flows.number_of_nodes():
        circles = nx.condensation(flows)  # each strongly connected set of nodes becomes one
        depth: dict[int, int] = {}
        for group in nx.lexicographical_topological_sort(circles):
            depth[group] = max((depth[before] + 1 for before in circles.predecessors(group)), default=0)
        # Where data first appears (nothing flows in) it stands just before what first takes it, not in the
        # first column: a table that feeds one late job does not sit among the event sources.
        for group in circles:
            if not circles.in_degree(group) and circles.out_degree(group):
                depth[group] = min(depth[after] for after in circles.successors(group)) - 1
        for node_id, group in circles.graph["mapping"].items():
            rank[node_id] = depth[group]
    # A bucket or database on no flow of its own stands with the first of its paths or tables that is
    # on one (the same data, by structure), not apart from them.
    beside: dict[str, int] = {}
    for edge in edges:
        if not edge.kind.is_flow:
            for node_id, other in ((edge.source, edge.target), (edge.target, edge.source)):
                if node_id in by_id and node_id not in rank and other in rank:
                    beside[node_id] = min(beside.get(node_id, rank[other]), rank[other])
    rank.update(beside)
    after = max(rank.values(), default=-1) + 1
    for node_id in by_id:
        rank.setdefault(node_id, after)
    return rank


def positions(nodes: Iterable[Node], edges: Iterable[Edge]) -> dict[str, tuple[int, int]]:
    """(x, y) of every node: its column, and its row in it after ordering to reduce crossings."""
    nodes, edges = list(nodes), list(edges)
    column = columns(nodes, edges)
    inbound: dict[str, list[str]] = {}
    outbound: dict[str, list[str]] = {}
    for edge in edges:
        if edge.source in column and edge.target in column:
            # Structure pulls a bucket towards its paths, both ways: rows, not columns, are at stake here.
            inbound.setdefault(edge.target, []).append(edge.source)
            outbound.setdefault(edge.source, []).append(edge.target)
            if not edge.kind.is_flow:
                inbound.setdefault(edge.source, []).append(edge.target)
                outbound.setdefault(edge.target, []).append(edge.source)
    layers: dict[int, list[str]] = {}
    stage_of = {node.id: _STAGE_ORDER.get(node.stage, 0) for node in nodes}
    for node_id in sorted(column, key=lambda node_id: (stage_of.get(node_id, 0), node_id)):
        layers.setdefault(column[node_id], []).append(node_id)
    height: dict[str, float] = {}  # a node's row, centred on its column's middle: comparable across columns
    for layer in layers.values():
        height.update(_centred(layer))
    order = sorted(layers)
    for sweep in range(_SWEEPS):
        # Left to right by what flows in, then right to left by what flows out: each sweep keeps the other's gains.
        neighbours, walk = (inbound, order) if sweep % 2 == 0 else (outbound, list(reversed(order)))
        for layer_index in walk:
            layer = layers[layer_index]
            layer.sort(key=lambda node_id: (_mean(neighbours.get(node_id, ()), height, height[node_id]), node_id))
            height.update(_centred(layer))
    return _wrapped(order, layers, _rows_at_most(len(column)))


def _rows_at_most(count: int) -> int:
    """How tall a column may stand: about as many rows as the drawing has columns, so that a few
    hundred shapes open as a page, not as a thread too thin to read."""
    return max(MIN_ROWS, math.ceil(WRAP_RATIO * math.sqrt(count)))


def _wrapped(order: list[int], layers: Mapping[int, list[str]], most: int) -> dict[str, tuple[int, int]]:
    """(x, y) of each node: a column taller than `most` rows stands as several side by side, its nodes dealt
    across them in order, so each keeps its height within the column (and its flows stay level)."""
    placed: dict[str, tuple[int, int]] = {}
    x = 0
    for layer_index in order:
        layer = layers[layer_index]
        parts = math.ceil(len(layer) / most)
        rows = math.ceil(len(layer) / parts)
        for place, node_id in enumerate(layer):
            row = place // parts
            placed[node_id] = (x + (place % parts) * COLUMN_WIDTH, round((row - (rows - 1) / 2) * ROW_HEIGHT))
        x += parts * COLUMN_WIDTH
    return placed


def _mean(others: Iterable[str], height: Mapping[str, float], own: float) -> float:
    heights = [height[other] for other in others if other in height]
    return sum(heights) / len(heights) if heights else own


def _centred(layer: list[str]) -> dict[str, float]:
    return {node_id: index - (len(layer) - 1) / 2 for index, node_id in enumerate(layer)}
