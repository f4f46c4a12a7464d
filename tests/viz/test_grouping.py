"""Grouping for scale: a large scan opens as a few hundred groups; small ones are not grouped; every node
is in at most one group; and the page's data keeps every node, its joins and its findings whatever folds."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.isolation import Problems
from lineage.model import Category, Edge, EdgeKind, Finding, Node, Scan, ScanStatus, Severity, stage_for
from viz.grouping import CLUSTER_MIN, GROUP_ABOVE, OPEN_WITH, groups
from viz.page_data import Focus, page_data


def node(node_id: str, kind: str, account: str = "111111111111", region: str = "eu-west-1") -> Node:
    return Node(node_id, kind, node_id.rsplit("/", 1)[-1].rsplit(":", 1)[-1], stage_for(kind), account, region)


def estate(buckets: int, paths: int, databases: int, tables: int, jobs: int) -> tuple[list[Node], list[Edge]]:
    """Buckets full of paths, jobs reading them and writing tables of a few databases."""
    nodes, edges = [], []
    for b in range(buckets):
        nodes.append(node(f"arn:aws:s3:::bucket-{b}", "s3.bucket"))
        for p in range(paths):
            location = f"arn:aws:s3:::bucket-{b}/p{p}"
            nodes.append(node(location, "s3.location"))
            edges.append(Edge(location, f"arn:aws:s3:::bucket-{b}", EdgeKind.PART_OF))
    for d in range(databases):
        database = f"arn:aws:glue:eu-west-1:111111111111:database/db{d}"
        nodes.append(node(database, "glue.database"))
        for t in range(tables):
            table = f"arn:aws:glue:eu-west-1:111111111111:table/db{d}/t{t}"
            nodes.append(node(table, "glue.table"))
            edges.append(Edge(table, database, EdgeKind.PART_OF))
    for j in range(jobs):
        job = f"arn:aws:glue:eu-west-1:111111111111:job/job-{j}"
        nodes.append(node(job, "glue.job", region=("eu-west-1", "us-east-1")[j % 2]))
        edges.append(Edge(f"arn:aws:s3:::bucket-{j % buckets}/p{j % paths}", job, EdgeKind.READS))
        edges.append(Edge(job, f"arn:aws:glue:eu-west-1:111111111111:table/db{j % databases}/t{j % tables}",
                          EdgeKind.WRITES))
    return nodes, edges


def scan_of(nodes: list[Node], edges: list[Edge], findings: tuple[Finding, ...] = ()) -> Scan:
    return Scan("s", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", ScanStatus.COMPLETE, ("1",), ("r",),
                tuple(nodes), tuple(edges), findings, (), {})


def test_ten_thousand_nodes_open_as_a_few_hundred_groups() -> None:
    nodes, edges = estate(buckets=120, paths=40, databases=30, tables=80, jobs=3000)
    assert len(nodes) > 10_000
    found = groups(nodes)
    grouped = [member for group in found for member in group.members]
    assert len(grouped) == len(set(grouped))  # a node is in one group at most
    shapes = len(found) + len(nodes) - len(grouped)
    assert shapes <= OPEN_WITH
    by_kind = {group.kind for group in found}
    assert by_kind == {"bucket", "database", "cluster"}
    bucket = next(g for g in found if g.id == "bucket:arn:aws:s3:::bucket-7")
    assert bucket.label == "bucket-7" and len(bucket.members) == 41 and "arn:aws:s3:::bucket-7" in bucket.members
    database = next(g for g in found if g.id == "database:arn:aws:glue:eu-west-1:111111111111:database/db3")
    assert database.label == "db3" and len(database.members) == 81
    clusters = {g.label: len(g.members) for g in found if g.kind == "cluster"}
    assert clusters == {"glue.job · 111111111111 · eu-west-1": 1500, "glue.job · 111111111111 · us-east-1": 1500}


def test_a_scan_that_fits_is_not_grouped_and_few_similar_nodes_stay_apart() -> None:
    nodes, _ = estate(buckets=2, paths=3, databases=1, tables=3, jobs=10)
    assert groups(nodes) == [] and len(nodes) <= GROUP_ABOVE
    sparse = [node(f"arn:aws:lambda:eu-west-1:1:function:f{i}", "lambda.function", region=f"r-{i}")
              for i in range(GROUP_ABOVE + 1)]
    assert groups(sparse) == []  # one of each: no cluster is worth a click
    few = [node(f"arn:aws:lambda:eu-west-1:1:function:f{i}", "lambda.function") for i in range(CLUSTER_MIN - 1)]
    assert groups(sparse + few) == []  # too few alike to be clearer as one


def test_a_place_known_only_at_run_time_is_in_no_bucket() -> None:
    nodes, _ = estate(buckets=1, paths=2, databases=0, tables=0, jobs=0)
    dynamic = Node("dynamic:arn:aws:states:r:1:stateMachine:m#States.X.Bucket", "s3.location", "$.bucket",
                   stage_for("s3.location"))
    found = groups([*nodes, dynamic], above=0)
    assert [g.members for g in found] == [tuple(sorted(n.id for n in nodes))]


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6), st.integers(0, 8), st.integers(0, 3), st.integers(0, 6), st.integers(1, 60),
       st.integers(0, 50))
def test_the_page_keeps_every_node_and_places_every_shape(buckets: int, paths: int, databases: int, tables: int,
                                                          jobs: int, above: int) -> None:
    nodes, edges = estate(buckets, max(paths, 1), max(databases, 1), max(tables, 1), jobs)
    finding = Finding("f", "s3.no_lifecycle", Category.LIFECYCLE, Severity.HIGH, nodes[0].id, "m", "fix")
    problems = Problems()
    data = page_data(scan_of(nodes, edges, (finding,)), problems, Focus(nodes[-1].id, 3), group_above=above)
    assert problems.gaps == []
    assert [n["id"] for n in data["nodes"]] == [n.id for n in nodes]
    assert data["initial"]["focus"] == len(nodes) - 1 and data["initial"]["depth"] == 3
    assert data["nodes"][0]["findings"] == [0] and data["nodes"][0]["severity"] == Severity.HIGH.rank
    members = {m for g in data["groups"] for m in g["members"]}
    for place, shown in enumerate(data["nodes"]):
        assert (shown.get("group", -1) >= 0) == (place in members)
        assert ("x" in shown) == (place not in members)  # a group's members are placed where it unfolds
    assert {(nodes[e["s"]].id, nodes[e["t"]].id, e["kind"]) for e in data["edges"]} == {
        (e.source, e.target, e.kind.value) for e in edges}
    location = next((i for i, n in enumerate(nodes) if n.kind == "s3.location"), None)
    if location is not None:
        assert data["nodes"][location].get("up") == [nodes.index(next(n for n in nodes if n.kind == "s3.bucket"
                                                                   and nodes[location].id.startswith(n.id + "/")))]
