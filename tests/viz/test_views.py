"""The export document and the HTML view: shape, self-containment, escaping, and a real browser."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shutil
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from lineage.model import Category, Edge, EdgeKind, Evidence, Finding, Node, Scan, ScanStatus, Severity, Stage
from tests.viz.test_schema import assert_valid
from viz.export import FORMAT, scan_document
from viz.html import render_html

HOSTILE = '</script><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'


def hostile_scan() -> Scan:
    evidence = Evidence("events:ListRules", "arn:rule", "Description", HOSTILE)
    table = Node("arn:aws:glue:r:1:table/d/t", "glue.table", f"d.t{HOSTILE}", Stage.STORAGE, "1", "r", True,
                 {"columns": [{"name": "email", "comment": HOSTILE}], "personal_data": {"categories": ["email"],
                                                                                    "origins": ["x"]}})
    bucket = Node("arn:aws:s3:::b", "s3.bucket", "b", Stage.STORAGE, "1", "r", True,
                  {"encryption": {"algorithm": None}, "tags": {"owner": HOSTILE}})
    return Scan(
        id="s1", started_at="2026-01-01T00:00:00+00:00", finished_at="2026-01-01T00:00:01+00:00",
        status=ScanStatus.COMPLETE, accounts=("1",), regions=("r",), nodes=(table, bucket),
        edges=(Edge(table.id, bucket.id, EdgeKind.STORED_AT, (evidence,)),),
        findings=(Finding("f", "s3.no_default_encryption", Category.ENCRYPTION, Severity.HIGH, bucket.id,
                          f"message {HOSTILE}", "fix", (evidence,)),),
        coverage_gaps=(), api_calls={"s3:ListBuckets": 1},
    )


def test_export_document_has_the_contract_shape() -> None:
    document = scan_document(hostile_scan())
    assert document["format"] == FORMAT == "lineage-graph/1"
    assert set(document["scan"]) == {"id", "started_at", "finished_at", "status", "accounts", "regions",
                                     "coverage_gaps", "api_calls"}
    assert set(document["nodes"][0]) == {"id", "kind", "stage", "name", "account", "region", "observed", "attributes"}
    assert set(document["edges"][0]) == {"source", "target", "kind", "evidence"}
    assert set(document["edges"][0]["evidence"][0]) == {"operation", "resource", "path", "excerpt", "dynamic"}
    assert set(document["findings"][0]) == {"id", "rule", "category", "severity", "node", "message", "evidence",
                                            "remediation"}
    assert_valid(json.loads(json.dumps(document)))  # plain data throughout, and as the schema says


def test_html_is_self_contained_and_escapes_every_string_from_aws() -> None:
    html = render_html(hostile_scan())
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.I)
    assert "@import" not in html
    assert "vis.Network" in html and "Content-Security-Policy" in html
    assert HOSTILE not in html
    assert "</script><script>window.__pwned" not in html
    # the hostile text survives as data, escaped
    assert "\\u003c/script\\u003e" in html


def test_the_pages_policy_allows_its_own_scripts_by_hash_and_nothing_else() -> None:
    html = render_html(hostile_scan())
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1))
    script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src")).split()[1:]
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(scripts) == 2 and "unsafe-inline" not in policy.replace("style-src 'unsafe-inline'", "")
    assert script_src == [
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts]


def page_data_of(html: str) -> dict[str, Any]:
    """The data a page carries, as its script reads it."""
    found = re.search(r'<script type="application/json" id="lineage-data">(.*?)</script>', html, re.S)
    assert found, "the page carries no data element"
    return json.loads(found.group(1))


def _chromium() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not browser or not driver:
        pytest.skip("chromium and chromedriver are not installed (scripts/ensure-chromium installs them)")
    return browser, driver


def headless_chromium(tmp_path: Path, browser_log: bool = False) -> Any:
    """A headless Chromium driven by Selenium, offline and with a profile of its own; skips the test
    where Chromium is not installed."""
    browser, driver_path = _chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    if browser_log:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--user-data-dir={tmp_path / 'profile'}", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver_path), options=options)


@pytest.mark.browser
def test_the_view_renders_offline_in_headless_chromium_and_runs_no_injected_script(tmp_path: Path) -> None:
    page = tmp_path / "lineage.html"
    page.write_text(render_html(hostile_scan()), encoding="utf-8")
    driver = headless_chromium(tmp_path)
    try:
        driver.get(page.as_uri())
        drawn = driver.execute_script(
            "return window.lineageNetwork ? window.lineageNetwork.body.data.nodes.length : -1")
        assert drawn == 2
        assert driver.execute_script("return window.__pwned === undefined")
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
        assert driver.execute_script("return document.querySelectorAll('#findings .finding').length") == 1
        text = driver.execute_script("return document.getElementById('findings').textContent")
        assert "window.__pwned" in text  # shown as text, not run
        assert driver.find_elements("css selector", "canvas")
        # A script element that reached the page any other way is refused by the page's policy.
        planted = tmp_path / "planted.html"
        planted.write_text(page.read_text(encoding="utf-8").replace(
            "</body>", "<script>window.__planted = 1;</script></body>"), encoding="utf-8")
        driver.get(planted.as_uri())
        assert driver.execute_script("return window.lineageNetwork.body.data.nodes.length") == 2
        assert driver.execute_script("return window.__planted === undefined")
    finally:
        driver.quit()
