"""Where each node is drawn: lineage reads left to right, computed before the page is written.

A node's column is how many flows lie before it on the longest way data can come to it (flows that run
in a circle share one column), so every flow outside a circle points right. Nodes on no flow stand in a
column of their stage, after the rest. Within a column, nodes are ordered by the mean row of what flows
into them (a few sweeps of the barycentre method), which undoes most crossings. The same scan is drawn
the same way every time: every tie is broken by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import networkx as nx

from lineage.model import Edge, Node, Stage

COLUMN_WIDTH = 260
ROW_HEIGHT = 70
_STAGE_ORDER = {stage: index for index, stage in enumerate(Stage)}
_SWEEPS = 4


def columns(nodes: Iterable[Node], edges: Iterable[Edge]) -> dict[str, int]:
    """Each node's column: the longest chain of flows before it; nodes on no flow after all others, by stage."""
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
        for node_id, group in circles.graph["mapping"].items():
            rank[node_id] = depth[group]
    after = max(rank.values(), default=-1) + 1
    for node_id, node in by_id.items():
        rank.setdefault(node_id, after + _STAGE_ORDER.get(node.stage, 0))
    return rank


def positions(nodes: Iterable[Node], edges: Iterable[Edge]) -> dict[str, tuple[int, int]]:
    """(x, y) of every node: its column, and its row in it after ordering to reduce crossings."""
    nodes, edges = list(nodes), list(edges)
    column = columns(nodes, edges)
    inbound: dict[str, list[str]] = {}
    outbound: dict[str, list[str]] = {}
    for edge in edges:
        if edge.kind.is_flow and edge.source in column and edge.target in column:
            inbound.setdefault(edge.target, []).append(edge.source)
            outbound.setdefault(edge.source, []).append(edge.target)
    layers: dict[int, list[str]] = {}
    for node_id in sorted(column):
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
    return {node_id: (column[node_id] * COLUMN_WIDTH, round(height[node_id] * ROW_HEIGHT)) for node_id in column}


def _mean(others: Iterable[str], height: Mapping[str, float], own: float) -> float:
    heights = [height[other] for other in others if other in height]
    return sum(heights) / len(heights) if heights else own


def _centred(layer: list[str]) -> dict[str, float]:
    return {node_id: index - (len(layer) - 1) / 2 for index, node_id in enumerate(layer)}
