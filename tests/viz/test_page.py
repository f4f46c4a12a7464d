"""The page as a person uses it, in a real headless Chromium, checked by what it shows: the demo reads left
to right by stage; search suggests and focuses to a depth; each filter narrows what is drawn and the
counts move with it; a group unfolds in place; a finding opens its node's panel; nothing from AWS runs;
and no script error reaches the console."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from lineage.demo import run_demo
from lineage.graph import Graph, build_graph
from lineage.model import Edge, EdgeKind, Facts, Node, Scan, ScanStatus, Severity, Stage
from lineage.scan import graph_of
from tests.viz.test_views import HOSTILE, hostile_scan, page_data_of
from viz.html import render_html
from viz.layout import COLUMN_WIDTH, MIN_ROWS, ROW_HEIGHT, WRAP_RATIO
from viz.page_data import Focus, account_of

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_scan(tmp_path_factory: pytest.TempPathFactory) -> Scan:
    _, scan = run_demo(tmp_path_factory.mktemp("demo"))
    return scan


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


def _pointer_at(driver: Any, x: float, y: float) -> ActionChains:
    """The pointer moved to where the canvas draws the point (x, y) of the graph."""
    spot = driver.execute_script("return window.lineageNetwork.canvasToDOM({x: arguments[0], y: arguments[1]})", x, y)
    canvas = driver.find_element("css selector", "#graph canvas")
    offset = round(spot["x"] - canvas.size["width"] / 2), round(spot["y"] - canvas.size["height"] / 2)
    return ActionChains(driver).move_to_element_with_offset(canvas, *offset)


def click_at(driver: Any, x: float, y: float) -> None:
    _pointer_at(driver, x, y).click().perform()


def hover_at(driver: Any, x: float, y: float) -> None:
    _pointer_at(driver, x, y).perform()


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
    # Where data first appears stands just before what first takes it: a schedule that starts a late job stands
    # late, a dashboard on a database outside AWS early; each use still stands after all that feeds it (below).
    assert sum(at_stage["generation"]) / len(at_stage["generation"]) < sum(at_stage["usage"]) / len(at_stage["usage"])
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
    for service in {n.kind.split(".")[0] for n in everything.values()}:  # each, given the stage filter
        assert count("service", service) == sum(1 for i, n in everything.items()
                                                if n.kind.split(".")[0] == service and i not in storage), service
    assert count("stage", "storage") == len(storage)  # what ticking it again would show
    assert text_of(browser, "shown") == f"{total - len(storage)} of {total} nodes"
    box("stage", "storage").click()
    box("service", "glue").click()
    assert set(shown(browser)) == {i for i, n in everything.items() if not n.kind.startswith("glue.")}
    box("service", "glue").click()
    account = demo_scan.accounts[0]
    box("account", account).click()
    elsewhere = {i for i, n in everything.items() if account_of(n) != account}  # the partner's bucket, models
    # and, from the account left out, the other ends of their flows: where data leaving the rest goes, or comes from
    ends = {end for e in demo_scan.edges if e.kind.is_flow and {e.source, e.target} & elsewhere
            for end in (e.source, e.target)}
    assert set(shown(browser)) == elsewhere | ends != elsewhere
    assert text_of(browser, "shown") == f"{len(elsewhere | ends)} of {total} nodes"
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
    Select(browser.find_element("id", "severity")).select_by_visible_text("high and above")
    severe = {f.node for f in demo_scan.findings if f.severity.rank >= Severity.HIGH.rank}
    assert severe and set(shown(browser)) == severe
    listed = browser.find_elements("css selector", "#findings .finding")
    assert listed and all(item.text.startswith(("[high]", "[critical]")) for item in listed)
    assert text_of(browser, "findings-count") == f"{len(listed)} of {len(demo_scan.findings)}"
    Select(browser.find_element("id", "severity")).select_by_visible_text("any or none")
    table = named(demo_scan, "curated.enrollments")  # around a focus, the counts are of what lies around it
    search = browser.find_element("id", "search")
    search.send_keys("curated.enrollments\n")
    focus = around(demo_scan, table.id, 2)
    for stage in ("generation", "storage", "processing", "usage"):
        assert count("stage", stage) == sum(1 for i in focus if everything[i].stage.value == stage), stage


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
    column = [shape["y"] for shape in unfolded.values() if shape["x"] == where["x"]]
    assert len(column) == len(set(column))  # nothing drawn over anything else
    for shape_id, shape in drawn.items():  # what stood below the group is pushed down by its members
        if shape["x"] == where["x"] and shape["y"] > where["y"]:
            assert unfolded[shape_id]["y"] == shape["y"] + (len(members) - 1) * ROW_HEIGHT
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
    drawn = shown(browser)
    table, bucket = drawn["arn:aws:glue:r:1:table/d/t"], drawn["arn:aws:s3:::b"]
    assert HOSTILE in table["title"]
    hover_at(browser, table["x"], table["y"])
    tooltip = browser.find_element("css selector", "div.vis-tooltip")
    WebDriverWait(browser, 5).until(lambda _: tooltip.is_displayed())
    assert HOSTILE in tooltip.get_attribute("innerText")
    assert browser.execute_script(  # text: its lines are line breaks, and nothing else is an element
        "return [...document.querySelector('div.vis-tooltip').children].map(c => c.tagName)") == ["BR"] * (
        table["title"].count("\n"))
    click_at(browser, (table["x"] + bucket["x"]) / 2, (table["y"] + bucket["y"]) / 2)  # the edge between them
    assert text_of(browser, "panel").startswith("stored_at") and HOSTILE in text_of(browser, "panel")
    search.clear()
    search.send_keys("arn:aws:s3:::b\n")
    assert f"message {HOSTILE}" in text_of(browser, "panel")  # its finding, in its panel
    browser.find_element("css selector", "#trail button").click()
    group = shown(browser)[f"database:arn:aws:glue:r:1:database/{tagged}"]
    click_at(browser, group["x"], group["y"])
    assert text_of(browser, "panel").startswith(tagged) and {t.id for t in tables} <= set(shown(browser))
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('img, #panel script').length") == 0
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0


def test_every_kind_of_edge_is_drawn_and_structure_only_on_request(browser: Any, tmp_path: Path,
                                                                   demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    labels = "return window.lineageNetwork.body.data.edges.get().map(e => e.label.split(' ×')[0])"
    kinds = {e.kind.value for e in demo_scan.edges}
    assert set(browser.execute_script(labels)) == kinds - {"part_of"}
    browser.find_element("id", "structure").click()
    assert set(browser.execute_script(labels)) == kinds


def _clear_of_other_edges(drawn: dict[str, dict[str, Any]], scan: Scan, source: str,
                          target: str) -> tuple[float, float]:
    """The point on the straight edge `source → target` (edges are drawn straight) farthest from every other
    edge drawn, so that a click there can only mean this one."""
    def distance(point: tuple[float, float], a: dict[str, Any], b: dict[str, Any]) -> float:
        (x, y), (ax, ay), (bx, by) = point, (a["x"], a["y"]), (b["x"], b["y"])
        length = (bx - ax) ** 2 + (by - ay) ** 2
        t = 0.0 if not length else max(0.0, min(1.0, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / length))
        return float(((x - ax - t * (bx - ax)) ** 2 + (y - ay - t * (by - ay)) ** 2) ** 0.5)

    others = {(e.source, e.target) for e in scan.edges if e.source in drawn and e.target in drawn} - {(source, target)}
    along = [(drawn[source]["x"] + f * (drawn[target]["x"] - drawn[source]["x"]),
              drawn[source]["y"] + f * (drawn[target]["y"] - drawn[source]["y"])) for f in (0.3, 0.4, 0.5, 0.6, 0.7)]
    return max(along, key=lambda point: min((distance(point, drawn[a], drawn[b]) for a, b in others),
                                            default=float("inf")))


def test_an_edge_shows_the_evidence_for_it(browser: Any, tmp_path: Path, demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    table, workgroup = named(demo_scan, "curated.enrollments"), named(demo_scan, "analytics")
    edge = next(e for e in demo_scan.edges if (e.source, e.target) == (table.id, workgroup.id))
    drawn = shown(browser)
    click_at(browser, *_clear_of_other_edges(drawn, demo_scan, table.id, workgroup.id))
    panel = text_of(browser, "panel")
    assert panel.startswith(edge.kind.value) and "curated.enrollments → reads → analytics" in panel
    assert edge.evidence and all(e.operation in panel and e.excerpt[:40] in panel for e in edge.evidence[:3])


def many_similar_jobs(count: int) -> Scan:
    """`count` jobs between two paths, and two functions beside them: a cluster and what stands near it."""
    source, target = "arn:aws:s3:::src/in", "arn:aws:s3:::dst/out"
    jobs = [Node(f"arn:aws:glue:r:1:job/job-{i:03}", "glue.job", f"job-{i:03}", Stage.PROCESSING, "1", "r")
            for i in range(count)]
    functions = [Node(f"arn:aws:lambda:r:1:function:{name}", "lambda.function", name, Stage.PROCESSING, "1", "r")
                 for name in ("a-function", "z-function")]
    places = [Node(source, "s3.location", "src/in", Stage.STORAGE), Node(target, "s3.location", "dst/out",
                                                                          Stage.STORAGE)]
    edges = [Edge(source, n.id, EdgeKind.READS) for n in jobs + functions] + [
        Edge(n.id, target, EdgeKind.WRITES) for n in jobs]
    return Scan("s", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", ScanStatus.COMPLETE, ("1",), ("r",),
                tuple(places + jobs + functions), tuple(edges), (), (), {})


def test_a_large_cluster_unfolds_a_step_at_a_time_and_a_member_chosen_from_its_panel_is_shown(
        browser: Any, tmp_path: Path) -> None:
    scan = many_similar_jobs(450)
    open_page(browser, tmp_path, render_html(scan, group_above=0))
    cluster = "cluster:glue.job|1|r"
    where = shown(browser)[cluster]
    assert "450 · similar" in where["label"]
    view = "return [window.lineageNetwork.getScale(), window.lineageNetwork.getViewPosition()]"
    before = browser.execute_script(view)
    click_at(browser, where["x"], where["y"])
    assert browser.execute_script(view) == before  # unfolding keeps the reader where they were
    drawn = shown(browser)
    apart = {i for i in drawn if "job/" in i}
    assert len(apart) == 200 and "250 more of 450" in drawn[cluster]["label"]
    column = [shape["y"] for shape in drawn.values() if shape["x"] == where["x"]]
    assert len(column) == len(set(column)) == 200 + 1 + 2  # the jobs apart, the rest, the two functions
    assert "Unfold more" in text_of(browser, "panel")
    browser.find_element("xpath", "//aside[@id='panel']//button[text()='Fold']").click()
    assert not {i for i in shown(browser) if "job/" in i}
    browser.find_element("xpath", "//aside[@id='panel']//button[text()='job-150']").click()
    drawn = shown(browser)
    assert "arn:aws:glue:r:1:job/job-150" in drawn and len({i for i in drawn if "job/" in i}) == 200
    assert text_of(browser, "panel").startswith("job-150")
    selected = browser.execute_script("return window.lineageNetwork.getSelectedNodes()")
    assert selected == [drawn["arn:aws:glue:r:1:job/job-150"]["vis"]]


def test_suggestions_are_chosen_with_the_keyboard_and_an_exact_name_comes_first(browser: Any, tmp_path: Path) -> None:
    open_page(browser, tmp_path, render_html(many_similar_jobs(30)))
    search = browser.find_element("id", "search")
    search.send_keys("job-01")
    listed = [item.text.split(" · ")[0] for item in browser.find_elements("css selector", "#suggestions li")]
    assert listed == [f"job-{i:03}" for i in range(10, 20)]
    search.send_keys(Keys.ARROW_DOWN, Keys.ARROW_DOWN)
    active = browser.find_element("css selector", "#suggestions li.active")
    assert active.text.startswith("job-012") and active.get_attribute("aria-selected") == "true"
    search.send_keys(Keys.ENTER)
    assert "job-012 (2 flows around)" in text_of(browser, "trail")
    search.clear()
    search.send_keys("arn:aws:s3:::src/in")  # an ARN typed whole names its node first
    assert browser.find_elements("css selector", "#suggestions li")[0].text.startswith("src/in")
    search.send_keys(Keys.ESCAPE)
    assert browser.find_elements("css selector", "#suggestions li") == []


def test_around_a_focus_a_tall_column_stands_as_several(browser: Any, tmp_path: Path) -> None:
    scan = many_similar_jobs(200)
    open_page(browser, tmp_path, render_html(scan, focus=Focus("arn:aws:s3:::src/in", 1)))
    drawn = shown(browser)
    assert len(drawn) == 1 + 200 + 2
    centre = drawn["arn:aws:s3:::src/in"]
    readers = {i: p for i, p in drawn.items() if i != "arn:aws:s3:::src/in"}
    most = max(MIN_ROWS, math.ceil(WRAP_RATIO * math.sqrt(len(drawn))))
    xs = sorted({p["x"] for p in readers.values()})
    assert len(xs) == math.ceil(len(readers) / most) and xs[0] == centre["x"] + COLUMN_WIDTH
    assert all(xs[k + 1] - xs[k] == COLUMN_WIDTH for k in range(len(xs) - 1))
    assert len({(p["x"], p["y"]) for p in drawn.values()}) == len(drawn)


def test_a_buckets_panel_lists_the_paths_inside_it(browser: Any, tmp_path: Path, demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    search = browser.find_element("id", "search")
    search.send_keys("arn:aws:s3:::lp-curated-data\n")
    paths = sorted(n.name for n in demo_scan.nodes if n.id.startswith("arn:aws:s3:::lp-curated-data/"))
    panel = text_of(browser, "panel")
    assert f"Paths inside it ({len(paths)})" in panel and all(path in panel for path in paths)


def test_a_place_named_in_configuration_is_listed_apart_from_flows_of_known_direction(
        browser: Any, tmp_path: Path, demo_scan: Scan) -> None:
    open_page(browser, tmp_path, render_html(demo_scan))
    browser.find_element("id", "search").send_keys("enrollment-api\n")
    panel = text_of(browser, "panel")
    named, _, rest = panel.partition("Named in configuration, direction unknown (1)")
    assert rest.startswith("enrollments — references") and "Environment.Variables.TABLE_NAME" in rest
    assert "Data goes to (1)/aws/lambda/enrollment-api — writes" in named  # its log group: a flow one way
    browser.find_element("id", "search").clear()
    browser.find_element("id", "search").send_keys("arn:aws:dynamodb:us-east-1:123456789012:table/enrollments\n")
    panel = text_of(browser, "panel")  # the table shows the same reference, from its end
    # The function's environment names it; so does the GraphQL API whose data source it is.
    assert "Named in configuration, direction unknown (2)" in panel and "enrollment-api — references" in panel
    assert "course-catalog — references" in panel


_PATHS = ["", "raw", "raw/a", "raw/a/b", "raw/ab", "curated", "curated/x"]


@st.composite
def lineage_graphs(draw: st.DrawFn) -> Graph:
    """Buckets with nested paths, tables stored at some of them, jobs and flows between any of these (some of
    unknown direction)."""
    buckets = [f"b{i}" for i in range(draw(st.integers(1, 2)))]
    places = [f"arn:aws:s3:::{b}" + (f"/{p}" if p else "") for b in buckets
              for p in draw(st.lists(st.sampled_from(_PATHS), min_size=1, max_size=5, unique=True))]
    tables = [f"arn:aws:glue:r:1:table/d/t{i}" for i in range(draw(st.integers(0, 3)))]
    jobs = [f"arn:aws:glue:r:1:job/j{i}" for i in range(draw(st.integers(1, 4)))]
    nodes = [Node(i, "s3.location" if "/" in i[13:] else "s3.bucket", i, Stage.STORAGE) for i in places]
    nodes += [Node(i, "glue.table", i, Stage.STORAGE) for i in tables]
    nodes += [Node(i, "glue.job", i, Stage.PROCESSING) for i in jobs]
    everything = places + tables + jobs
    edges = [Edge(t, draw(st.sampled_from(places)), EdgeKind.STORED_AT) for t in tables if draw(st.booleans())]
    for _ in range(draw(st.integers(0, 14))):
        kind = draw(st.sampled_from([EdgeKind.READS, EdgeKind.WRITES, EdgeKind.TRIGGERS, EdgeKind.REFERENCES]))
        edges.append(Edge(draw(st.sampled_from(everything)), draw(st.sampled_from(everything)), kind))
    return build_graph([Facts(tuple(nodes), tuple(edges))])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graph=lineage_graphs())
def test_the_pages_walk_reaches_what_lineage_show_reaches(browser: Any, tmp_path: Path, graph: Graph) -> None:
    scan = Scan("s", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", ScanStatus.COMPLETE, ("1",), ("r",),
                tuple(graph.nodes.values()), tuple(graph.edges.values()), (), (), {})
    open_page(browser, tmp_path, render_html(scan))
    ids = [node.id for node in scan.nodes]
    walked = browser.execute_script("""
        const count = arguments[0], answers = [];
        for (let at = 0; at < count; at++) {
          for (const downstream of [true, false]) {
            for (const depth of [1, 2, 99]) {
              answers.push(Object.fromEntries(window.lineagePage.reach(at, downstream, depth)));
            }
          }
        }
        return answers;""", len(ids))
    expected = [{str(ids.index(n)): r.distance for n, r in graph.reach(start, downstream, depth).items()}
                for start in ids for downstream in (True, False) for depth in (1, 2, 99)]
    assert walked == expected
