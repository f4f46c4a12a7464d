"""The graph's own steps: merging what several collectors saw, a location taking its bucket's account,
buckets matched by a rule's pattern, distances of a walk, and each step keeping a failure on one
item that item's gap."""

from __future__ import annotations

from typing import Any

import pytest

from lineage import arn as arns
from lineage import graph as graph_module
from lineage.graph import build_graph, merge_nodes
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Stage
from lineage.patterns import BucketMatcher

ACCOUNT, REGION = "111122223333", "eu-west-1"
EV = (Evidence("test:Fixture", "fixture", "Path", "excerpt"),)
JOB = f"arn:aws:glue:{REGION}:{ACCOUNT}:job/j"


def node(node_id: str, kind: str, observed: bool, stage: Stage = Stage.PROCESSING, account: str = "",
         region: str = "", **attributes: Any) -> Node:
    return Node(node_id, kind, arns.name_for_id(node_id), stage, account, region, observed, attributes)


# --- merging -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("observed_first", [True, False])
def test_what_was_read_wins_over_what_was_only_referenced_whichever_came_first(observed_first: bool) -> None:
    read = node(JOB, "glue.job", True, Stage.PROCESSING, ACCOUNT, REGION, command="glueetl", shared="read")
    referenced = node(JOB, "external", False, Stage.USAGE, "", "", seen_in="sfn", shared="referenced")
    merged = merge_nodes(read, referenced) if observed_first else merge_nodes(referenced, read)
    assert (merged.kind, merged.stage, merged.account, merged.region, merged.observed) == (
        "glue.job", Stage.PROCESSING, ACCOUNT, REGION, True)
    assert merged.attributes == {"command": "glueetl", "seen_in": "sfn", "shared": "read"}


def test_a_kind_only_one_reference_knows_replaces_external_and_brings_its_stage() -> None:
    vague = node("arn:aws:sqs:eu-west-1:1:q", "external", False, Stage.USAGE)
    precise = node("arn:aws:sqs:eu-west-1:1:q", "sqs.queue", False, Stage.STORAGE, "1", REGION)
    for merged in (merge_nodes(vague, precise), merge_nodes(precise, vague)):
        assert (merged.kind, merged.stage, merged.account, merged.region) == ("sqs.queue", Stage.STORAGE, "1", REGION)


def test_two_references_keep_the_first_kind_and_fill_each_others_blanks() -> None:
    first = node("arn:x", "lambda.function", False, Stage.PROCESSING, "", REGION)
    second = node("arn:x", "states.state_machine", False, Stage.PROCESSING, ACCOUNT, "")
    merged = merge_nodes(first, second)
    assert (merged.kind, merged.account, merged.region, merged.observed) == ("lambda.function", ACCOUNT, REGION, False)


def test_a_read_node_keeps_its_own_stage_though_tagged_otherwise_than_its_kind() -> None:
    tagged = node("arn:aws:s3:::b", "s3.bucket", True, Stage.GENERATION, ACCOUNT, REGION)
    referenced = node("arn:aws:s3:::b", "s3.bucket", False, Stage.STORAGE)
    assert merge_nodes(referenced, tagged).stage == Stage.GENERATION


# --- locations and their buckets -----------------------------------------------------------------------


def test_a_location_takes_its_buckets_account_region_and_being_read() -> None:
    bucket = node("arn:aws:s3:::b", "s3.bucket", True, Stage.STORAGE, ACCOUNT, REGION)
    graph = build_graph([Facts((bucket,), (Edge(JOB, "arn:aws:s3:::b/out", EdgeKind.WRITES, EV),))])
    location = graph.nodes["arn:aws:s3:::b/out"]
    assert (location.account, location.region, location.observed) == (ACCOUNT, REGION, True)
    assert ("arn:aws:s3:::b/out", "arn:aws:s3:::b", EdgeKind.PART_OF) in graph.edges


def test_a_location_keeps_an_account_and_region_of_its_own() -> None:
    bucket = node("arn:aws:s3:::b", "s3.bucket", False, Stage.STORAGE, "", "")
    location = node("arn:aws:s3:::b/x", "s3.location", False, Stage.STORAGE, ACCOUNT, REGION)
    graph = build_graph([Facts((bucket, location), (Edge(JOB, location.id, EdgeKind.WRITES, EV),))])
    assert (graph.nodes[location.id].account, graph.nodes[location.id].region) == (ACCOUNT, REGION)


# --- buckets a rule's pattern matches ------------------------------------------------------------------


def test_only_buckets_read_from_aws_are_matched_and_the_pattern_is_the_evidence() -> None:
    rule_id = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/uploads"
    matcher = BucketMatcher("prefix", "raw-")
    rule = node(rule_id, "events.rule", True, Stage.PROCESSING, ACCOUNT, REGION, bucket_matchers=[matcher.to_dict()])
    read = node("arn:aws:s3:::raw-1", "s3.bucket", True, Stage.STORAGE, ACCOUNT, REGION)
    referenced = node("arn:aws:s3:::raw-2", "s3.bucket", False, Stage.STORAGE)
    graph = build_graph([Facts((rule, read, referenced))])
    notified = {(e.source, e.target): e for e in graph.edges.values() if e.kind == EdgeKind.NOTIFIES}
    assert set(notified) == {(read.id, rule_id)}
    assert notified[(read.id, rule_id)].evidence == (Evidence("events:ListRules", rule_id, "EventPattern",
                                                              'prefix: "raw-"'),)


def test_a_bucket_matched_and_named_keeps_both_pieces_of_evidence() -> None:
    rule_id = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/uploads"
    rule = node(rule_id, "events.rule", True, Stage.PROCESSING, ACCOUNT, REGION,
                bucket_matchers=[BucketMatcher("suffix", "-1").to_dict()])
    read = node("arn:aws:s3:::raw-1", "s3.bucket", True, Stage.STORAGE, ACCOUNT, REGION)
    named = Edge(read.id, rule_id, EdgeKind.NOTIFIES, EV)
    graph = build_graph([Facts((rule, read), (named,))])
    assert [e.path for e in graph.edges[(read.id, rule_id, EdgeKind.NOTIFIES)].evidence] == ["Path", "EventPattern"]


# --- walking -------------------------------------------------------------------------------------------


def chain() -> list[Facts]:
    """source → a → b → c, with a table the same data as b's location."""
    ids = [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}" for name in ("source", "a")]
    table = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/db/t"
    edges = (Edge(ids[0], ids[1], EdgeKind.INVOKES, EV), Edge(ids[1], "arn:aws:s3:::b/t", EdgeKind.WRITES, EV),
             Edge(table, "arn:aws:s3:::b/t", EdgeKind.STORED_AT, EV),
             Edge(table, f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/w", EdgeKind.READS, EV))
    return [Facts((), edges)]


def test_a_walk_counts_flows_and_the_same_data_costs_nothing() -> None:
    graph = build_graph(chain())
    start = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:source"
    assert graph.walk(start) == [  # by distance, then id
        (f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:a", 1),
        (f"arn:aws:glue:{REGION}:{ACCOUNT}:table/db/t", 2),  # the same data as b/t: no step of its own
        ("arn:aws:s3:::b", 2),  # the bucket holds what b/t holds
        ("arn:aws:s3:::b/t", 2),
        (f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/w", 3),
    ]


def test_a_walk_stops_at_its_depth_but_still_takes_the_same_data_there() -> None:
    graph = build_graph(chain())
    start = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:source"
    assert [n for n, _ in graph.walk(start, depth=2)] == [
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:a", f"arn:aws:glue:{REGION}:{ACCOUNT}:table/db/t",
        "arn:aws:s3:::b", "arn:aws:s3:::b/t"]
    upstream = graph.walk(f"arn:aws:athena:{REGION}:{ACCOUNT}:workgroup/w", downstream=False, depth=2)
    assert [n for n, d in upstream if d == 2] == [f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:a"]


def test_a_walk_from_a_node_the_graph_lacks_is_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError, match="nowhere"):
        build_graph(chain()).walk("arn:nowhere")


# --- a step that fails on one item ---------------------------------------------------------------------


def _failing_on(target: str, argument: int, original: Any) -> Any:
    def step(*args: Any, **kwargs: Any) -> Any:
        if target in repr(args[argument]):
            raise RuntimeError(f"cannot place {target}")
        return original(*args, **kwargs)

    return step


@pytest.mark.parametrize(("step", "function", "argument", "target"), [
    ("graph.attach_location", "_attach_location", -1, "arn:aws:s3:::b/odd"),
    ("graph.match_buckets", "_match_buckets", 0, "rule/uploads"),
    ("graph.merge", "merge_nodes", 0, "job/j"),
])
def test_a_step_that_fails_on_one_item_is_that_items_gap_and_the_rest_is_built(
        monkeypatch: pytest.MonkeyPatch, step: str, function: str, argument: int, target: str) -> None:
    monkeypatch.setattr(graph_module, function, _failing_on(target, argument, getattr(graph_module, function)))
    rule_id = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/uploads"
    rule = node(rule_id, "events.rule", True, Stage.PROCESSING, ACCOUNT, REGION,
                bucket_matchers=[BucketMatcher("prefix", "b").to_dict()])
    bucket = node("arn:aws:s3:::b", "s3.bucket", True, Stage.STORAGE, ACCOUNT, REGION)
    job = node(JOB, "glue.job", True, Stage.PROCESSING, ACCOUNT, REGION)
    facts = [Facts((rule, bucket, job, job), (Edge(JOB, "arn:aws:s3:::b/odd", EdgeKind.WRITES, EV),
                                              Edge(JOB, "arn:aws:s3:::b/fine", EdgeKind.WRITES, EV)))]
    graph = build_graph(facts)
    [gap] = graph.problems
    assert (gap.service, gap.operation) == ("lineage", step) and target in gap.resource
    assert gap.error == f"RuntimeError: cannot place {target}"
    assert {"arn:aws:s3:::b/fine", "arn:aws:s3:::b", JOB, rule_id} <= set(graph.nodes)
    assert ("arn:aws:s3:::b/fine", "arn:aws:s3:::b", EdgeKind.PART_OF) in graph.edges


def test_personal_data_that_cannot_be_followed_from_one_origin_is_that_origins_gap(
        monkeypatch: pytest.MonkeyPatch) -> None:
    tables = [node(f"arn:aws:glue:{REGION}:{ACCOUNT}:table/db/{name}", "glue.table", True, Stage.STORAGE,
                   ACCOUNT, REGION, personal_columns=[{"column": "email", "category": "email"}])
              for name in ("broken", "fine")]
    original = graph_module.Graph.reach

    def reach(self: Any, start: str, *args: Any, **kwargs: Any) -> Any:
        if start.endswith("broken"):
            raise RuntimeError("no way through")
        return original(self, start, *args, **kwargs)

    monkeypatch.setattr(graph_module.Graph, "reach", reach)
    graph = build_graph([Facts(tuple(tables), (Edge(tables[1].id, JOB, EdgeKind.READS, EV),))])
    [gap] = graph.problems
    assert (gap.operation, gap.resource) == ("personal_data.propagate", tables[0].id)
    personal = graph.nodes[JOB].attributes["personal_data"]
    assert (personal["categories"], personal["origins"]) == (["email"], [tables[1].id])


@pytest.mark.parametrize("owner", ["https://partner.example.com/hook", "//////", "s3://b/k", JOB,
                                   arns.dynamic_id("dynamic:////#x", "Parameters.Key.$")])
def test_a_place_known_at_run_time_keeps_its_path_whatever_its_owner_looks_like(owner: str) -> None:
    """The `#` between owner and path is the id's own, never a URL's fragment to mark as secret."""
    dynamic = arns.dynamic_id(owner, "States.Load#2.Parameters.Bucket.$")  # a state's name may hold `#`
    graph = build_graph([Facts((), (Edge(JOB, dynamic, EdgeKind.WRITES, EV),))])
    assert (JOB, dynamic, EdgeKind.WRITES) in graph.edges and dynamic in graph.nodes
