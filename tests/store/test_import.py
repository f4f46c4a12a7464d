"""Import of `lineage-graph/1`: a document becomes the scan it was exported from, or is refused in one
line that says where it is wrong; stored, the scan exports to the same document again."""

from __future__ import annotations

import copy
import itertools
import json
import secrets
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from lineage.model import Facts, Scan
from lineage.scan import analyse, scan_of
from store.imports import (
    FINDING_ID_LENGTH,
    MAX_DEPTH,
    SCAN_ID_LENGTH,
    DocumentError,
    require_scan_document,
    scan_from_document,
    scan_id_problem,
)
from store.repository import (
    ScanExists,
    StoreError,
    begin_scan,
    list_scans,
    load_scan,
    open_store,
    save_new_scan,
    save_scan,
)
from tests.property.strategies import api_calls, examples, fact_batches, gaps, scan_regions, started_times
from tests.store.test_repository import sample_scan
from tests.viz.test_schema import assert_valid
from viz.export import dumps, facts_document, scan_document


def properties(fast: int) -> settings:
    """As the property folder runs them (tests/property/conftest.py), whichever folder runs these."""
    return settings(deadline=None, derandomize=True, database=None, max_examples=examples(fast),
                    suppress_health_check=(HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.large_base_example))


@st.composite
def scans(draw: st.DrawFn) -> Scan:
    """A scan as `run_scan` assembles one from any facts, however odd: what a store holds and exports."""
    analysis = analyse(draw(fact_batches()))
    accounts = tuple(sorted({n.account for n in analysis.graph.nodes.values() if n.observed and n.account}))
    return scan_of(analysis, f"prop-{secrets.token_hex(8)}", draw(started_times), draw(scan_regions),
                   draw(st.lists(gaps, max_size=2)), draw(api_calls), draw(st.booleans()), accounts)


def exported(scan: Scan) -> dict[str, Any]:
    """The document as a reader gets it: through its text form."""
    return json.loads(dumps(scan_document(scan)))


@pytest.fixture
def document() -> dict[str, Any]:
    return exported(sample_scan())


def test_a_document_becomes_the_scan_it_was_exported_from(document) -> None:
    assert_valid(document)
    assert scan_from_document(document) == sample_scan()


def test_the_caller_is_not_in_an_export_so_an_import_has_none() -> None:
    scan = replace(sample_scan(), caller="arn:aws:sts::111122223333:assumed-role/scanner/s")
    assert scan_from_document(exported(scan)) == replace(scan, caller="")


def test_a_new_id_replaces_the_documents_and_nothing_else(document) -> None:
    assert scan_from_document(document, "copy-1") == replace(sample_scan(), id="copy-1")


def test_the_document_is_not_changed(document) -> None:
    before = copy.deepcopy(document)
    scan_from_document(document)
    assert document == before


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change at `path` (keys and list indices separated by `/`)."""
    *parents, last = path.split("/")

    def change(document: dict[str, Any]) -> None:
        place: Any = document
        for key in parents:
            place = place[int(key)] if isinstance(place, list) else place[key]
        place[int(last) if isinstance(place, list) else last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    *parents, last = path.split("/")

    def change(document: dict[str, Any]) -> None:
        place: Any = document
        for key in parents:
            place = place[int(key)] if isinstance(place, list) else place[key]
        del place[last]

    return change


def _append_copy(key: str, index: int = 0) -> Callable[[dict[str, Any]], None]:
    return lambda document: document[key].append(copy.deepcopy(document[key][index]))


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


MALFORMED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "another format": (_set("format", "lineage-graph/2"), "not a lineage-graph/1 document (format 'lineage-graph/2')"),
    "no format": (_delete("format"), "not a lineage-graph/1 document (no format)"),
    "no scan header": (_delete("scan"), "$.scan: missing"),
    "a header that is not an object": (_set("scan", []), "$.scan: an array, not the scan's header object"),
    "a running scan": (_set("scan/status", "running"), "$.scan.status: 'running': a scan still under way"),
    "an unknown status": (_set("scan/status", "paused"), "$.scan.status: 'paused' cannot be read"),
    "an empty scan id": (_set("scan/id", " "), "$.scan.id: a scan id cannot be empty"),
    "a scan id too long for the store": (_set("scan/id", "x" * (SCAN_ID_LENGTH + 1)),
                                         f"$.scan.id: a scan id has at most {SCAN_ID_LENGTH} characters"),
    "a scan id that is not text": (_set("scan/id", 7), "$.scan.id: a number, not a string"),
    "an edge from no node": (_set("edges/0/source", "arn:aws:glue:eu-west-1:1:job/gone"),
                             "$.edges[0].source: 'arn:aws:glue:eu-west-1:1:job/gone' is not a node of the document"),
    "an edge to no node": (_set("edges/0/target", "arn:aws:s3:::gone"),
                           "$.edges[0].target: 'arn:aws:s3:::gone' is not a node of the document"),
    "a finding on no node": (_set("findings/0/node", "arn:aws:s3:::gone"),
                             "$.findings[0].node: 'arn:aws:s3:::gone' is not a node of the document"),
    "two nodes of one id": (_append_copy("nodes", 1), "$.nodes[2].id: 'arn:job' is already the id of $.nodes[1]"),
    "two edges of one key": (_append_copy("edges"), "$.edges[1]: the same writes edge from 'arn:job' to "
                                                    "'arn:aws:s3:::b/out' as $.edges[0]"),
    "two findings of one id": (_append_copy("findings"), "$.findings[1].id: 'f1' is already the id of $.findings[0]"),
    "a finding id too long for the store": (_set("findings/0/id", "f" * (FINDING_ID_LENGTH + 1)),
                                            f"$.findings[0].id: a finding id has at most {FINDING_ID_LENGTH}"),
    "a node without a kind": (_delete("nodes/1/kind"), "$.nodes[1]: 'kind' is missing"),
    "an unknown stage": (_set("nodes/1/stage", "nowhere"), "$.nodes[1]: cannot be read ('nowhere' is not a valid"),
    "nodes that are not a list": (_set("nodes", {}), "$.nodes: an object, not an array"),
    "a header without api calls": (_delete("scan/api_calls"), "$.scan: 'api_calls' is missing"),
    "a NUL in an attribute": (_set("nodes/0/attributes/note", "a\x00b"),
                              "$.nodes[0].attributes.note: holds a NUL character"),
    "a NUL in a key": (_set("nodes/0/attributes/a\x00b", 1), "$.nodes[0].attributes: the key 'a\\x00b' holds a NUL"),
    "a lone surrogate in a name": (_set("nodes/1/name", "job\ud800"),
                                   "$.nodes[1].name: holds a lone surrogate (U+D800)"),
    "NaN": (_set("nodes/0/attributes/size", float("nan")), "$.nodes[0].attributes.size: nan is not a number"),
    "an infinite number": (_set("edges/0/evidence/0/excerpt", float("inf")), "$.edges[0].evidence[0].excerpt: inf"),
    "a key that is not text": (_set("nodes/0/attributes", {1: "one"}), "$.nodes[0].attributes: the key 1 is not"),
    "a value that is not JSON": (_set("nodes/0/attributes/seen", {1, 2}),
                                 "$.nodes[0].attributes.seen: a set is not JSON data"),
    "nesting deeper than any export": (_set("nodes/0/attributes/deep", _nested(MAX_DEPTH)),
                                       f"nested deeper than {MAX_DEPTH} levels"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_document_is_refused_in_one_line_that_says_where(case: str, document) -> None:
    change, message = MALFORMED[case]
    change(document)
    with pytest.raises(DocumentError) as refused:
        scan_from_document(document)
    said = str(refused.value)
    assert message in said and "\n" not in said
    assert isinstance(refused.value, StoreError)  # what the commands already say in one line


def test_a_path_spells_out_keys_that_are_not_names(document) -> None:
    document["scan"]["api_calls"]["s3:ListBuckets"] = float("-inf")
    with pytest.raises(DocumentError, match=r"^\$\.scan\.api_calls\['s3:ListBuckets'\]: -inf"):
        scan_from_document(document)


def test_the_facts_of_one_file_are_not_a_scan_and_are_named_for_what_they_are() -> None:
    facts = json.loads(dumps(facts_document(Facts(), ["a warning"], "flow.asl.json")))
    assert_valid(facts)  # the schema takes it: only the import can say it is no scan
    with pytest.raises(DocumentError, match=r"facts of one definition file \(`lineage asl --json`\), not a scan"):
        require_scan_document(facts)


@pytest.mark.parametrize("value", [[], "text", 3, None])
def test_json_that_is_not_an_object_is_not_a_document(value: Any) -> None:
    with pytest.raises(DocumentError, match="not a lineage-graph/1 document"):
        scan_from_document(value)


@pytest.mark.parametrize(("new_id", "problem"), [
    ("", "cannot be empty"), ("  ", "cannot be empty"), ("x" * (SCAN_ID_LENGTH + 1), "at most"),
    ("a\nb", "no scan id may hold"), ("a\x1b[2Jb", "no scan id may hold"), ("a\udcffb", "no scan id may hold"),
])
def test_a_new_id_the_store_cannot_keep_or_a_user_cannot_type_is_refused(new_id: str, problem: str,
                                                                          document) -> None:
    assert problem in (scan_id_problem(new_id) or "")
    with pytest.raises(DocumentError, match="^the new scan id: "):
        scan_from_document(document, new_id)


def test_a_deep_document_is_refused_without_exhausting_the_stack(document) -> None:
    document["nodes"][0]["attributes"]["deep"] = _nested(50_000)
    with pytest.raises(DocumentError, match="nested deeper"):
        scan_from_document(document)


@properties(40)
@given(scans())
def test_any_scan_the_pipeline_makes_comes_back_from_its_export(scan: Scan) -> None:
    document = exported(scan)
    assert scan_from_document(document) == replace(scan, caller="")


@properties(40)
@given(scans(), st.data())
def test_an_edge_or_finding_off_the_graph_is_refused_by_its_place(scan: Scan,
                                                                   data: st.DataObject) -> None:
    document = exported(scan)
    lists = [name for name in ("edges", "findings") if document[name]]
    assume(lists)
    where = data.draw(st.sampled_from(lists))
    index = data.draw(st.integers(0, len(document[where]) - 1))
    field = "node" if where == "findings" else data.draw(st.sampled_from(("source", "target")))
    document[where][index][field] = "arn:aws:s3:::not-in-this-scan/" + data.draw(st.sampled_from(("", "raw", "x y/é")))
    with pytest.raises(DocumentError) as refused:
        scan_from_document(document)
    assert str(refused.value).startswith(f"$.{where}[{index}].{field}: ")
    assert str(refused.value).endswith(" is not a node of the document")


# --- stored --------------------------------------------------------------------------------------


def test_stored_it_exports_to_the_same_document(database_url: str) -> None:
    source, target = open_store(database_url), open_store(database_url)
    save_scan(source, sample_scan())
    document = json.loads(dumps(scan_document(load_scan(source, sample_scan().id))))
    save_new_scan(target, scan_from_document(document, "imported"))
    again = dumps(scan_document(load_scan(target, "imported")))
    assert again == dumps({**document, "scan": {**document["scan"], "id": "imported"}})


def test_a_scan_already_stored_is_not_touched(database_url: str) -> None:
    engine = open_store(database_url)
    save_scan(engine, sample_scan())
    other = replace(sample_scan(), nodes=(), edges=(), findings=())
    with pytest.raises(ScanExists):
        save_new_scan(engine, other)
    assert load_scan(engine, sample_scan().id) == sample_scan()


def test_an_import_never_completes_a_scan_still_running(tmp_path: Path) -> None:
    engine = open_store(str(tmp_path / "lineage.db"))
    begin_scan(engine, sample_scan().id, sample_scan().started_at)  # this process runs it: not abandoned
    with pytest.raises(ScanExists):
        save_new_scan(engine, sample_scan())
    [summary] = list_scans(engine)
    assert (summary.status, summary.nodes) == ("running", 0)


@pytest.fixture(scope="module")
def one_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = open_store(str(tmp_path_factory.mktemp("import") / "lineage.db"))
    yield engine
    engine.dispose()


_IMPORTED = itertools.count()


@properties(25)
@given(scans())
def test_any_stored_scan_exported_imported_and_exported_again_is_the_same_document(
        one_store: Engine, scan: Scan) -> None:
    save_scan(one_store, scan)
    first = dumps(scan_document(load_scan(one_store, scan.id)))
    copy_id = f"imported-{next(_IMPORTED)}"
    save_new_scan(one_store, scan_from_document(json.loads(first), copy_id))
    again = json.loads(dumps(scan_document(load_scan(one_store, copy_id))))
    assert dumps({**again, "scan": {**again["scan"], "id": scan.id}}) == first


def test_of_two_bad_values_the_first_in_the_document_is_named(document) -> None:
    document["nodes"][0]["name"] = "a\x00b"
    document["nodes"][1]["name"] = "c\x00d"
    with pytest.raises(DocumentError, match=r"^\$\.nodes\[0\]\.name"):
        scan_from_document(document)


def test_the_store_names_the_contract_as_the_export_does() -> None:
    from store.imports import FORMAT as STORED
    from viz.export import FORMAT as EXPORTED

    assert STORED == EXPORTED  # the store may not import viz: one name, written twice, kept equal here
