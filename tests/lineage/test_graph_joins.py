"""Where the graph says two nodes hold the same data, where personal data reaches, and what ids of other
partitions and of places known only at run time become."""

from __future__ import annotations

from typing import Any

import pytest

from lineage import arn as arns
from lineage.graph import build_graph
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Stage, stage_for
from lineage.rules import evaluate

ACCOUNT = "111122223333"
REGION = "eu-west-1"
EV = (Evidence("test:Fixture", "fixture"),)
WRITER = arns.glue_job_arn(REGION, ACCOUNT, "writer")
READER = arns.glue_job_arn(REGION, ACCOUNT, "reader")
LATER = arns.athena_workgroup_arn(REGION, ACCOUNT, "analytics")
TABLE = arns.glue_table_arn(REGION, ACCOUNT, "curated", "people")
MACHINE = arns.state_machine_arn(REGION, ACCOUNT, "etl")


def s3(path: str) -> str:
    bucket, _, prefix = path.partition("/")
    return arns.s3_location_id(bucket, prefix)


def flow(source: str, target: str, kind: EdgeKind = EdgeKind.WRITES) -> Edge:
    return Edge(source, target, kind, EV)


def bucket(name: str, tags: dict[str, Any] | None = None) -> Node:
    return Node(arns.bucket_arn(name), "s3.bucket", name, Stage.STORAGE, ACCOUNT, REGION, True,
                {"tags": tags or {}})


# --- S3 paths: one holds the other, or they share nothing -------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "joined"),
    [
        ("b", "b/raw", True),
        ("b", "b/raw/events/2024", True),
        ("b/raw", "b/raw/events", True),
        ("b/raw/", "b/raw/events/", True),
        ("b/raw", "b/rawdata", False),
        ("b/raw/x", "b/raw/xy", False),
        ("b/raw/events", "b/raw/logs", False),
        ("b/raw", "c/raw", False),
        ("b", "bb/raw", False),
    ],
)
def test_s3_paths_are_the_same_data_only_when_one_contains_the_other(first: str, second: str, joined: bool) -> None:
    graph = build_graph([Facts((), (flow(WRITER, s3(first)), flow(s3(second), READER, EdgeKind.READS)))])
    assert (s3(second) in graph.same_data(s3(first))) is joined
    assert (s3(first) in graph.same_data(s3(second))) is joined
    if joined or first.split("/")[0] != second.split("/")[0]:
        # Siblings in one bucket are walked in the test below.
        assert (READER in dict(graph.walk(WRITER))) is joined


def test_a_bucket_is_the_same_data_as_every_path_inside_it() -> None:
    graph = build_graph([Facts((bucket("b"),), (flow(WRITER, s3("b/raw")), flow(WRITER, s3("b/rawdata"))))])
    assert graph.same_data(s3("b")) == {s3("b/raw"), s3("b/rawdata")}
    assert graph.same_data(s3("b/raw")) == {s3("b")}
    assert (s3("b/raw"), s3("b"), EdgeKind.PART_OF) in graph.edges


@pytest.mark.parametrize(("first", "second"), [("b/raw", "b/rawdata"), ("b/raw/x", "b/raw/xy"),
                                               ("b/raw/events", "b/raw/logs")])
def test_a_sibling_prefix_is_not_reached_through_the_bucket_holding_both(first: str, second: str) -> None:
    graph = build_graph([Facts((bucket("b"),), (flow(WRITER, s3(first)), flow(s3(second), READER, EdgeKind.READS)))])
    assert s3(second) not in graph.same_data(s3(first))
    downstream = dict(graph.walk(s3(first)))
    assert s3(second) not in downstream and READER not in downstream
    assert READER not in dict(graph.walk(WRITER))


def test_a_table_and_its_location_are_the_same_data() -> None:
    graph = build_graph([Facts(
        (Node(TABLE, "glue.table", "curated.people", Stage.STORAGE, ACCOUNT, REGION, True, {}),),
        (Edge(TABLE, s3("cur/people"), EdgeKind.STORED_AT), flow(WRITER, s3("cur/people")),
         flow(TABLE, LATER, EdgeKind.READS)),
    )])
    assert TABLE in graph.same_data(s3("cur/people")) and s3("cur/people") in graph.same_data(TABLE)
    downstream = dict(graph.walk(WRITER))
    assert downstream[s3("cur/people")] == downstream[TABLE] == 1  # the same data costs no step
    assert downstream[LATER] == 2
    assert dict(graph.walk(LATER, downstream=False))[WRITER] == 2
    assert graph.on_a_flow(TABLE)


# --- Personal data declared by tag ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["true", "TRUE", " yes ", "True"])
def test_the_pii_tag_on_a_bucket_marks_what_reads_it_downstream(value: str) -> None:
    graph = build_graph([Facts(
        (bucket("landing", {"lineage:pii": value}), bucket("other")),
        (flow(s3("landing/events"), READER, EdgeKind.READS), flow(READER, s3("curated/out")),
         flow(s3("curated/out"), LATER, EdgeKind.READS), flow(WRITER, s3("other/x"))),
    )])
    declared = {"categories": ["declared"], "origins": [arns.bucket_arn("landing")]}
    marked = {i for i, n in graph.nodes.items() if n.attributes.get("personal_data")}
    assert marked == {arns.bucket_arn("landing"), s3("landing/events"), READER, s3("curated/out"),
                      arns.bucket_arn("curated"), LATER}
    for node_id in marked:
        personal = graph.nodes[node_id].attributes["personal_data"]
        assert {k: personal[k] for k in ("categories", "origins")} == declared
    # One shortest path from the tagged bucket, down into the path the reader reads, and on.
    assert graph.nodes[LATER].attributes["personal_data"]["paths"] == {arns.bucket_arn("landing"): [
        arns.bucket_arn("landing"), s3("landing/events"), READER, s3("curated/out"), LATER]}
    assert "personal_data" not in graph.nodes[WRITER].attributes  # writes elsewhere, reads nothing tagged


@pytest.mark.parametrize("tags", [{"lineage:pii": "false"}, {"lineage:pii": "no"}, {"lineage:pii": ""}, {},
                                  {"pii": "false"}, {"lineage:PII-owner": "true"}, {"lineage:pii": "masked"},
                                  {"pii": "true", "lineage:pii": "false"}])
def test_a_bucket_without_a_true_pii_tag_marks_nothing(tags: dict[str, str]) -> None:
    graph = build_graph([Facts(
        (bucket("landing", tags),),
        (flow(s3("landing/events"), READER, EdgeKind.READS), flow(READER, s3("curated/out"))),
    )])
    assert [i for i, n in graph.nodes.items() if n.attributes.get("personal_data")] == []


def test_the_pii_tag_raises_the_findings_of_what_reads_the_bucket() -> None:
    def reader_findings(tags: dict[str, str]) -> dict[str, str]:
        reader = Node(READER, "glue.job", "reader", Stage.PROCESSING, ACCOUNT, REGION, True,
                      {"security_configuration": None, "security_settings": None})
        graph = build_graph([Facts((bucket("landing", tags), reader),
                                   (flow(s3("landing/events"), READER, EdgeKind.READS),))])
        return {f.rule: f.severity.value for f in evaluate(graph).findings if f.node == READER}

    assert reader_findings({}) == {"glue.job_without_security_configuration": "medium"}
    assert reader_findings({"lineage:pii": "true"}) == {"glue.job_without_security_configuration": "high"}


# --- Other partitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:x", "states.state_machine"),
        ("arn:aws-cn:states:cn-north-1:111122223333:stateMachine:x", "states.state_machine"),
        ("arn:aws-cn:s3:::b/x", "s3.location"),
        ("arn:aws-cn:s3:::b", "s3.bucket"),
        ("arn:aws-us-gov:s3:::b/raw/events", "s3.location"),
        ("arn:aws-iso-b:s3:::b", "s3.bucket"),
        ("arn:aws-us-gov:glue:us-gov-west-1:111122223333:job/etl", "glue.job"),
        ("arn:aws-cn:glue:cn-north-1:111122223333:table/db/t", "glue.table"),
        ("arn:aws-cn:lambda:cn-north-1:111122223333:function:f", "lambda.function"),
        ("arn:aws-us-gov:sqs:us-gov-east-1:111122223333:q", "sqs.queue"),
        ("arn:aws-cn:events:cn-northwest-1:111122223333:event-bus/default", "events.bus"),
        ("arn:aws-us-gov:athena:us-gov-west-1:111122223333:workgroup/primary", "athena.workgroup"),
    ],
)
def test_arns_of_other_partitions_have_their_kind(value: str, kind: str) -> None:
    assert arns.kind_for_arn(value) == kind
    assert arns.referenced_node(value).kind == kind


@pytest.mark.parametrize(
    ("value", "canonical"),
    [
        ("arn:aws-cn:s3:::b/x", "arn:aws:s3:::b/x"),
        ("arn:aws-us-gov:s3:::b/raw/events/", "arn:aws:s3:::b/raw/events"),
        ("arn:aws-cn:s3:::b", "arn:aws:s3:::b"),
        ("arn:aws:s3:::b/x", "arn:aws:s3:::b/x"),
        ("s3://b/x/", "arn:aws:s3:::b/x"),
    ],
)
def test_s3_arns_of_every_partition_name_one_canonical_node(value: str, canonical: str) -> None:
    parts = arns.parse_s3_url(value)
    assert parts is not None and arns.s3_location_id(*parts) == canonical


@pytest.mark.parametrize(
    ("region", "prefix"),
    [("cn-north-1", "arn:aws-cn:"), ("cn-northwest-1", "arn:aws-cn:"), ("us-gov-west-1", "arn:aws-us-gov:"),
     ("us-iso-east-1", "arn:aws-iso:"), ("us-isob-east-1", "arn:aws-iso-b:"), ("eu-west-1", "arn:aws:"),
     ("us-east-1", "arn:aws:")],
)
def test_builders_take_the_partition_from_the_region(region: str, prefix: str) -> None:
    built = [arns.glue_job_arn(region, ACCOUNT, "j"), arns.state_machine_arn(region, ACCOUNT, "m"),
             arns.glue_table_arn(region, ACCOUNT, "d", "t"), arns.sqs_queue_arn(region, ACCOUNT, "q"),
             arns.event_bus_arn(region, ACCOUNT, "default"), arns.athena_workgroup_arn(region, ACCOUNT, "w"),
             arns.lambda_function_arn(region, ACCOUNT, "f")]
    assert all(value.startswith(prefix) for value in built), built
    assert all(arns.kind_for_arn(value) != "external" for value in built)


def test_a_machine_in_another_partition_receiving_personal_data_is_inside_the_estate() -> None:
    gov_machine = "arn:aws-us-gov:states:us-gov-west-1:111122223333:stateMachine:x"
    graph = build_graph([Facts(
        (Node(TABLE, "glue.table", "curated.people", Stage.STORAGE, ACCOUNT, REGION, True,
              {"personal_columns": [{"column": "email", "category": "email"}]}),),
        (flow(TABLE, gov_machine, EdgeKind.READS),),
    )])
    assert graph.nodes[gov_machine].kind == "states.state_machine"
    assert graph.nodes[gov_machine].attributes["personal_data"]["categories"] == ["email"]
    assert [f for f in evaluate(graph).findings if f.rule == "pii.personal_data_leaves_estate"] == []


# --- Places known only at run time --------------------------------------------------------------------

DYNAMIC_IDS = [
    arns.dynamic_id(MACHINE, "States.Save.Parameters.Bucket.$"),
    arns.dynamic_id(MACHINE, "States.Par.Branches[0].States.Put.Parameters.Key.$"),
    arns.dynamic_id("arn:aws:s3:::b", "x"),  # an owner that is itself an S3 id
    arns.dynamic_id("arn:aws:s3:::b/raw", "Parameters.Bucket"),
    arns.dynamic_id(MACHINE, ""),
    "dynamic:",
    "dynamic:arn:aws:s3:::",
]


@pytest.mark.parametrize("dynamic", DYNAMIC_IDS)
@pytest.mark.parametrize("declared", [True, False], ids=["declared as a node", "only referenced"])
def test_a_dynamic_place_never_belongs_to_a_bucket_nor_holds_the_same_data(dynamic: str, declared: bool) -> None:
    nodes = (Node(dynamic, "s3.location", "Bucket.$", stage_for("s3.location"), observed=False,
                  attributes={"dynamic": True, "expression": "$.bucket"}),) if declared else ()
    graph = build_graph([Facts(
        (bucket("b"),) + nodes,
        (flow(MACHINE, dynamic), flow(dynamic, READER, EdgeKind.READS), flow(WRITER, s3("b/raw"))),
    )])
    assert graph.problems == []
    assert [key for key in graph.edges if key[0] == dynamic and key[2] == EdgeKind.PART_OF] == []
    assert graph.same_data(dynamic) == set()
    assert all(dynamic not in graph.same_data(other) for other in graph.nodes)
    assert graph.bucket_of(dynamic) is None
    assert dict(graph.walk(MACHINE)) == {dynamic: 1, READER: 2}
    assert set(graph.nodes) == {arns.bucket_arn("b"), dynamic, MACHINE, READER, WRITER, s3("b/raw")}


def test_personal_data_in_one_prefix_does_not_reach_readers_of_a_sibling_prefix() -> None:
    graph = build_graph([Facts(
        (Node(TABLE, "glue.table", "curated.people", Stage.STORAGE, ACCOUNT, REGION, True,
              {"personal_columns": [{"column": "email", "category": "email"}]}), bucket("b")),
        (Edge(TABLE, s3("b/people"), EdgeKind.STORED_AT), flow(s3("b/other"), READER, EdgeKind.READS)),
    )])
    assert graph.nodes[arns.bucket_arn("b")].attributes["personal_data"]["origins"] == [TABLE]
    assert "personal_data" not in graph.nodes[READER].attributes
