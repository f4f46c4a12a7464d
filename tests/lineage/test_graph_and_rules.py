"""Resolution, joins, personal data, and the rules, on graphs built by hand."""

from __future__ import annotations

from typing import Any

import pytest

from lineage.graph import build_graph
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Severity, Stage, stage_for
from lineage.protection import covering_rules
from lineage.rules import all_rules, evaluate, finding_id

JOB = "arn:aws:glue:eu-west-1:1:job/curate"
TABLE = "arn:aws:glue:eu-west-1:1:table/curated/people"
EV = (Evidence("test", "x"),)


def bucket(name: str, **attributes: Any) -> Node:
    defaults: dict[str, Any] = {
        "lifecycle_rules": [], "encryption": {"algorithm": "aws:kms", "kms_key": "k", "bucket_key": True},
        "policy": {"present": True, "tls_only": True, "requires_kms": False, "statements": []},
        "versioning": "Disabled", "public_access_block": {k: True for k in (
            "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")},
        "tags": {},
    }
    return Node(f"arn:aws:s3:::{name}", "s3.bucket", name, Stage.STORAGE, "1", "eu-west-1", True,
                {**defaults, **attributes})


def lifecycle(prefix: str = "", days: int | None = 30, enabled: bool = True, tags: dict | None = None,
              noncurrent: int | None = None) -> dict[str, Any]:
    return {"id": f"r-{prefix}", "enabled": enabled, "prefix": prefix, "tags": tags or {}, "size": {},
            "expiration_days": days, "expiration_date": None, "noncurrent_expiration_days": noncurrent}


def job_writes(location: str, *nodes: Node) -> list:
    job = Node(JOB, "glue.job", "curate", Stage.PROCESSING, "1", "eu-west-1", True,
               {"security_configuration": "sc", "security_settings": {"s3_encryption": "SSE-KMS"}})
    return [Facts((job, *nodes), (Edge(JOB, location, EdgeKind.WRITES, EV),))]


def rules_hit(graph, rule_id: str) -> dict[str, Any]:
    return {f.node: f for f in evaluate(graph).findings if f.rule == rule_id}


@pytest.mark.parametrize(
    ("rules", "covered"),
    [
        ([lifecycle("")], True),
        ([lifecycle("raw/")], True),
        ([lifecycle("raw")], True),  # S3 prefixes are strings: `raw` covers `raw/events/…`
        ([lifecycle("raw/events/2024/")], False),  # covers only part of the location
        ([lifecycle("landing/")], False),
        ([lifecycle("", enabled=False)], False),
        ([lifecycle("", tags={"retention": "short"})], False),
        ([lifecycle("", days=None)], False),  # transitions only: the data never expires
        ([], False),
    ],
)
def test_lifecycle_is_judged_per_location_with_filters_evaluated(rules, covered) -> None:
    graph = build_graph(job_writes("arn:aws:s3:::data/raw/events", bucket("data", lifecycle_rules=rules)))
    hits = rules_hit(graph, "s3.location_without_lifecycle")
    assert ("arn:aws:s3:::data/raw/events" in hits) is (not covered)
    assert bool(covering_rules(rules, "raw/events")) is covered


def test_a_bucket_nobody_reads_or_writes_gets_no_lifecycle_finding_but_is_a_node() -> None:
    graph = build_graph([Facts((bucket("idle"),), ())])
    assert "arn:aws:s3:::idle" in graph.nodes
    assert rules_hit(graph, "s3.location_without_lifecycle") == {}


def test_unscanned_bucket_is_an_unobserved_node_and_is_not_judged() -> None:
    graph = build_graph(job_writes("arn:aws:s3:::elsewhere/out"))
    assert graph.nodes["arn:aws:s3:::elsewhere"].observed is False
    assert graph.nodes["arn:aws:s3:::elsewhere/out"].observed is False
    assert (("arn:aws:s3:::elsewhere/out", "arn:aws:s3:::elsewhere", EdgeKind.PART_OF) in graph.edges)
    assert rules_hit(graph, "s3.location_without_lifecycle") == {}


def test_nodes_from_two_collectors_meet_and_observed_facts_win() -> None:
    referenced = Node(JOB, "glue.job", "curate", Stage.PROCESSING, observed=False, attributes={"seen_in": "sfn"})
    observed = Node(JOB, "glue.job", "curate", Stage.PROCESSING, "1", "eu-west-1", True, {"command": "glueetl"})
    graph = build_graph([Facts((referenced,), ()), Facts((observed,), ())])
    node = graph.nodes[JOB]
    assert node.observed and node.account == "1" and node.attributes == {"seen_in": "sfn", "command": "glueetl"}


def test_same_edge_from_two_sources_keeps_both_pieces_of_evidence() -> None:
    first, second = Evidence("a", "x", "p1"), Evidence("b", "y", "p2")
    graph = build_graph([Facts((), (Edge("arn:aws:s3:::b/x", JOB, EdgeKind.READS, (first,)),)),
                         Facts((), (Edge("arn:aws:s3:::b/x", JOB, EdgeKind.READS, (second, first)),))])
    [edge] = [e for e in graph.edges.values() if e.kind == EdgeKind.READS]
    assert edge.evidence == (first, second)


def test_walk_follows_flows_and_treats_a_table_and_its_location_as_the_same_data() -> None:
    workgroup = "arn:aws:athena:eu-west-1:1:workgroup/analytics"
    facts = job_writes("arn:aws:s3:::cur/people", bucket("cur"))
    facts.append(Facts((Node(TABLE, "glue.table", "curated.people", Stage.STORAGE, "1", "eu-west-1", True, {}),),
                       (Edge(TABLE, "arn:aws:s3:::cur/people", EdgeKind.STORED_AT),
                        Edge(TABLE, workgroup, EdgeKind.READS, EV))))
    graph = build_graph(facts)
    downstream = dict(graph.walk(JOB))
    assert downstream["arn:aws:s3:::cur/people"] == 1
    assert downstream[TABLE] == 1  # same data, no extra step
    assert downstream[workgroup] == 2
    assert dict(graph.walk(workgroup, downstream=False))[JOB] == 2
    assert workgroup not in dict(graph.walk(JOB, depth=1))
    exported = graph.to_networkx()
    assert exported.number_of_nodes() == len(graph.nodes) and exported.number_of_edges() == len(graph.edges)
    assert exported.has_edge(TABLE, workgroup, key="reads")


def test_personal_data_follows_the_flow_and_raises_severity() -> None:
    people = Node(TABLE, "glue.table", "curated.people", Stage.STORAGE, "1", "eu-west-1", True,
                  {"personal_columns": [{"column": "email", "category": "email"}]})
    results = "arn:aws:athena:eu-west-1:1:workgroup/analytics"
    facts = job_writes("arn:aws:s3:::cur/people", bucket("cur"), bucket("res"), people)
    facts.append(Facts((), (Edge(TABLE, "arn:aws:s3:::cur/people", EdgeKind.STORED_AT),
                            Edge(TABLE, results, EdgeKind.READS, EV),
                            Edge(results, "arn:aws:s3:::res/out", EdgeKind.WRITES, EV))))
    graph = build_graph(facts)
    for reached in ("arn:aws:s3:::cur/people", results, "arn:aws:s3:::res/out", JOB):
        personal = graph.nodes[reached].attributes["personal_data"]
        assert (personal["categories"], personal["origins"]) == (["email"], [TABLE])
    paths = {node: graph.nodes[node].attributes["personal_data"]["paths"][TABLE]
             for node in ("arn:aws:s3:::res/out", JOB)}
    assert paths == {"arn:aws:s3:::res/out": [TABLE, results, "arn:aws:s3:::res/out"],
                     JOB: [TABLE, "arn:aws:s3:::cur/people", JOB]}  # the job writes where the data rests
    hits = rules_hit(graph, "s3.location_without_lifecycle")
    assert hits["arn:aws:s3:::res/out"].severity == Severity.HIGH  # medium, raised
    assert "Personal data (email)" in hits["arn:aws:s3:::res/out"].message
    assert rules_hit(graph, "pii.personal_data_held")[TABLE].severity == Severity.INFO


def test_s3_bucket_rules() -> None:
    graph = build_graph([Facts((
        bucket("versioned", versioning="Enabled", lifecycle_rules=[lifecycle("", days=None)]),
        bucket("versioned-ok", versioning="Enabled", lifecycle_rules=[lifecycle("", days=None, noncurrent=30)]),
        bucket("no-policy", policy={"present": False, "tls_only": False, "requires_kms": False, "statements": []}),
        bucket("sse-s3", encryption={"algorithm": "AES256"}),
        bucket("none", encryption={"algorithm": None}),
        bucket("wants-kms", encryption={"algorithm": "AES256"},
               policy={"present": True, "tls_only": True, "requires_kms": True, "statements": ["RequireKms"]}),
        bucket("open", public_access_block=None),
    ), ())])
    assert set(rules_hit(graph, "s3.versioning_without_noncurrent_expiration")) == {"arn:aws:s3:::versioned"}
    assert set(rules_hit(graph, "s3.no_tls_only_policy")) == {"arn:aws:s3:::no-policy"}
    assert set(rules_hit(graph, "s3.sse_s3_only")) == {"arn:aws:s3:::sse-s3", "arn:aws:s3:::wants-kms"}
    assert set(rules_hit(graph, "s3.no_default_encryption")) == {"arn:aws:s3:::none"}
    assert set(rules_hit(graph, "s3.encryption_weaker_than_policy")) == {"arn:aws:s3:::wants-kms"}
    assert set(rules_hit(graph, "s3.public_access_not_blocked")) == {"arn:aws:s3:::open"}


def test_glue_states_events_and_coverage_rules() -> None:
    nodes = (
        Node("arn:aws:glue:r:1:catalog", "glue.catalog", "c", Stage.PROCESSING, "1", "r", True,
             {"encryption_at_rest": "DISABLED", "connection_password_encryption": True}),
        Node("arn:aws:glue:r:1:job/bare", "glue.job", "bare", Stage.PROCESSING, "1", "r", True,
             {"security_configuration": None}),
        Node("arn:aws:glue:r:1:job/weak", "glue.job", "weak", Stage.PROCESSING, "1", "r", True,
             {"security_configuration": "sc", "security_settings": {"s3_encryption": "DISABLED"}}),
        Node("arn:aws:glue:r:1:crawler/c", "glue.crawler", "c", Stage.PROCESSING, "1", "r", True,
             {"security_configuration": None}),
        Node("arn:aws:states:r:1:stateMachine:m", "states.state_machine", "m", Stage.PROCESSING, "1", "r", True,
             {"encryption": {"type": "AWS_OWNED_KEY"}, "logging": {"level": "OFF"},
              "warnings": ["States.X: unknown state type 'Teleport'"]}),
        Node("arn:aws:states:r:1:stateMachine:ok", "states.state_machine", "ok", Stage.PROCESSING, "1", "r", True,
             {"encryption": {"type": "CUSTOMER_MANAGED_KMS_KEY"}, "logging": {"level": "ALL"}}),
        Node("arn:aws:events:r:1:event-bus/b", "events.bus", "b", Stage.STORAGE, "1", "r", True, {"kms_key": None}),
    )
    graph = build_graph([Facts(nodes, ())])
    assert set(rules_hit(graph, "glue.catalog_not_encrypted")) == {"arn:aws:glue:r:1:catalog"}
    assert rules_hit(graph, "glue.connection_passwords_not_encrypted") == {}
    assert set(rules_hit(graph, "glue.job_without_security_configuration")) == {
        "arn:aws:glue:r:1:job/bare", "arn:aws:glue:r:1:job/weak"}
    assert set(rules_hit(graph, "glue.crawler_without_security_configuration")) == {"arn:aws:glue:r:1:crawler/c"}
    assert set(rules_hit(graph, "states.aws_owned_key")) == {"arn:aws:states:r:1:stateMachine:m"}
    assert set(rules_hit(graph, "states.logging_off")) == {"arn:aws:states:r:1:stateMachine:m"}
    assert set(rules_hit(graph, "events.bus_without_customer_key")) == {"arn:aws:events:r:1:event-bus/b"}
    assert "Teleport" in rules_hit(graph, "coverage.unreadable_definition")[
        "arn:aws:states:r:1:stateMachine:m"].message


def test_every_rule_carries_its_metadata_and_ids_are_stable() -> None:
    listed = all_rules()
    assert len({r.id for r in listed}) == len(listed) >= 15
    for item in listed:
        assert item.title and item.remediation and "." in item.id
    assert finding_id("r", "n") == finding_id("r", "n") != finding_id("r", "m")


def test_stage_comes_from_kind_and_a_tag_overrides_it() -> None:
    assert stage_for("s3.bucket") == Stage.STORAGE
    assert stage_for("events.source") == Stage.GENERATION
    assert stage_for("athena.workgroup") == Stage.USAGE
    assert stage_for("glue.job") == Stage.PROCESSING
    assert stage_for("s3.bucket", {"lineage:stage": "Usage"}) == Stage.USAGE
    assert stage_for("s3.bucket", {"lineage:stage": "bogus"}) == Stage.STORAGE


def test_athena_results_rule_skips_an_idle_workgroup() -> None:
    def workgroup(name: str, **attributes: Any) -> Node:
        return Node(f"arn:aws:athena:r:1:workgroup/{name}", "athena.workgroup", name, Stage.USAGE, "1", "r", True,
                    {"result_encryption": None, **attributes})

    graph = build_graph([Facts((workgroup("primary"), workgroup("bi", output_location="s3://r/bi/"),
                                workgroup("kms", output_location="s3://r/k/", result_encryption="SSE_KMS")), ())])
    assert set(rules_hit(graph, "athena.results_not_encrypted")) == {"arn:aws:athena:r:1:workgroup/bi"}


def test_personal_data_handed_to_a_function_chosen_at_run_time_is_reported_and_not_as_a_resting_place() -> None:
    machine = "arn:aws:states:eu-west-1:1:stateMachine:m"
    dynamic = f"dynamic:{machine}#States.Call.Parameters.FunctionName.$"
    table = Node(TABLE, "glue.table", "curated.people", Stage.STORAGE, "1", "eu-west-1", True,
                 {"personal_columns": [{"column": "email", "category": "email"}]})
    facts = [Facts(
        (table, Node(machine, "states.state_machine", "m", Stage.PROCESSING, "1", "eu-west-1", True, {}),
         Node(dynamic, "lambda.function", dynamic, Stage.PROCESSING, observed=False,
              attributes={"dynamic": True, "expression": "$.fn"})),
        (Edge(TABLE, machine, EdgeKind.READS, EV), Edge(machine, dynamic, EdgeKind.INVOKES, EV)),
    )]
    findings = {(f.rule, f.node) for f in evaluate(build_graph(facts)).findings}
    assert ("pii.personal_data_to_unknown_destination", dynamic) in findings
    assert ("coverage.unknown_destination", dynamic) not in findings  # code, not a place where data rests


def test_a_catalog_known_only_by_reference_is_still_a_catalog() -> None:
    from lineage.arn import kind_for_arn

    assert kind_for_arn("arn:aws:glue:eu-west-1:1:catalog") == "glue.catalog"
