"""What a function's environment names: outright ids kept, other values only as digests matched against
what the scan read, a flow of unknown direction walked both ways, and no value ever kept as written."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineage.graph import build_graph
from lineage.model import EdgeKind, Facts, Node, Stage, stage_for
from lineage.references import DIGESTS, _outright, environment_references, name_digest

R, A = "eu-west-1", "111122223333"
FUNCTION = f"arn:aws:lambda:{R}:{A}:function:orders-api"


def _function(variables: dict[str, str], region: str = R, account: str = A) -> Facts:
    function_id = f"arn:aws:lambda:{region}:{account}:function:orders-api"
    edges, digests = environment_references(function_id, account, variables, "lambda:ListFunctions")
    node = Node(function_id, "lambda.function", "orders-api", Stage.PROCESSING, account, region, True,
                {DIGESTS: digests} if digests else {})
    return Facts((node,), tuple(edges))


def _place(kind: str, name: str, node_id: str, region: str = R, account: str = A, **attributes: object) -> Facts:
    return Facts((Node(node_id, kind, name, stage_for(kind), account, region, True, dict(attributes)),))


def _table(name: str, region: str = R, account: str = A, **attributes: object) -> Facts:
    return _place("dynamodb.table", name, f"arn:aws:dynamodb:{region}:{account}:table/{name}", region, account,
                  **attributes)


def _references(graph: object) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in graph.edges.values() if e.kind == EdgeKind.REFERENCES}  # type: ignore[attr-defined]


def test_values_that_name_a_resource_outright_are_edges_and_secrets_are_not_read() -> None:
    edges, digests = environment_references(FUNCTION, A, {
        "QUEUE_URL": f"https://sqs.{R}.amazonaws.com/{A}/orders",
        "EXPORT_PATH": "s3://exports/daily/",
        "MACHINE": f"arn:aws:states:{R}:{A}:stateMachine:etl",
        "HANDLER": f"arn:aws:lambda:{R}:{A}:function:enrich:live",
        "ROLE": f"arn:aws:iam::{A}:role/runner",  # not a place data goes
        "DB_PASSWORD": "orders",  # named like a secret: not read, not even as a digest
        "API_TOKEN": f"arn:aws:sqs:{R}:{A}:never-read",
        "PORT": "5432",
        "FLAG": "x",
        "RAW_BUCKET": "exports-raw",
        "STRIPE_KEY": "sk_live_abcdef123456",  # a key by its name's last word
        "SESSIONS_TABLE": "user-sessions",  # a table of sessions, not a session's secret
    }, "lambda:ListFunctions")
    assert {(e.target, e.kind, e.evidence[0].path) for e in edges} == {
        (f"arn:aws:sqs:{R}:{A}:orders", EdgeKind.REFERENCES, "Environment.Variables.QUEUE_URL"),
        ("arn:aws:s3:::exports/daily", EdgeKind.REFERENCES, "Environment.Variables.EXPORT_PATH"),
        (f"arn:aws:states:{R}:{A}:stateMachine:etl", EdgeKind.REFERENCES, "Environment.Variables.MACHINE"),
        (f"arn:aws:lambda:{R}:{A}:function:enrich", EdgeKind.REFERENCES, "Environment.Variables.HANDLER"),
    }
    # A name is kept only as its digest; an ARN of no data place, a number, a flag are not kept at all.
    assert digests == [{"variable": "RAW_BUCKET", "digest": name_digest(A, "exports-raw")},
                       {"variable": "SESSIONS_TABLE", "digest": name_digest(A, "user-sessions")}]


def test_a_bare_name_meets_the_table_of_that_name_in_the_functions_account_and_region_only() -> None:
    graph = build_graph([_function({"TABLE_NAME": "orders"}), _table("orders"), _table("orders", region="us-east-1"),
                         _table("orders", account="444455556666")])
    assert _references(graph) == {(FUNCTION, f"arn:aws:dynamodb:{R}:{A}:table/orders")}
    [edge] = [e for e in graph.edges.values() if e.kind == EdgeKind.REFERENCES]
    assert edge.evidence[0].path == "Environment.Variables.TABLE_NAME"
    assert edge.evidence[0].excerpt == "the value is the name of dynamodb.table orders"
    assert DIGESTS not in graph.nodes[FUNCTION].attributes  # matched, then dropped: nothing of the value is kept


def test_the_variables_name_chooses_among_places_of_one_name_and_a_bucket_is_met_anywhere() -> None:
    queue = _place("sqs.queue", "orders", f"arn:aws:sqs:{R}:{A}:orders")
    bucket = _place("s3.bucket", "orders", "arn:aws:s3:::orders", region="us-east-1", account="999988887777")
    graph = build_graph([_function({"ORDERS_QUEUE": "orders"}), _table("orders"), queue, bucket])
    assert _references(graph) == {(FUNCTION, f"arn:aws:sqs:{R}:{A}:orders")}
    graph = build_graph([_function({"TARGET": "orders"}), _table("orders"), queue, bucket])
    assert _references(graph) == {(FUNCTION, t) for t in (f"arn:aws:dynamodb:{R}:{A}:table/orders",
                                                          f"arn:aws:sqs:{R}:{A}:orders", "arn:aws:s3:::orders")}


def test_a_name_nothing_scanned_bears_is_no_edge_and_no_node() -> None:
    graph = build_graph([_function({"TABLE_NAME": "elsewhere"}), _table("orders")])
    assert _references(graph) == set() and set(graph.nodes) == {FUNCTION, f"arn:aws:dynamodb:{R}:{A}:table/orders"}


def test_personal_data_and_walks_cross_a_reference_both_ways() -> None:
    table = f"arn:aws:dynamodb:{R}:{A}:table/customers"
    graph = build_graph([_function({"TABLE": "customers"}), _table("customers", tags={"pii": "email"})])
    assert graph.nodes[FUNCTION].attributes["personal_data"]["categories"] == ["email"]
    assert {n for n, _ in graph.walk(table, downstream=True)} == {FUNCTION}
    assert {n for n, _ in graph.walk(table, downstream=False)} == {FUNCTION}
    assert {n for n, _ in graph.walk(FUNCTION, downstream=True)} == {table}


_VALUES = st.text(string.ascii_letters + string.digits + "_.-/:", min_size=3, max_size=40)


@given(variables=st.dictionaries(st.text(string.ascii_uppercase + "_", min_size=1, max_size=12), _VALUES,
                                 max_size=6))
def test_no_value_is_kept_as_written_unless_it_names_a_place_outright(variables: dict[str, str]) -> None:
    [node], edges = _function(variables).nodes, _function(variables).edges
    outright = {e.evidence[0].path.removeprefix("Environment.Variables."): e.evidence[0].excerpt for e in edges}
    for variable, target in outright.items():
        assert target == _outright(variables[variable].strip())  # an id of a place, as the scan names it
    assert set(node.attributes) <= {DIGESTS}
    for entry in node.attributes.get(DIGESTS, []):
        assert set(entry) == {"variable", "digest"} and entry["variable"] not in outright
        assert entry["digest"] == name_digest(A, variables[entry["variable"]].strip())
        assert len(entry["digest"]) == 32 and entry["digest"] != variables[entry["variable"]]


def test_no_digest_is_kept_when_the_graph_cannot_be_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage import scan

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("resolution failed")

    monkeypatch.setattr(scan, "resolve", broken)
    analysis = scan.analyse([_function({"TABLE_NAME": "orders"}), _table("orders")])
    assert any(gap.operation == "graph" for gap in analysis.gaps)  # kept unresolved, and said so
    assert DIGESTS not in analysis.graph.nodes[FUNCTION].attributes


def test_no_digest_is_kept_when_matching_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from lineage import references

    def broken(*_: object) -> list[object]:
        raise RuntimeError("matching failed")

    monkeypatch.setattr(references, "_matches", broken)
    graph = build_graph([_function({"TABLE_NAME": "orders"}), _table("orders")])
    assert _references(graph) == set() and DIGESTS not in graph.nodes[FUNCTION].attributes
    assert [gap.operation for gap in graph.problems] == ["graph.references"]
