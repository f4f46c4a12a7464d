"""`lineage import` as a user runs it: an exported scan moves to another store and exports the same bytes
there; a file that is no scan is refused in one line, exit code 2, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from store.repository import list_scans, open_store
from tests.e2e.conftest import lineage

DEFINITION = {"StartAt": "Load", "States": {"Load": {
    "Type": "Task", "Resource": "arn:aws:states:::glue:startJobRun.sync",
    "Parameters": {"JobName": "curate"}, "End": True}}}


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's scan, as `lineage export` writes it."""
    folder = tmp_path_factory.mktemp("demo")
    made = lineage("demo", "--out", str(folder))
    assert made.returncode == 0, made.stderr
    path = folder / "exported.json"
    written = lineage("export", "--db", str(folder / "lineage.db"), "-o", str(path))
    assert written.returncode == 0, written.stderr
    return path


def counts(document: dict[str, Any]) -> str:
    return f"{len(document['nodes'])} nodes, {len(document['edges'])} edges, {len(document['findings'])} findings"


def test_a_scan_exported_imported_elsewhere_and_exported_again_is_the_same_file(exported: Path, tmp_path) -> None:
    document = json.loads(exported.read_text())
    target = tmp_path / "elsewhere.db"
    imported = lineage("import", str(exported), "--db", str(target))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == f"imported scan {document['scan']['id']}: {counts(document)} into {target}\n"
    again = tmp_path / "again.json"
    assert lineage("export", "--db", str(target), "-o", str(again)).returncode == 0
    assert again.read_bytes() == exported.read_bytes()


def test_a_scan_the_store_has_is_refused_and_another_id_takes_it_from_stdin(exported: Path, tmp_path) -> None:
    document = json.loads(exported.read_text())
    target = str(tmp_path / "store.db")
    assert lineage("import", str(exported), "--db", target).returncode == 0
    refused = lineage("import", str(exported), "--db", target)
    assert refused.returncode == 2 and refused.stdout == ""
    [line] = refused.stderr.splitlines()
    assert f"already has a scan {document['scan']['id']}" in line and "--as-id" in line
    assert [s.id for s in list_scans(open_store(target))] == [document["scan"]["id"]]

    copied = lineage("import", "-", "--as-id", "copy-1", "--db", target, stdin=exported.read_text())
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.startswith("imported scan copy-1: ")
    shown = lineage("export", "--db", target, "--scan", "copy-1")
    assert json.loads(shown.stdout) == {**document, "scan": {**document["scan"], "id": "copy-1"}}


def _changed(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], str]:
    def write(document: dict[str, Any]) -> str:
        change(document)
        return json.dumps(document)
    return write


def _first_edge_to_nowhere(document: dict[str, Any]) -> None:
    document["edges"][0]["target"] = "arn:aws:s3:::not-in-this-scan"


def _node_twice(document: dict[str, Any]) -> None:
    document["nodes"].append(document["nodes"][0])


def _facts_of_one_file(tmp_path: Path) -> str:
    definition = tmp_path / "flow.asl.json"
    definition.write_text(json.dumps(DEFINITION))
    facts = lineage("asl", str(definition), "--json")
    assert facts.returncode == 0, facts.stderr
    return facts.stdout


# name → (the file's text, made from the exported document or from the test's folder; what the line says)
REFUSED: dict[str, tuple[Callable[..., str], str]] = {
    "not JSON": (lambda _: '{"format": "lineage-graph/1", ', "is not JSON: Expecting"),
    "NaN": (lambda _: '{"format": NaN}', "is not JSON: NaN is not a JSON value"),
    "not an object": (lambda _: "[]", "not a lineage-graph/1 document: the JSON is an array"),
    "another format": (lambda _: json.dumps({"format": "cyclonedx"}), "not a lineage-graph/1 document"),
    "not UTF-8": (lambda _: "\udcff", "is not UTF-8 text"),
    "schema: an unknown stage": (_changed(lambda d: d["nodes"][3].update(stage="nowhere")),
                                 "$.nodes[3].stage: 'nowhere' is not one of"),
    "schema: a property too many": (_changed(lambda d: d["edges"][1].update(weight=3)),
                                    "$.edges[1]: Additional properties are not allowed ('weight' was unexpected)"),
    "schema: no api calls": (_changed(lambda d: d["scan"].pop("api_calls")),
                             "$.scan: 'api_calls' is a required property"),
    "an edge to no node": (_changed(_first_edge_to_nowhere),
                           "$.edges[0].target: 'arn:aws:s3:::not-in-this-scan' is not a node of the document"),
    "a node twice": (_changed(_node_twice), "is already the id of $.nodes[0]"),
    "a running scan": (_changed(lambda d: d["scan"].update(status="running")), "a scan still under way"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_file_that_is_no_scan_is_one_line_exit_2_and_nothing_written(case: str, exported: Path, tmp_path) -> None:
    make, message = REFUSED[case]
    path = tmp_path / "input.json"
    path.write_text(make(json.loads(exported.read_text())), errors="surrogateescape")
    target = str(tmp_path / "target.db")
    open_store(target).dispose()  # an existing store, as one usually is
    result = lineage("import", str(path), "--db", target)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("lineage: ") and message in line, line
    assert list_scans(open_store(target)) == []


@pytest.mark.parametrize(("args", "message"), [
    (["{tmp}/missing.json"], "cannot read {tmp}/missing.json: No such file or directory"),
    (["{facts}"], "facts of one definition file (`lineage asl --json`), not a scan"),
    (["{exported}", "--as-id", ""], "--as-id: a scan id cannot be empty"),
    (["{exported}", "--as-id", "x" * 65], "--as-id: a scan id has at most 64 characters"),
])
def test_what_is_refused_creates_no_store(args: list[str], message: str, exported: Path, tmp_path) -> None:
    facts = tmp_path / "facts.json"
    facts.write_text(_facts_of_one_file(tmp_path))
    args = [a.format(tmp=tmp_path, facts=facts, exported=exported) for a in args]
    target = tmp_path / "never.db"
    result = lineage("import", *args, "--db", str(target))
    assert result.returncode == 2, (result.stdout, result.stderr)
    [line] = result.stderr.splitlines()
    assert message.format(tmp=tmp_path) in line and "Traceback" not in result.stderr
    assert not target.exists()


def test_import_into_postgresql_hides_the_password_and_exports_the_same_file(exported: Path, postgres_url: str,
                                                                              tmp_path) -> None:
    password = "imp0rt-Secret-9c1"
    with_password = postgres_url.replace("postgresql+psycopg://postgres@", f"postgresql+psycopg://postgres:{password}@")
    imported = lineage("import", str(exported), "--db", with_password)
    assert imported.returncode == 0, imported.stderr
    assert password not in imported.stdout + imported.stderr
    assert imported.stdout.rstrip().endswith(f" into {postgres_url.replace('postgres@', 'postgres:***@')}")
    again = tmp_path / "again.json"
    assert lineage("export", "--db", postgres_url, "-o", str(again)).returncode == 0
    assert again.read_bytes() == exported.read_bytes()
