"""The page as a person uses it, in a real headless Chromium, checked by what it shows: the demo reads left
to right by stage; search suggests and focuses to a depth; each filter narrows what is drawn and the
counts move with it; a group unfolds in place; a finding opens its node's panel; nothing from AWS runs;
and no script error reaches the console."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from lineage.demo import run_demo
from lineage.model import EdgeKind, Node, Scan, Severity, Stage
from lineage.scan import graph_of
from tests.viz.test_views import HOSTILE, headless_chromium, hostile_scan, page_data_of
from viz.html import render_html
from viz.layout import COLUMN_WIDTH
from viz.page_data import Focus

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    _, scan = run_demo(tmp_path_factory.mktemp("demo"))
    return scan


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium whose console must stay free of errors for the test to pass."""
    driver = headless_chromium(tmp_path, browser_log=True)
    driver.set_window_size(1600, 1000)
    try:
        yield driver
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert errors == [], errors
    finally:
        driver.quit()


def open_page(driver: Any, tmp_path: Path, html: str, name: str = "page.html") -> None:
    """The page opened from a file with the browser's network cut: what it needs, it carries."""
    page = tmp_path / name
    page.write_text(html, encoding="utf-8")
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    driver.get(page.as_uri())
    driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        (function wait() { window.lineageReady ? done() : setTimeout(wait, 20); }());""")


def shown(driver: Any) -> dict[str, dict[str, Any]]:
    """What the canvas draws: node id (or group id) → where, its label and tooltip."""
    return driver.execute_script("""
        const network = window.lineageNetwork, drawn = network.body.data.nodes.get();
        const at = network.getPositions(drawn.map(n => n.id));
        return Object.fromEntries(drawn.map(n => [n.nodeId || n.groupId,
            {x: at[n.id].x, y: at[n.id].y, label: n.label, title: n.title, vis: n.id}]));""")


def text_of(driver: Any, element_id: str) -> str:
    return driver.execute_script("return document.getElementById(arguments[0]).textContent", element_id)


def around(scan: Scan, centre: str, depth: int) -> set[str]:
    """What `lineage lineage` reaches from `centre` both ways within `depth` flows, itself included."""
    graph = graph_of(scan)
    return {centre} | {n for n, _ in graph.walk(centre, True, depth)} | {n for n, _ in graph.walk(centre, False, depth)}


def named(scan: Scan, name: str) -> Node:
    return next(node for node in scan.nodes if node.name == name)


def test_the_demo_reads_left_to_right_by_stage(browser: Any, tmp_path: Path, demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    drawn = shown(browser)
    assert set(drawn) == {node.id for node in demo_scan.nodes}
    flows = nx.DiGraph([(e.source, e.target) for e in demo_scan.edges if e.kind.is_flow and e.source != e.target])
    for source, target in flows.edges:
        if not nx.has_path(flows, target, source):  # outside a circle, every flow points right
            assert drawn[source]["x"] < drawn[target]["x"], (source, target)
    stage_of = {node.id: node.stage.value for node in demo_scan.nodes}
    on_flows = set(flows.nodes)
    # Stages follow the flows: data enters at the left edge, and is used after everything that feeds it.
    at_stage = {stage: [drawn[i]["x"] for i in on_flows if stage_of[i] == stage]
                for stage in ("generation", "storage", "processing", "usage")}
    assert min(at_stage["generation"]) == min(drawn[i]["x"] for i in on_flows)
    assert max(at_stage["generation"]) < min(at_stage["usage"])
    for usage in (i for i in on_flows if stage_of[i] == "usage"):
        assert all(drawn[feeder]["x"] < drawn[usage]["x"] for feeder in nx.ancestors(flows, usage))
    browser.save_screenshot(str(tmp_path / "demo.png"))  # kept with the test's files, for a person to look at


def test_search_suggests_then_focus_shows_one_and_then_two_flows_around(browser: Any, tmp_path: Path,
                                                                        demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    table = named(demo_scan, "curated.enrollments")
    search = browser.find_element("id", "search")
    search.send_keys("enrollments")
    suggestions = [item.text for item in browser.find_elements("css selector", "#suggestions li")]
    assert suggestions and all("enrollments" in s.lower() for s in suggestions if "more:" not in s)
    assert any(s.startswith("curated.enrollments") for s in suggestions)
    search.clear()
    search.send_keys("curated.enrollm")
    search.send_keys("\n")  # the first suggestion: the name that starts so
    depth = browser.find_element("id", "depth")
    depth.clear()
    depth.send_keys("1\n")
    assert set(shown(browser)) == around(demo_scan, table.id, 1)
    assert "curated.enrollments (1 flow around)" in text_of(browser, "trail")
    assert text_of(browser, "panel").startswith("curated.enrollments")
    depth.clear()
    depth.send_keys("2\n")
    assert set(shown(browser)) == around(demo_scan, table.id, 2) != around(demo_scan, table.id, 1)
    drawn = shown(browser)
    graph = graph_of(demo_scan)
    downstream = dict(graph.walk(table.id, True, 2))
    for node_id, steps in graph.walk(table.id, False, 2):  # what feeds it stands to its left, a column a flow
        if node_id not in downstream:
            assert drawn[node_id]["x"] == drawn[table.id]["x"] - steps * COLUMN_WIDTH, node_id
    for node_id, steps in downstream.items():
        assert drawn[node_id]["x"] == drawn[table.id]["x"] + steps * COLUMN_WIDTH, node_id
    browser.find_element("css selector", "#trail button").click()  # "Whole graph"
    assert set(shown(browser)) == {node.id for node in demo_scan.nodes}


def test_each_filter_narrows_what_is_drawn_and_the_counts_move_with_it(browser: Any, tmp_path: Path,
                                                                     demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    everything = {node.id: node for node in demo_scan.nodes}
    total = len(everything)
    assert text_of(browser, "shown") == f"{total} of {total} nodes"

    def box(facet: str, value: str) -> Any:
        return browser.find_element("css selector", f'#filters input[data-facet="{facet}"][data-value="{value}"]')

    def count(facet: str, value: str) -> int:
        return int(box(facet, value).find_element("xpath", "..").text.rsplit("(", 1)[1].rstrip(")"))

    storage = {i for i, n in everything.items() if n.stage.value == "storage"}
    s3 = {i for i, n in everything.items() if n.kind.startswith("s3.")}
    assert count("service", "s3") == len(s3)
    box("stage", "storage").click()
    assert set(shown(browser)) == set(everything) - storage
    assert count("service", "s3") == len(s3 - storage) == 0  # every S3 node is storage: none left to show
    assert text_of(browser, "shown") == f"{total - len(storage)} of {total} nodes"
    box("stage", "storage").click()
    box("service", "glue").click()
    assert set(shown(browser)) == {i for i, n in everything.items() if not n.kind.startswith("glue.")}
    box("service", "glue").click()
    account = demo_scan.accounts[0]
    box("account", account).click()
    assert shown(browser) == {} and text_of(browser, "shown") == f"0 of {total} nodes"
    box("account", account).click()
    region = demo_scan.regions[0]
    box("region", region).click()
    assert set(shown(browser)) == {i for i, n in everything.items() if n.region != region}
    box("region", region).click()
    browser.find_element("id", "personal-only").click()
    personal = {i for i, n in everything.items() if n.attributes.get("personal_data")}
    assert personal and set(shown(browser)) == personal
    browser.find_element("id", "personal-only").click()
    browser.find_element("id", "observed-only").click()
    assert set(shown(browser)) == {i for i, n in everything.items() if n.observed} != set(everything)
    browser.find_element("id", "observed-only").click()
    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("id", "severity")).select_by_visible_text("high and above")
    severe = {f.node for f in demo_scan.findings if f.severity.rank >= Severity.HIGH.rank}
    assert severe and set(shown(browser)) == severe
    listed = browser.find_elements("css selector", "#findings .finding")
    assert listed and all(item.text.startswith(("[high]", "[critical]")) for item in listed)


def test_a_group_unfolds_in_place_on_a_click(browser: Any, tmp_path: Path, demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan, group_above=5))
    data = page_data_of(render_html(demo_scan, group_above=5))
    curated = next(g for g in data["groups"] if g["kind"] == "database" and g["label"] == "curated")
    members = {data["nodes"][m]["id"] for m in curated["members"]}
    drawn = shown(browser)
    assert curated["id"] in drawn and not members & set(drawn)
    assert f"{len(members)} · database and tables" in drawn[curated["id"]]["label"]
    where = drawn[curated["id"]]
    click_at(browser, where["x"], where["y"])
    unfolded = shown(browser)
    assert curated["id"] not in unfolded and members <= set(unfolded)
    assert {unfolded[m]["x"] for m in members} == {where["x"]}  # in place: the group's column
    assert min(unfolded[m]["y"] for m in members) == where["y"]
    assert text_of(browser, "panel").startswith("curated")
    browser.find_element("xpath", "//aside[@id='panel']//button[text()='Fold']").click()
    assert curated["id"] in shown(browser)


def test_a_finding_opens_its_nodes_panel_with_the_remediation(browser: Any, tmp_path: Path, demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    first = browser.find_elements("css selector", "#findings .finding")[0]
    worst = sorted(demo_scan.findings, key=lambda f: -f.severity.rank)[0]
    assert first.text.startswith(f"[{worst.severity.value}]")
    rule = first.text.split("] ", 1)[1].split(":", 1)[0]
    finding = next(f for f in demo_scan.findings if f.rule == rule and first.text.endswith(f.message))
    first.click()
    panel = text_of(browser, "panel")
    node = next(n for n in demo_scan.nodes if n.id == finding.node)
    assert panel.startswith(node.name) and finding.remediation in panel and finding.message in panel
    assert browser.find_element("css selector", "#panel .arn input").get_attribute("value") == node.id
    assert set(shown(browser)) == around(demo_scan, node.id, 2)  # focused on it
    assert browser.execute_script("return window.lineageNetwork.getSelectedNodes()") == [
        shown(browser)[node.id]["vis"]]


def test_a_focused_page_opens_on_its_node_and_returns_to_the_whole_graph(browser: Any, tmp_path: Path,
                                                                          demo_scan: Scan) -> None:
    table = named(demo_scan, "curated.enrollments")
    open_page(browser, tmp_path, render_html(demo_scan, focus=Focus(table.id, 1)))
    assert set(shown(browser)) == around(demo_scan, table.id, 1)
    browser.find_element("css selector", "#trail button").click()
    assert len(shown(browser)) == len(demo_scan.nodes)


def test_strings_from_aws_stay_text_in_search_panels_groups_and_breadcrumbs(browser: Any, tmp_path: Path) -> None:
    base = hostile_scan()
    tagged = '<img src=x onerror="window.__pwned = 3">'  # a database name of Glue's may hold these
    tables = tuple(Node(f"arn:aws:glue:r:1:table/{tagged}/{t}", "glue.table", f"{tagged}.{t}", Stage.STORAGE, "1", "r")
                   for t in "xy")
    scan = replace(base, nodes=base.nodes + tables)
    open_page(browser, tmp_path, render_html(scan, group_above=0))
    group = shown(browser)[f"database:arn:aws:glue:r:1:database/{tagged}"]
    assert group["label"].startswith(tagged[:30]) and tagged in group["title"]
    search = browser.find_element("id", "search")
    search.send_keys("d.t")
    assert HOSTILE in text_of(browser, "suggestions")
    search.send_keys("\n")
    assert HOSTILE in text_of(browser, "panel") and HOSTILE in text_of(browser, "trail")
    assert HOSTILE in shown(browser)["arn:aws:glue:r:1:table/d/t"]["title"]
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('img, #panel script').length") == 0
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_every_edge_kind_and_a_dynamic_place_are_drawn(browser: Any, tmp_path: Path, demo_scan: Scan) -> None:
    """The demo's edges, structure aside, are drawn with their kind; a structure edge only on request."""
    open_page(browser, tmp_path, render_html(demo_scan))
    labels = browser.execute_script("return window.lineageNetwork.body.data.edges.get().map(e => e.label)")
    kinds = {e.kind.value for e in demo_scan.edges if e.kind != EdgeKind.PART_OF}
    assert {label.split(" ×")[0] for label in labels} == kinds


def click_at(driver: Any, x: float, y: float) -> None:
    """A click where the canvas draws the point (x, y) of the graph."""
    from selenium.webdriver.common.action_chains import ActionChains

    spot = driver.execute_script("return window.lineageNetwork.canvasToDOM({x: arguments[0], y: arguments[1]})", x, y)
    canvas = driver.find_element("css selector", "#graph canvas")
    offset = round(spot["x"] - canvas.size["width"] / 2), round(spot["y"] - canvas.size["height"] / 2)
    ActionChains(driver).move_to_element_with_offset(canvas, *offset).click().perform()


def test_an_edge_shows_the_evidence_for_it(browser: Any, tmp_path: Path, demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    table, workgroup = named(demo_scan, "curated.enrollments"), named(demo_scan, "analytics")
    edge = next(e for e in demo_scan.edges if (e.source, e.target) == (table.id, workgroup.id))
    drawn = shown(browser)
    click_at(browser, (drawn[table.id]["x"] + drawn[workgroup.id]["x"]) / 2,
             (drawn[table.id]["y"] + drawn[workgroup.id]["y"]) / 2)
    panel = text_of(browser, "panel")
    assert panel.startswith(edge.kind.value) and "curated.enrollments → reads → analytics" in panel
    assert edge.evidence and all(e.operation in panel and e.excerpt[:40] in panel for e in edge.evidence[:3])
