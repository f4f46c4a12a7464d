"""The view's layout: lineage reads left to right, the same scan draws the same way, and a page of
thousands of nodes opens at once in a real browser with every node where it was placed."""

from __future__ import annotations

import math
import random
import time
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.model import Edge, EdgeKind, Node, Scan, ScanStatus, stage_for
from tests.viz.test_views import headless_chromium
from viz.html import render_html
from viz.layout import COLUMN_WIDTH, MIN_ROWS, WRAP_RATIO, columns, positions


def node(node_id: str, kind: str = "glue.job") -> Node:
    return Node(node_id, kind, node_id, stage_for(kind))


def platform(width: int) -> tuple[list[Node], list[Edge]]:
    """sources → raw paths → jobs → tables → workgroups, `width` of each, wired across."""
    nodes, edges = [], []
    for index in range(width):
        source, raw, job = f"source-{index}", f"arn:aws:s3:::raw/p{index}", f"job-{index}"
        table, usage = f"table-{index}", f"workgroup-{index % 7}"
        nodes += [node(source, "events.source"), node(raw, "s3.location"), node(job), node(table, "glue.table")]
        edges += [Edge(source, raw, EdgeKind.WRITES), Edge(raw, job, EdgeKind.READS),
                  Edge(job, table, EdgeKind.WRITES), Edge(table, usage, EdgeKind.READS),
                  Edge(raw, "arn:aws:s3:::raw", EdgeKind.PART_OF), Edge(f"job-{(index * 3) % width}", table,
                                                                        EdgeKind.WRITES)]
    nodes += [node(f"workgroup-{i}", "athena.workgroup") for i in range(min(width, 7))]
    nodes += [node("arn:aws:s3:::raw", "s3.bucket"), node("arn:aws:s3:::idle", "s3.bucket")]
    return nodes, edges


def test_every_flow_points_right_and_structure_stands_apart() -> None:
    nodes, edges = platform(40)
    placed = positions(nodes, edges)
    assert set(placed) == {n.id for n in nodes}
    for edge in edges:
        if edge.kind.is_flow:
            assert placed[edge.source][0] < placed[edge.target][0], edge
    assert len(set(placed.values())) == len(placed)  # no two nodes drawn on one another
    column = columns(nodes, edges)
    assert column["source-0"] == 0 and column["arn:aws:s3:::raw/p0"] == 1 and column["job-0"] == 2
    assert column["arn:aws:s3:::idle"] > max(column[e.target] for e in edges if e.kind.is_flow)  # on no flow


def test_a_circle_of_flows_shares_one_column() -> None:
    nodes = [node(x) for x in "abcd"]
    edges = [Edge("a", "b", EdgeKind.TRIGGERS), Edge("b", "c", EdgeKind.TRIGGERS), Edge("c", "b", EdgeKind.TRIGGERS),
             Edge("c", "d", EdgeKind.WRITES)]
    column = columns(nodes, edges)
    assert column == {"a": 0, "b": 1, "c": 1, "d": 2}


def test_the_same_scan_draws_the_same_way_whatever_the_order_of_its_facts() -> None:
    nodes, edges = platform(60)
    expected = positions(nodes, edges)
    shuffled_nodes, shuffled_edges = nodes[:], edges[:]
    for seed in range(3):
        random.Random(seed).shuffle(shuffled_nodes)
        random.Random(seed).shuffle(shuffled_edges)
        assert positions(shuffled_nodes, shuffled_edges) == expected


def test_ordering_within_columns_undoes_crossings() -> None:
    """Two chains drawn crossed by their ids (a1 → b2, a2 → b1) come out straight."""
    nodes = [node(x) for x in ("a1", "a2", "b1", "b2")]
    edges = [Edge("a1", "b2", EdgeKind.WRITES), Edge("a2", "b1", EdgeKind.WRITES)]
    placed = positions(nodes, edges)
    assert (placed["a1"][1] < placed["a2"][1]) == (placed["b2"][1] < placed["b1"][1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30), st.sampled_from(list(EdgeKind))), max_size=80))
def test_any_graph_is_placed_whole_and_acyclic_flows_point_right(pairs: list[tuple[int, int, EdgeKind]]) -> None:
    nodes = [node(f"n{i}") for i in range(31)]
    edges = [Edge(f"n{a}", f"n{b}", kind) for a, b, kind in pairs]
    placed = positions(nodes, edges)
    assert set(placed) == {n.id for n in nodes} and len(set(placed.values())) == len(placed)
    flows = nx.DiGraph([(e.source, e.target) for e in edges if e.kind.is_flow and e.source != e.target])
    for source, target in flows.edges:
        if not nx.has_path(flows, target, source):  # outside a circle
            assert placed[source][0] + COLUMN_WIDTH <= placed[target][0]


@pytest.mark.browser
def test_a_page_of_two_thousand_nodes_opens_at_once_with_every_node_where_it_was_placed(tmp_path: Path) -> None:
    nodes, edges = platform(500)
    scan = Scan(id="big", started_at="2026-01-01T00:00:00+00:00", finished_at="2026-01-01T00:00:01+00:00",
                status=ScanStatus.COMPLETE, accounts=("1",), regions=("r",), nodes=tuple(nodes), edges=tuple(edges),
                findings=(), coverage_gaps=(), api_calls={})
    placed = positions(nodes, edges)
    page = tmp_path / "big.html"
    page.write_text(render_html(scan, group_above=len(nodes)), encoding="utf-8")  # every node, ungrouped
    driver = headless_chromium(tmp_path)
    try:
        started = time.monotonic()
        driver.get(page.as_uri())
        count = driver.execute_script("return window.lineageNetwork.body.data.nodes.length")
        print(f"\n{count} nodes drawn in {time.monotonic() - started:.1f} s")  # said, never asserted
        assert count == len(nodes) > 2000
        assert driver.execute_script("return window.lineageNetwork.physics.options.enabled") is False
        drawn = driver.execute_script("""
            const network = window.lineageNetwork, shown = network.body.data.nodes.get();
            const at = network.getPositions(shown.map(n => n.id));
            return Object.fromEntries(shown.map(n => [n.nodeId, [Math.round(at[n.id].x), Math.round(at[n.id].y)]]));""")
        assert {i: tuple(p) for i, p in drawn.items()} == placed
        structure = "return window.lineageNetwork.body.data.edges.get({filter: e => e.label === 'part_of'}).length"
        assert driver.execute_script(structure) == 0  # structure, not a flow: it would hide the flows
        driver.find_element("id", "structure").click()
        assert driver.execute_script(structure) == sum(1 for e in edges if e.kind == EdgeKind.PART_OF)
    finally:
        driver.quit()


def test_a_column_too_tall_for_the_page_stands_as_several_side_by_side() -> None:
    nodes, edges = platform(400)  # columns of 400 sources, paths, jobs and tables
    placed = positions(nodes, edges)
    column = columns(nodes, edges)
    jobs = [n.id for n in nodes if n.id.startswith("job-")]
    assert len({column[j] for j in jobs}) == 1
    xs = {placed[j][0] for j in jobs}
    most = max(MIN_ROWS, math.ceil(WRAP_RATIO * math.sqrt(len(nodes))))
    assert len(xs) == math.ceil(400 / most) > 1
    for x in xs:  # each part of the column no taller than the page allows
        assert len([j for j in jobs if placed[j][0] == x]) <= most
    for edge in edges:
        if edge.kind.is_flow:
            assert placed[edge.source][0] < placed[edge.target][0], edge  # still left to right
    assert len(set(placed.values())) == len(placed)
    small, small_edges = platform(5)
    assert len({positions(small, small_edges)[n.id][0] for n in small if n.id.startswith("job-")}) == 1
