"""The interactive view of a large scan, beside the plain pyvis page of the same graph.

For each size, a synthetic data platform (bench/platform_graph.py) is written as a `lineage-graph/1`
document, fed to the store through the CLI (`lineage import`), and drawn twice:

- ours: `lineage view --db … --scan … -o page.html`, timed as a user runs it (the whole command);
- plain: pyvis's own page of the same nodes and edges (labels are names, pyvis's default physics).

Each page is then opened in a headless Chromium and timed until it has drawn and answers: ten animation
frames in a row each under 50 ms, counted once the page has a graph (ours says so when it has drawn and
fitted it; pyvis's page, when its `network` exists), measured inside the page from navigation start. A
page still busy at the deadline is reported as "> DEADLINE s", never as a number.
Prints a table; asserts nothing (these machines are shared and noisy: each figure is a median of --runs).

    .venv/bin/python bench/bench_view.py [--sizes 1000,10000,50000] [--runs 3] [--deadline 60]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
from platform_graph import platform_scan  # beside this file: a script's folder is on its path
from pyvis.edge import Edge as PyvisEdge
from pyvis.network import Network
from pyvis.node import Node as PyvisNode

from lineage.model import Scan
from viz.export import dumps, scan_document, schema

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

TARGET_NODES = 10_000
TARGET_SECONDS = 5.0
TARGET_RATIO = 10.0
FAST_FRAME_MS = 50
FAST_FRAMES = 10
POLL_SECONDS = 0.25
LINEAGE = Path(sys.executable).with_name("lineage")  # the venv's command, as a user of this checkout runs it

# Runs in every document before the page's own scripts. A script injected through DevTools is not subject
# to the page's Content-Security-Policy, and it keeps its own clock: the figure is the page's, however late
# the harness gets to read it (a page that blocks its main thread also blocks the harness's questions).
FRAME_WATCH = """
(function () {
  if (window.top !== window) { return; }
  var ready = %(ready)s, fastFrames = %(frames)d, fastMs = %(fast_ms)d, fast = 0, last = null;
  function frame(now) {
    // A frame counts only once the graph exists: an empty page is quick, and says nothing.
    fast = last !== null && window[ready] && now - last < fastMs ? fast + 1 : 0;
    last = now;
    if (fast >= fastFrames) {
      window.__benchInteractive = {
        at: performance.now(),
        heap: performance.memory ? performance.memory.usedJSHeapSize : null
      };
      return;
    }
    requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
})();
"""


@dataclass(frozen=True, slots=True)
class Answer:
    seconds: float
    heap_mb: float | None


@dataclass(frozen=True, slots=True)
class Figures:
    """One page at one size: medians over the runs; `None` where the page missed its deadline."""

    megabytes: float | None
    write_seconds: float | None
    interactive_seconds: float | None
    heap_mb: float | None


@dataclass(frozen=True, slots=True)
class Row:
    nodes: int
    edges: int
    import_seconds: float
    ours: Figures
    plain: Figures


@dataclass(frozen=True, slots=True)
class Browser:
    binary: str
    driver: str


# --- the browser ------------------------------------------------------------------------------------------


def find_browser() -> Browser | None:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return Browser(binary, driver) if binary and driver else None


def start_chromium(browser: Browser, profile: Path) -> WebDriver:
    """A headless Chromium with the flags of the view tests (tests/viz/test_views.py), and three more."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser.binary
    # "none": `get` returns at once, so a page that blocks its main thread cannot hang the harness.
    options.page_load_strategy = "none"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={profile}", "--disable-dev-shm-usage",
                 # The heap to the byte, not rounded to hide timing side channels.
                 "--enable-precise-memory-info",
                 # Drawing costs with the canvas: a laptop's window, not headless's 800×600.
                 "--window-size=1440,900",
                 # Offline, and quickly so: pyvis's page links Bootstrap from a CDN; a lookup that fails at once
                 # costs it nothing, where a slow network would count against it.
                 "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(browser.driver), options=options)


def time_to_interactive(browser: Browser, page: Path, ready: str, deadline: float, scratch: Path) -> Answer | None:
    """Seconds from navigation start until `page` has drawn and answers (None: not within `deadline`), in a
    fresh browser and profile, so no run inherits another's cache or heap."""
    from selenium.common.exceptions import JavascriptException, TimeoutException, WebDriverException

    profile = Path(tempfile.mkdtemp(prefix="profile-", dir=scratch))
    driver = start_chromium(browser, profile)
    try:
        # While the page computes, a question waits for it; bounded, the harness can keep to the deadline.
        driver.set_script_timeout(2)
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FRAME_WATCH % {
            "ready": json.dumps(ready), "frames": FAST_FRAMES, "fast_ms": FAST_FRAME_MS}})
        opened = time.monotonic()
        driver.get(page.as_uri())
        while time.monotonic() - opened < deadline:
            try:
                found = driver.execute_script("return window.__benchInteractive || null")
            except TimeoutException:
                continue
            except JavascriptException:  # asked between two documents, while the page's own replaces the blank one
                found = None
            except WebDriverException as error:  # the tab crashed (out of memory): it never answers
                print(f"    {page.name}: the browser gave up: {str(error).splitlines()[0]}", flush=True)
                return None
            if found:
                seconds = found["at"] / 1000
                heap = found["heap"] / 2**20 if found.get("heap") else None
                return Answer(seconds, heap) if seconds <= deadline else None
            time.sleep(POLL_SECONDS)
        return None
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def browser_version(browser: Browser) -> str:
    result = subprocess.run([browser.binary, "--version"], capture_output=True, text=True, check=False)
    return result.stdout.strip() or "chromium (version unknown)"


# --- the pages --------------------------------------------------------------------------------------------


def has_import_command() -> bool:
    listing = subprocess.run([str(LINEAGE), "--help"], capture_output=True, text=True, check=True).stdout
    return re.search(r"^\s+import\s", listing, re.M) is not None


def import_scan(document: Path, scan: Scan, url: str, through_cli: bool) -> tuple[str, float]:
    """The scan stored from its document; returns its id as the store has it, and the seconds it took."""
    from store.repository import latest_scan_id, open_store, save_scan

    started = time.perf_counter()
    if through_cli:
        run([str(LINEAGE), "import", str(document), "--db", url])
    else:
        save_scan(open_store(url), scan)  # until `lineage import` exists: the same scan, through the store
    elapsed = time.perf_counter() - started
    # The database is this size's own: its newest scan is the one just imported, whatever id import gave it.
    stored = latest_scan_id(open_store(url))
    if stored is None:
        raise SystemExit(f"nothing was stored in {url}")
    return stored, elapsed


def run(command: Sequence[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")


def write_ours(url: str, scan_id: str, page: Path) -> float:
    started = time.perf_counter()
    run([str(LINEAGE), "view", "--db", url, "--scan", scan_id, "-o", str(page)])
    return time.perf_counter() - started


def plain_network(document: dict[str, Any]) -> Network:
    """pyvis's page of the graph, as `add_node(id, label=name)` and `add_edge(source, target)` would build it.

    Built through pyvis's own Node and Edge classes into its own lists, because add_node and add_edge
    look each id up in a list (O(N×E) for a graph): at 50,000 nodes the baseline would spend its time in
    Python, not in the page. The page written is pyvis's, byte for byte what those calls would give."""
    network = Network(directed=True, cdn_resources="in_line")
    for node in document["nodes"]:
        options = PyvisNode(node["id"], "dot", label=node["name"] or node["id"], color="#97c2fc",
                            font_color=network.font_color).options
        network.nodes.append(options)
        network.node_ids.append(node["id"])
        network.node_map[node["id"]] = options
    for edge in document["edges"]:
        network.edges.append(PyvisEdge(edge["source"], edge["target"], network.directed).options)
    return network


def write_plain(document: dict[str, Any], page: Path) -> float:
    started = time.perf_counter()
    plain_network(document).write_html(str(page))
    return time.perf_counter() - started


# --- the runs ---------------------------------------------------------------------------------------------


def median_or_miss(values: Sequence[float | None]) -> float | None:
    """The median, a miss counting as slower than any figure; None when the median itself is a miss."""
    middle = statistics.median(math.inf if v is None else v for v in values)
    return None if math.isinf(middle) else middle


def decided_miss(values: Sequence[float | None], runs: int) -> bool:
    """Whether enough runs missed that the median is a miss whatever the others give: no need to spend
    another whole deadline on them."""
    return sum(v is None for v in values) > (runs - 1) // 2


def interactive(measure: Callable[[], Answer | None], runs: int) -> tuple[float | None, float | None]:
    """(median seconds, median heap MB of the runs that answered)."""
    answers: list[Answer | None] = []
    for _ in range(runs):
        answers.append(measure())
        if decided_miss([a.seconds if a else None for a in answers], runs):
            break
    heaps = [a.heap_mb for a in answers if a and a.heap_mb is not None]
    return (median_or_miss([a.seconds if a else None for a in answers]),
            statistics.median(heaps) if heaps else None)


def measure_size(size: int, args: argparse.Namespace, browser: Browser, through_cli: bool, folder: Path) -> Row:
    scan = platform_scan(size, args.seed)
    document = scan_document(scan)
    jsonschema.Draft202012Validator(schema()).validate(document)  # the contract, or the figures mean nothing
    source = folder / f"platform-{size}.json"
    source.write_text(dumps(document), encoding="utf-8")
    url = f"sqlite:///{folder / f'store-{size}.db'}"
    scan_id, import_seconds = import_scan(source, scan, url, through_cli)

    ours_page, plain_page = folder / f"ours-{size}.html", folder / f"plain-{size}.html"
    ours_write = statistics.median(write_ours(url, scan_id, ours_page) for _ in range(args.runs))
    plain_write = statistics.median(write_plain(document, plain_page) for _ in range(args.runs))
    print(f"  {size:,} nodes: pages written ({ours_write:.1f} s, {plain_write:.1f} s); opening them", flush=True)
    ours_seconds, ours_heap = interactive(
        lambda: time_to_interactive(browser, ours_page, "lineageReady", args.deadline, folder), args.runs)
    plain_seconds, plain_heap = interactive(
        lambda: time_to_interactive(browser, plain_page, "network", args.deadline, folder), args.runs)
    return Row(len(document["nodes"]), len(document["edges"]), import_seconds,
               Figures(megabytes(ours_page), ours_write, ours_seconds, ours_heap),
               Figures(megabytes(plain_page), plain_write, plain_seconds, plain_heap))


def megabytes(page: Path) -> float:
    return page.stat().st_size / 2**20


# --- the table --------------------------------------------------------------------------------------------


def seconds(value: float | None, deadline: float) -> str:
    return f"> {deadline:g}" if value is None else f"{value:.2f}"


def amount(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def ratio(row: Row, deadline: float) -> str:
    ours, plain = row.ours.interactive_seconds, row.plain.interactive_seconds
    if ours is None:
        return "n/a"
    if plain is None:
        return f"> {deadline / ours:.0f}×"
    return f"{plain / ours:.1f}×"


def print_table(rows: Sequence[Row], deadline: float) -> None:
    print()
    print(f"{'':>15} | {'ours (lineage view)':^36} | {'plain pyvis page':^36} |")
    print(f"{'nodes':>7} {'edges':>7} | {'MB':>6} {'write s':>8} {'interact s':>11} {'heap MB':>8} | "
          f"{'MB':>6} {'write s':>8} {'interact s':>11} {'heap MB':>8} | {'plain/ours':>10}")
    for row in rows:
        print(f"{row.nodes:>7,} {row.edges:>7,} | {row.ours.megabytes:>6.1f} {row.ours.write_seconds:>8.2f} "
              f"{seconds(row.ours.interactive_seconds, deadline):>11} {amount(row.ours.heap_mb):>8} | "
              f"{row.plain.megabytes:>6.1f} {row.plain.write_seconds:>8.2f} "
              f"{seconds(row.plain.interactive_seconds, deadline):>11} {amount(row.plain.heap_mb):>8} | "
              f"{ratio(row, deadline):>10}")
    print("\nwrite s: ours is the whole `lineage view` command (start, load from the store, render, write); plain is "
          "pyvis building and writing its page from the loaded document.")
    print("interact s: from navigation start until ten frames in a row under 50 ms once the graph exists; heap MB: "
          "the page's JS heap then.")
    print("import s: " + ", ".join(f"{row.nodes:,} nodes {row.import_seconds:.1f}" for row in rows))
    verdict(rows, deadline)


def verdict(rows: Sequence[Row], deadline: float) -> None:
    """Said against the target, not asserted: a slow run on a shared machine is a figure, not a failure."""
    print(f"\ntarget: a {TARGET_NODES:,}-node scan interactive in under {TARGET_SECONDS:g} s, and at least "
          f"{TARGET_RATIO:g}× faster than the plain page.")
    row = next((r for r in rows if r.nodes == TARGET_NODES), None)
    if row is None:
        print(f"  (no {TARGET_NODES:,}-node size in this run)")
        return
    ours, plain = row.ours.interactive_seconds, row.plain.interactive_seconds
    fast = ours is not None and ours < TARGET_SECONDS
    faster = ours is not None and (plain is None and deadline / ours >= TARGET_RATIO
                                   or plain is not None and plain / ours >= TARGET_RATIO)
    print(f"  at {TARGET_NODES:,} nodes: {seconds(ours, deadline)} s ({'met' if fast else 'not met'}), "
          f"{ratio(row, deadline)} ({'met' if faster else 'not met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,50000", help="Node counts, comma-separated.")
    parser.add_argument("--runs", type=int, default=3, help="Runs of each measurement; the median is shown.")
    parser.add_argument("--deadline", type=float, default=60.0,
                        help="Seconds a page has to become interactive before it is reported as missing it.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="Write documents, stores and pages here, and leave them (default: a temporary folder).")
    args = parser.parse_args()
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]

    browser = find_browser()
    if browser is None:
        print("skipped: chromium and chromedriver are not installed (scripts/ensure-chromium installs them)")
        return
    through_cli = has_import_command()
    path = ("`lineage import FILE --db URL`" if through_cli
            else "store.repository.save_scan (fallback: this `lineage` has no `import` command yet)")
    print(f"import: {path}")
    print(f"browser: {browser_version(browser)}, headless; {args.runs} run(s) each, deadline {args.deadline:g} s, "
          f"seed {args.seed}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-view-") as temporary:
        folder = args.keep or Path(temporary)
        folder.mkdir(parents=True, exist_ok=True)
        rows = [measure_size(size, args, browser, through_cli, folder) for size in sizes]
    print_table(rows, args.deadline)
    if args.keep:
        print(f"\npages, documents and stores kept in {args.keep}")


if __name__ == "__main__":
    main()
