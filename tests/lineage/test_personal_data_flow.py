"""Personal data through the graph: it follows data, not names that share a bucket; masking stops it; a
finding on one object says nothing of its siblings; LF-tags of a database cover its tables; each place
reached records one shortest path from each source; a stored scan keeps the labels it was taken with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from lineage import arn as arns
from lineage import pii
from lineage.classification import load_classification
from lineage.graph import build_graph
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Stage, stage_for
from lineage.scan import analyse, graph_of, scan_of
from lineage.scan import now_utc as now

ACCOUNT, REGION = "111122223333", "eu-west-1"
EV = (Evidence("test:Fixture", "fixture", "Path", "excerpt"),)
USERS = arns.glue_table_arn(REGION, ACCOUNT, "lake", "users")
PRODUCTS = arns.glue_table_arn(REGION, ACCOUNT, "lake", "products")
MASK = arns.glue_job_arn(REGION, ACCOUNT, "mask-users")
COPY = arns.glue_job_arn(REGION, ACCOUNT, "copy-users")
READER = arns.glue_job_arn(REGION, ACCOUNT, "report")


def s3(path: str) -> str:
    bucket, _, prefix = path.partition("/")
    return arns.s3_location_id(bucket, prefix)


def table(table_id: str, *columns: str, **attributes: Any) -> Node:
    name = ".".join(table_id.split("/")[-2:])
    return Node(table_id, "glue.table", name, Stage.STORAGE, ACCOUNT, REGION, True,
                {"database": name.split(".")[0], "columns": [{"name": c, "type": "string"} for c in columns],
                 **attributes})


def job(job_id: str, **attributes: Any) -> Node:
    return Node(job_id, "glue.job", arns.name_for_id(job_id), Stage.PROCESSING, ACCOUNT, REGION, True, attributes)


def bucket(name: str, **attributes: Any) -> Node:
    return Node(arns.bucket_arn(name), "s3.bucket", name, Stage.STORAGE, ACCOUNT, REGION, True, attributes)


def flow(source: str, target: str, kind: EdgeKind = EdgeKind.WRITES) -> Edge:
    return Edge(source, target, kind, EV)


def personal(graph: Any, node_id: str) -> dict[str, Any] | None:
    return graph.nodes[node_id].attributes.get("personal_data")


def lake() -> list[Facts]:
    """One bucket, two tables: users (an e-mail column) and products (none), each read by a job."""
    return [Facts(
        (table(USERS, "user_id", "email"), table(PRODUCTS, "sku", "product_name"), bucket("lake"),
         job(COPY), job(READER)),
        (Edge(USERS, s3("lake/users"), EdgeKind.STORED_AT), Edge(PRODUCTS, s3("lake/products"), EdgeKind.STORED_AT),
         flow(USERS, COPY, EdgeKind.READS), flow(COPY, s3("out/users")), flow(s3("lake/products"), READER,
                                                                              EdgeKind.READS)),
    )]


def test_a_prefix_passes_personal_data_to_its_bucket_and_never_to_a_sibling_prefix() -> None:
    graph = build_graph(lake())
    reached = {n for n in graph.nodes if personal(graph, n)}
    assert reached == {USERS, s3("lake/users"), arns.bucket_arn("lake"), COPY, s3("out/users"),
                       arns.bucket_arn("out")}
    assert not {PRODUCTS, s3("lake/products"), READER} & reached


def test_each_place_reached_records_one_shortest_path_and_its_hops() -> None:
    graph = build_graph(lake())
    assert personal(graph, s3("out/users"))["paths"] == {USERS: [USERS, COPY, s3("out/users")]}
    assert personal(graph, arns.bucket_arn("lake"))["paths"] == {USERS: [USERS, s3("lake/users"),
                                                                         arns.bucket_arn("lake")]}
    [source] = pii.sources(graph)
    by_node = {reach.node: [(h.source, h.relation, h.target) for h in reach.hops] for reach in source.reaches}
    assert by_node[s3("out/users")] == [(USERS, "reads", COPY), (COPY, "writes", s3("out/users"))]
    assert by_node[arns.bucket_arn("lake")] == [(USERS, "stored at", s3("lake/users")),
                                                (s3("lake/users"), "held by", arns.bucket_arn("lake"))]
    assert [r.node for r in source.reaches][:2] == [s3("lake/users"), arns.bucket_arn("lake")]  # nearest first


def test_a_job_tagged_masked_handles_personal_data_and_stops_it() -> None:
    facts = lake() + [Facts((job(MASK, tags={"lineage:pii": "masked"}),),
                            (flow(USERS, MASK, EdgeKind.READS), flow(MASK, s3("lake/users_masked")),
                             flow(s3("lake/users_masked"), READER, EdgeKind.READS)))]
    graph = build_graph(facts)
    assert personal(graph, MASK)["origins"] == [USERS]  # it reads personal data
    assert graph.nodes[MASK].attributes["personal_data_handling"] == {"action": "masked",
                                                                      "why": "tag lineage:pii=masked"}
    assert personal(graph, s3("lake/users_masked")) is None and personal(graph, READER) is None


def test_a_job_named_in_the_rules_file_drops_personal_data(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text('[[processing]]\nnode = "*:job/copy-*"\npersonal_data = "dropped"\n', encoding="utf-8")
    graph = build_graph(lake(), load_classification(rules_file))
    assert graph.nodes[COPY].attributes["personal_data_handling"]["action"] == "dropped"
    assert personal(graph, s3("out/users")) is None


def test_a_macie_finding_on_one_object_marks_its_bucket_and_tables_above_it_not_its_siblings() -> None:
    finding = {"finding": "f1", "key": "raw/users/2024/part-0.csv", "detections": [
        {"category": "PERSONAL_INFORMATION", "type": "PHONE_NUMBER", "count": 3}]}
    found_at = s3("raw/users/2024")
    raw_users = arns.glue_table_arn(REGION, ACCOUNT, "raw", "users")
    graph = build_graph([Facts(
        (bucket("raw"), Node(found_at, "s3.location", "raw/users/2024", stage_for("s3.location"),
                             attributes={"macie_findings": [finding]}), table(raw_users, "payload")),
        (Edge(raw_users, s3("raw/users"), EdgeKind.STORED_AT), flow(s3("raw/users/2023"), READER, EdgeKind.READS),
         flow(raw_users, COPY, EdgeKind.READS)),
    )])
    assert personal(graph, found_at)["categories"] == ["phone"]
    for above in (s3("raw/users"), raw_users, arns.bucket_arn("raw"), COPY):
        assert personal(graph, above)["origins"] == [found_at], above
    assert personal(graph, s3("raw/users/2023")) is None and personal(graph, READER) is None


def test_a_bucket_tag_covers_every_prefix_in_it() -> None:
    graph = build_graph([Facts((bucket("raw", tags={"lineage:pii": "true"}),),
                               (flow(s3("raw/a/b"), READER, EdgeKind.READS),))])
    assert personal(graph, s3("raw/a/b"))["paths"] == {arns.bucket_arn("raw"): [arns.bucket_arn("raw"),
                                                                                s3("raw/a/b")]}
    assert personal(graph, READER)["categories"] == ["declared"]


def test_lf_tags_on_a_database_cover_its_tables() -> None:
    database = arns.glue_database_arn(REGION, ACCOUNT, "lake")
    graph = build_graph([Facts(
        (Node(database, "glue.database", "lake", Stage.STORAGE, ACCOUNT, REGION, True,
              {"lf_tags": {"sensitivity": ["pii"]}}), table(PRODUCTS, "sku")),
        (Edge(PRODUCTS, database, EdgeKind.PART_OF), flow(PRODUCTS, READER, EdgeKind.READS)),
    )])
    [label] = graph.nodes[PRODUCTS].attributes["personal_labels"]
    assert (label["source"], label["match"]) == ("lf-tag on database", "sensitivity=pii")
    assert personal(graph, READER)["origins"] == [PRODUCTS]
    assert graph.nodes[database].attributes["personal_labels"][0]["source"] == "lf-tag"


def test_a_stored_scan_keeps_the_labels_it_was_taken_with(tmp_path: Path) -> None:
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text('[categories.student_number]\nphrases = ["hakbun"]\n'
                          '[[false_positives]]\ncolumn = "*.users.email"\n', encoding="utf-8")
    facts = [Facts((table(USERS, "email", "hakbun"), job(COPY)), (flow(USERS, COPY, EdgeKind.READS),))]
    analysis = analyse(facts, load_classification(rules_file))
    scan = scan_of(analysis, "s", now(), (REGION,), [], {}, True, (ACCOUNT,))
    [ruled_out] = analysis.graph.nodes[USERS].attributes["personal_labels_ruled_out"]
    assert (ruled_out["column"], ruled_out["category"], ruled_out["ruled_out_by"]) == ("email", "email",
                                                                                     "*.users.email")
    again = graph_of(scan)  # re-read later, with the default rules in force
    assert again.nodes[USERS].attributes["personal_labels"] == analysis.graph.nodes[USERS].attributes[
        "personal_labels"]
    assert personal(again, COPY)["categories"] == ["student_number"]  # not e-mail: the file said so


def test_the_same_facts_give_the_same_paths_in_any_process() -> None:
    """Set order differs between processes (hash seeds); the paths chosen among equals must not."""
    script = (
        "import json, sys; sys.path.insert(0, '.');"
        "from tests.lineage.test_personal_data_flow import wide;"
        "from lineage.graph import build_graph;"
        "g = build_graph(wide());"
        "print(json.dumps({n: v.attributes.get('personal_data') for n, v in sorted(g.nodes.items())}, sort_keys=True))"
    )
    root = Path(__file__).resolve().parents[2]
    outputs = {subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(outputs) == 1 and json.loads(outputs.pop())


def wide() -> list[Facts]:
    """Many equal-length paths from one source: which one is kept must not depend on set order."""
    edges = [Edge(USERS, s3("lake/users"), EdgeKind.STORED_AT)]
    for index in range(12):
        middle = arns.glue_job_arn(REGION, ACCOUNT, f"step-{index}")
        edges += [flow(s3(f"lake/users/part={index}"), middle, EdgeKind.READS), flow(middle, s3("sink/all"))]
    return [Facts((table(USERS, "email"), bucket("lake"), bucket("sink")), tuple(edges))]


def test_a_bucket_reached_from_one_path_passes_it_on_only_to_what_reads_all_of_it() -> None:
    """Its notifications say that something changed in it, not what: they carry no path's data."""
    bus = arns.event_bus_arn(REGION, ACCOUNT, "default")
    rule = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/any-object"
    whole = arns.glue_crawler_arn(REGION, ACCOUNT, "crawl-everything")
    graph = build_graph(lake() + [Facts((), (
        Edge(arns.bucket_arn("lake"), bus, EdgeKind.NOTIFIES, EV), Edge(bus, rule, EdgeKind.ROUTES, EV),
        Edge(rule, READER, EdgeKind.TRIGGERS, EV), flow(arns.bucket_arn("lake"), whole, EdgeKind.READS)))])
    assert personal(graph, bus) is None and personal(graph, rule) is None
    assert personal(graph, whole)["paths"][USERS] == [USERS, s3("lake/users"), arns.bucket_arn("lake"), whole]


def test_a_job_that_writes_where_personal_data_rests_handles_it_but_passes_nothing_on() -> None:
    writer = arns.glue_job_arn(REGION, ACCOUNT, "load-users")
    graph = build_graph(lake() + [Facts((job(writer),), (flow(writer, s3("lake/users")),
                                                          flow(writer, s3("archive/products"))))])
    assert personal(graph, writer)["writes_only"] is True
    assert personal(graph, s3("archive/products")) is None
    assert "writes_only" not in personal(graph, COPY)


def test_what_a_stored_scan_said_reaches_a_node_is_derived_again() -> None:
    stale = {"categories": ["email"], "origins": [USERS], "paths": [["not", "a", "mapping"]]}
    [facts] = lake()
    nodes = tuple(replace(n, attributes={**n.attributes, "personal_data": stale}) if n.id == PRODUCTS else n
                  for n in facts.nodes)
    graph = build_graph([Facts(nodes, facts.edges)])
    assert personal(graph, PRODUCTS) is None
    assert [s.node for s in pii.sources(graph)] == [USERS]
