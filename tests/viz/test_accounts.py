"""A scan of several accounts in the page: each node in its account, each flow between accounts marked with
both, drawn apart, kept alone on request, and an account filter that keeps the ends of flows leaving it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from lineage.isolation import Problems
from lineage.model import Edge, EdgeKind, Node, Scan, ScanStatus, Stage
from tests.viz.test_page import open_page, shown, text_of
from viz.html import render_html
from viz.page_data import account_of, accounts_crossed, page_data

A, B, C = "111111111111", "222222222222", "333333333333"


def _node(service: str, kind: str, account: str, name: str, stage: Stage) -> Node:
    return Node(f"arn:aws:{service}:eu-west-1:{account}:{kind.split('.')[1]}/{name}", kind, name, stage, account,
                "eu-west-1")


QUEUE_A = _node("sqs", "sqs.queue", A, "orders", Stage.STORAGE)
FUNCTION_A = _node("lambda", "lambda.function", A, "order-writer", Stage.PROCESSING)
BUCKET_A = Node("arn:aws:s3:::orders-a", "s3.bucket", "orders-a", Stage.STORAGE, A, "eu-west-1")
JOB_B = _node("glue", "glue.job", B, "orders-etl", Stage.PROCESSING)
TABLE_B = _node("glue", "glue.table", B, "curated-orders", Stage.STORAGE)
# Read in no account: its account is the one its ARN names.
QUEUE_B_REFERENCED = Node(f"arn:aws:sqs:eu-west-1:{B}:audit", "sqs.queue", "audit", Stage.STORAGE, observed=False)
FUNCTION_C = _node("lambda", "lambda.function", C, "partner-feed", Stage.PROCESSING)
QUEUE_C = _node("sqs", "sqs.queue", C, "partner-inbox", Stage.STORAGE)
# A bucket only referenced: a bucket's ARN names no account, so no flow to it is known to cross.
BUCKET_UNKNOWN = Node("arn:aws:s3:::shared-drop", "s3.bucket", "shared-drop", Stage.STORAGE, observed=False)

SAME_ACCOUNT = [Edge(QUEUE_A.id, FUNCTION_A.id, EdgeKind.TRIGGERS), Edge(FUNCTION_A.id, BUCKET_A.id, EdgeKind.WRITES),
                Edge(JOB_B.id, TABLE_B.id, EdgeKind.WRITES), Edge(QUEUE_C.id, FUNCTION_C.id, EdgeKind.TRIGGERS)]
CROSSING = [Edge(BUCKET_A.id, JOB_B.id, EdgeKind.READS), Edge(FUNCTION_C.id, QUEUE_A.id, EdgeKind.WRITES),
            Edge(FUNCTION_A.id, QUEUE_B_REFERENCED.id, EdgeKind.WRITES)]
TO_UNKNOWN = [Edge(JOB_B.id, BUCKET_UNKNOWN.id, EdgeKind.WRITES)]


def three_account_scan() -> Scan:
    nodes = (QUEUE_A, FUNCTION_A, BUCKET_A, JOB_B, TABLE_B, QUEUE_B_REFERENCED, FUNCTION_C, QUEUE_C, BUCKET_UNKNOWN)
    return Scan("org", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", ScanStatus.COMPLETE, (A, B, C),
                ("eu-west-1",), nodes, tuple(SAME_ACCOUNT + CROSSING + TO_UNKNOWN), (), (), {})


def one_account_scan() -> Scan:
    nodes = (QUEUE_A, FUNCTION_A, BUCKET_A, BUCKET_UNKNOWN)
    edges = (*SAME_ACCOUNT[:2], Edge(FUNCTION_A.id, BUCKET_UNKNOWN.id, EdgeKind.WRITES))
    return Scan("one", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", ScanStatus.COMPLETE, (A,),
                ("eu-west-1",), nodes, edges, (), (), {})


def _edges_by_ends(data: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    ids = [node["id"] for node in data["nodes"]]
    return {(ids[edge["s"]], ids[edge["t"]]): edge for edge in data["edges"]}


# ---- page data ----------------------------------------------------------------------------------


def test_an_edge_between_two_accounts_names_both_in_the_direction_of_the_flow() -> None:
    edges = _edges_by_ends(page_data(three_account_scan(), Problems()))
    assert edges[(BUCKET_A.id, JOB_B.id)]["accounts"] == [A, B]
    assert edges[(FUNCTION_C.id, QUEUE_A.id)]["accounts"] == [C, A]
    # The account of a node read in none is the one its ARN names.
    assert edges[(FUNCTION_A.id, QUEUE_B_REFERENCED.id)]["accounts"] == [A, B]


def test_an_edge_within_one_account_or_to_a_place_of_unknown_account_crosses_none() -> None:
    edges = _edges_by_ends(page_data(three_account_scan(), Problems()))
    for edge in SAME_ACCOUNT + TO_UNKNOWN:
        assert "accounts" not in edges[(edge.source, edge.target)], edge
    assert sum("accounts" in edge for edge in edges.values()) == len(CROSSING)


def test_each_node_carries_its_account_as_read_else_as_its_arn_names_it() -> None:
    data = page_data(three_account_scan(), Problems())
    account = {node["id"]: node["account"] for node in data["nodes"]}
    assert account[QUEUE_A.id] == account[BUCKET_A.id] == A
    assert account[JOB_B.id] == account[QUEUE_B_REFERENCED.id] == B
    assert account[FUNCTION_C.id] == C
    assert account[BUCKET_UNKNOWN.id] == ""


def test_the_account_of_a_place_and_whether_two_differ() -> None:
    assert account_of(Node("arn:aws:s3:::b", "s3.bucket", "b", Stage.STORAGE, A)) == A  # as read, over the ARN
    assert account_of(Node(f"arn:aws:sqs:r:{C}:q", "sqs.queue", "q", Stage.STORAGE)) == C
    assert account_of(Node("arn:aws:s3:::b", "s3.bucket", "b", Stage.STORAGE)) == ""
    assert account_of(Node("dynamic:arn:aws:states:r:1:stateMachine:m#$.bucket", "s3.location", "?",
                           Stage.STORAGE)) == ""
    assert accounts_crossed(A, B) == (A, B)
    assert accounts_crossed(A, A) is None
    assert accounts_crossed(A, "") is None and accounts_crossed("", B) is None


def test_the_header_counts_many_accounts_and_lists_them_on_request() -> None:
    many = (A, B, C, "444444444444")
    html = render_html(replace(three_account_scan(), accounts=many))
    assert "<summary>4 accounts</summary>" in html and ", ".join(many) in html
    assert f"{A}, {B}, {C}" in render_html(three_account_scan()) and "<summary>" not in render_html(
        three_account_scan())


# ---- the page, in a real headless Chromium ------------------------------------------------------




def drawn_edges(driver: Any) -> list[dict[str, Any]]:
    """Each edge the canvas draws: its ends' node ids, its tooltip and how it is drawn."""
    return driver.execute_script("""
        const data = window.lineageNetwork.body.data;
        const id = vis => data.nodes.get(vis).nodeId;
        return data.edges.get().map(e => ({s: id(e.from), t: id(e.to), title: e.title, dashes: e.dashes,
                                          color: e.color, crosses: e.crossesAccounts}));""")


def account_box(driver: Any, account: str) -> Any:
    return driver.find_element("css selector", f'#filters input[data-facet="account"][data-value="{account}"]')


@pytest.mark.browser
def test_flows_between_accounts_only_keeps_exactly_the_crossing_edges_and_their_ends(browser: Any,
                                                                                     tmp_path: Path) -> None:
    scan = three_account_scan()
    open_page(browser, tmp_path, render_html(scan))
    everything = {node.id for node in scan.nodes}
    assert set(shown(browser)) == everything
    crossing = {(e.source, e.target) for e in CROSSING}
    edges = drawn_edges(browser)
    assert {(e["s"], e["t"]) for e in edges if e["crosses"]} == crossing
    colour = browser.execute_script("return JSON.parse(document.getElementById('lineage-data').textContent)"
                                    ".style.cross_account")
    for edge in edges:  # drawn apart: long dashes in a colour of their own, and the tooltip names both accounts
        if edge["crosses"]:
            assert edge["dashes"] == [10, 5] and edge["color"] == colour
        else:
            assert edge["color"] != colour and "→ account" not in edge["title"]
    by_ends = {(e["s"], e["t"]): e for e in edges}
    assert f"account {A} → account {B}" in by_ends[(BUCKET_A.id, JOB_B.id)]["title"]
    assert f"account {C} → account {A}" in by_ends[(FUNCTION_C.id, QUEUE_A.id)]["title"]
    legend = text_of(browser, "legend-accounts")
    assert all(account in legend for account in (A, B, C)) and "account unknown (1 node)" in legend

    toggle = browser.find_element("id", "cross-account-only")
    ends = {end for pair in crossing for end in pair}
    assert toggle.find_element("xpath", "..").text.endswith(f"({len(ends)})")  # what ticking it would show
    toggle.click()
    assert {(e["s"], e["t"]) for e in drawn_edges(browser)} == crossing
    assert set(shown(browser)) == ends
    assert text_of(browser, "shown") == f"{len(ends)} of {len(everything)} nodes"
    toggle.click()
    assert set(shown(browser)) == everything
    assert len(drawn_edges(browser)) == len(scan.edges)


@pytest.mark.browser
def test_the_account_filter_hides_other_accounts_but_keeps_the_ends_of_flows_leaving_the_chosen_one(
        browser: Any, tmp_path: Path) -> None:
    scan = three_account_scan()
    open_page(browser, tmp_path, render_html(scan))
    account_box(browser, B).click()
    account_box(browser, C).click()
    drawn = set(shown(browser))
    in_a = {QUEUE_A.id, FUNCTION_A.id, BUCKET_A.id}
    # Where A's data goes (a job in B, a queue in B known by its ARN) and where it comes from (a function in C).
    ends = {JOB_B.id, QUEUE_B_REFERENCED.id, FUNCTION_C.id}
    assert drawn == in_a | ends | {BUCKET_UNKNOWN.id}  # the bucket of no known account is not filtered out
    assert TABLE_B.id not in drawn and QUEUE_C.id not in drawn  # nothing of A's flows reaches them
    account_box(browser, "").click()  # "(none)": places of unknown account
    assert set(shown(browser)) == in_a | ends
    # Both at once: of A, only what crosses, and the other accounts only as the ends of those flows.
    browser.find_element("id", "cross-account-only").click()
    assert {(e["s"], e["t"]) for e in drawn_edges(browser)} == {(e.source, e.target) for e in CROSSING}
    assert set(shown(browser)) == in_a | ends  # each of A's nodes here is an end of a crossing flow
    account_box(browser, A).click()  # no account chosen: nothing stands in its own right, so no flow leaves it
    assert shown(browser) == {}
    browser.find_element("id", "cross-account-only").click()
    # Of many accounts, one is read alone: all of them unticked at once, then the one ticked.
    browser.find_element("css selector", "#filters .choose-all").click()
    assert len(shown(browser)) == len(scan.nodes)
    browser.find_element("css selector", "#filters .choose-none").click()
    assert shown(browser) == {} and not any(box.is_selected() for box in browser.find_elements(
        "css selector", '#filters input[data-facet="account"]'))
    account_box(browser, C).click()
    assert set(shown(browser)) == {FUNCTION_C.id, QUEUE_C.id, QUEUE_A.id}  # C's, and where C's data goes


@pytest.mark.browser
def test_an_edge_panel_says_which_accounts_a_flow_joins(browser: Any, tmp_path: Path) -> None:
    scan = three_account_scan()
    open_page(browser, tmp_path, render_html(scan))
    browser.execute_script("""
        const network = window.lineageNetwork, wanted = arguments[0];
        const edge = network.body.data.edges.get().find(e => network.body.data.nodes.get(e.from).nodeId === wanted);
        network.body.emitter.emit("click", {nodes: [], edges: [edge.id]});""", BUCKET_A.id)
    panel = text_of(browser, "panel")
    assert "orders-a → reads → orders-etl" in panel and f"account {A} → account {B}" in panel


@pytest.mark.browser
def test_with_one_account_the_page_shows_nothing_about_accounts(browser: Any, tmp_path: Path) -> None:
    open_page(browser, tmp_path, render_html(one_account_scan()))
    assert browser.find_elements("id", "cross-account-only") == []
    assert browser.find_elements("id", "legend-accounts") == []
    assert "between accounts" not in text_of(browser, "legend") + text_of(browser, "filters")
    assert not any(edge["crosses"] for edge in drawn_edges(browser))
