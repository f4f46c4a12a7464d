"""The JSON Schema of `lineage-graph/1`: itself valid, as strict as the contract, in step with the model,
and met by what the tracker writes: a real scan's export and `lineage asl --json` of every corpus file."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from jsonschema import Draft202012Validator, ValidationError
from moto import mock_aws

from lineage.cli import main
from lineage.demo import ACCOUNT, REGION, build_estate
from lineage.model import Category, EdgeKind, ScanStatus, Severity, Stage
from lineage.scan import ScanOptions, run_scan
from tests.conftest import corpus_files
from viz.export import FORMAT, scan_document, schema

# A common Step Functions pattern that once broke scans: the bucket comes from the input, inside a branch.
DYNAMIC_BUCKET_MACHINE = {"StartAt": "Fan", "States": {"Fan": {"Type": "Parallel", "End": True, "Branches": [
    {"StartAt": "Put", "States": {"Put": {
        "Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:putObject",
        "Parameters": {"Bucket.$": "$.bucket", "Key": "out/result.json", "Body.$": "$"}, "End": True}}}]}}}


def validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def assert_valid(document: Any) -> None:
    """Fails with every violation and where it is, not only the first."""
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(document)'}: {e.message}"
                for e in validator().iter_errors(document)]
    assert not problems, "\n".join(problems)


def violations(document: Any) -> list[str]:
    """Every violation, including those under `oneOf` (a scan document or an offline one), as
    `path: message`, so a test can say which rule a document broke, not only that it broke one."""
    found: list[str] = []
    pending = list(validator().iter_errors(document))
    while pending:
        error = pending.pop()
        found.append(f"{'/'.join(map(str, error.absolute_path))}: {error.message}")
        pending.extend(error.context or ())
    return found


def deny(session: boto3.Session, service: str, operation: str) -> None:
    """Every `operation` of `service` made through clients of `session` is answered AccessDenied."""

    def refuse(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        response = AWSResponse("https://denied.invalid", 403, {}, None)
        return response, {"Error": {"Code": "AccessDenied", "Message": "not authorised"},
                          "ResponseMetadata": {"HTTPStatusCode": 403}}

    session.events.register(f"before-call.{service}.{operation}", refuse)


@pytest.fixture(scope="module")
def partial_scan_document() -> dict[str, Any]:
    """A real scan of the demo estate plus a machine writing to a bucket named at run time, with the
    bucket policies denied: a dynamic node and coverage gaps, as a scan of a real account has them."""
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
        build_estate(lambda service: session.client(service))
        role = f"arn:aws:iam::{ACCOUNT}:role/learning-platform-role"
        session.client("stepfunctions").create_state_machine(
            name="fan-out-export", definition=json.dumps(DYNAMIC_BUCKET_MACHINE), roleArn=role)
        deny(session, "s3", "GetBucketPolicy")
        scan, _ = run_scan(ScanOptions(regions=(REGION,)), session=session)
    return scan_document(scan)


# --- the schema itself ----------------------------------------------------------------------------


def test_the_schema_is_a_valid_draft_2020_12_schema_shipped_with_the_package() -> None:
    loaded = schema()
    Draft202012Validator.check_schema(loaded)
    assert loaded["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert loaded["$defs"]["format"] == {"const": FORMAT}
    loaded["title"] = "changed"
    assert schema()["title"] == "lineage-graph/1"  # each caller gets its own copy


def test_the_schema_enums_are_exactly_the_models() -> None:
    """A value added to the model without the schema (or the reverse) fails here, not in a reader."""
    definitions = schema()["$defs"]
    assert definitions["node"]["properties"]["stage"]["enum"] == [s.value for s in Stage]
    assert definitions["edge"]["properties"]["kind"]["enum"] == [k.value for k in EdgeKind]
    assert definitions["finding"]["properties"]["category"]["enum"] == [c.value for c in Category]
    assert definitions["finding"]["properties"]["severity"]["enum"] == [s.value for s in Severity]
    assert definitions["scan"]["properties"]["status"]["enum"] == [s.value for s in ScanStatus]


# --- strict where the contract is strict ----------------------------------------------------------


def _offline_document() -> dict[str, Any]:
    return {"format": FORMAT, "scan": None, "nodes": [], "edges": [], "findings": [], "source": "f.json",
            "warnings": []}


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda part: part.pop(key)


BROKEN: dict[str, tuple[str, Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], None]]] = {
    # name: (the key a violation names, where in the document, the change)
    "no format": ("format", lambda d: d, _drop("format")),
    "other format": ("format", lambda d: d, lambda d: d.update(format="lineage-graph/2")),
    "no findings": ("findings", lambda d: d, _drop("findings")),
    "unknown top-level key": ("extra", lambda d: d, lambda d: d.update(extra=1)),
    "scan without status": ("status", lambda d: d["scan"], _drop("status")),
    "scan status unknown": ("status", lambda d: d["scan"], lambda s: s.update(status="done")),
    "scan without api_calls": ("api_calls", lambda d: d["scan"], _drop("api_calls")),
    "api call count not a number": ("api_calls", lambda d: d["scan"]["api_calls"],
                                    lambda c: c.update({"s3:ListBuckets": "1"})),
    "negative api call count": ("api_calls", lambda d: d["scan"]["api_calls"],
                                lambda c: c.update({"s3:ListBuckets": -1})),
    "scan with an extra key": ("extra", lambda d: d["scan"], lambda s: s.update(extra=1)),
    "gap without error": ("error", lambda d: d["scan"]["coverage_gaps"][0], _drop("error")),
    "gap with an extra key": ("code", lambda d: d["scan"]["coverage_gaps"][0], lambda g: g.update(code="x")),
    "node without id": ("id", lambda d: d["nodes"][0], _drop("id")),
    "node id not a string": ("id", lambda d: d["nodes"][0], lambda n: n.update(id=7)),
    "node stage unknown": ("stage", lambda d: d["nodes"][0], lambda n: n.update(stage="archive")),
    "node observed not a bool": ("observed", lambda d: d["nodes"][0], lambda n: n.update(observed="yes")),
    "node attributes not an object": ("attributes", lambda d: d["nodes"][0], lambda n: n.update(attributes=[])),
    "node with an extra key": ("tags", lambda d: d["nodes"][0], lambda n: n.update(tags={})),
    "edge without evidence": ("evidence", lambda d: d["edges"][0], _drop("evidence")),
    "edge kind unknown": ("kind", lambda d: d["edges"][0], lambda e: e.update(kind="copies")),
    "edge with an extra top-level key": ("weight", lambda d: d["edges"][0], lambda e: e.update(weight=1)),
    "evidence without dynamic": ("dynamic", lambda d: d["edges"][0]["evidence"][0], _drop("dynamic")),
    "evidence with an extra key": ("line", lambda d: d["edges"][0]["evidence"][0], lambda e: e.update(line=3)),
    "finding without remediation": ("remediation", lambda d: d["findings"][0], _drop("remediation")),
    "finding category unknown": ("category", lambda d: d["findings"][0], lambda f: f.update(category="performance")),
    "finding severity unknown": ("severity", lambda d: d["findings"][0], lambda f: f.update(severity="urgent")),
    "offline keys on a scan": ("source", lambda d: d, lambda d: d.update(source="f.json", warnings=[])),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_document_that_breaks_the_contract_fails(name: str, partial_scan_document: dict[str, Any]) -> None:
    key, locate, change = BROKEN[name]
    document = copy.deepcopy(partial_scan_document)
    assert document["scan"]["coverage_gaps"] and document["edges"][0]["evidence"] and document["findings"]
    change(locate(document))
    with pytest.raises(ValidationError):
        validator().validate(document)
    assert any(key in violation for violation in violations(document)), violations(document)


@pytest.mark.parametrize(("name", "change"), [
    ("no source", _drop("source")),
    ("no warnings", _drop("warnings")),
    ("a warning not text", lambda d: d.update(warnings=[{"path": "x"}])),
    ("a scan header left in", lambda d: d.update(scan={})),
])
def test_an_offline_document_that_breaks_the_contract_fails(name: str, change) -> None:
    document = _offline_document()
    assert_valid(document)
    change(document)
    with pytest.raises(ValidationError):
        validator().validate(document)


def test_open_where_the_contract_is_open() -> None:
    """Attributes and the operations counted are whatever was read: any keys, nested values, any id."""
    document = _offline_document()
    document["nodes"] = [{"id": node_id, "kind": "custom.kind", "stage": "usage", "name": "", "account": "",
                          "region": "", "observed": False,
                          "attributes": {"any": {"nested": [1, None, "x"]}, "personal_data": {}}}
                         for node_id in ("arn:aws:s3:::b/prefix", "dynamic:arn:aws:states:::stateMachine:m#States.A",
                                         "external:https://example.invalid/hook", "", "名前")]
    assert_valid(document)


# --- what the tracker writes ----------------------------------------------------------------------


def test_the_export_of_a_scan_with_a_dynamic_node_and_coverage_gaps_is_valid(
        partial_scan_document: dict[str, Any]) -> None:
    document = partial_scan_document
    assert document["scan"]["status"] == "partial"
    assert {(g["service"], g["operation"]) for g in document["scan"]["coverage_gaps"]} == {("s3", "GetBucketPolicy")}
    dynamic = [n for n in document["nodes"] if n["id"].startswith("dynamic:")]
    assert dynamic and all(n["attributes"].get("dynamic") for n in dynamic)
    assert any(e["target"] in {n["id"] for n in dynamic} and e["kind"] == "writes" for e in document["edges"])
    assert_valid(json.loads(json.dumps(document)))  # as a reader gets it: through JSON


@pytest.mark.parametrize("path", corpus_files("asl"), ids=lambda p: p.name[-70:])
def test_lineage_asl_json_of_every_corpus_definition_meets_the_schema(path: Path, corpus: Path, capsys) -> None:
    try:
        main(["asl", str(path), "--json"])
        code = 0
    except SystemExit as stop:
        code = stop.code
    captured = capsys.readouterr()
    if code != 0:
        pytest.skip(f"no document to check: {captured.err.strip()[-120:]}")
    document = json.loads(captured.out)
    assert document["source"] == str(path)
    assert_valid(document)
