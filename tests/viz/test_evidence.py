"""The evidence bundle: every hop in flows.csv, failing places marked, the same bytes every time, a manifest
that catches any change, hostile text shown and never obeyed, and a page a real Chromium renders and prints."""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from lineage import pii
from lineage.classification import load_classification
from lineage.cli import main
from lineage.evidence import FORMAT, evidence_document
from lineage.graph import build_graph
from lineage.model import Edge, EdgeKind, Evidence, Facts, Node, Scan, Stage
from lineage.scan import analyse, graph_of, scan_of
from tests.viz.test_views import headless_chromium
from viz.evidence import (
    EVIDENCE,
    FLOW_COLUMNS,
    FLOWS,
    INDEX,
    MANIFEST,
    render_bundle,
    render_csv,
    render_manifest,
    verify_bundle,
)

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT, REGION = "111122223333", "eu-west-1"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
TABLE = f"arn:aws:glue:{REGION}:{ACCOUNT}:table/crm/customers"
EXPORT = f"arn:aws:glue:{REGION}:{ACCOUNT}:job/export-customers"
MASK = f"arn:aws:glue:{REGION}:{ACCOUNT}:job/mask-customers"
RAW, OUT = "arn:aws:s3:::crm-raw", "arn:aws:s3:::crm-exports"
RAW_LOCATION, OUT_LOCATION, MASKED_LOCATION = f"{RAW}/customers", f"{OUT}/export", f"{OUT}/masked"
PARTNER = "arn:aws:s3:::partner-drop/in"  # another account's bucket: referenced, never read
SCRATCH = "arn:aws:s3:::crm-scratch/tmp"  # a bucket of this account that the scan did not read
HOSTILE = '</td><script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">\x1b[2J\x07\x9b'
FORMULA_ACCOUNT, FORMULA_REGION = "@SUM(1+1)", "=cmd|' /C calc'!A0"
STARTED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _bucket(arn: str, **attributes: Any) -> Node:
    return Node(arn, "s3.bucket", arn.rsplit(":", 1)[-1], Stage.STORAGE, ACCOUNT, REGION, True,
                {"created": "2025-01-01T00:00:00+00:00", "tags": {}, "versioning": "Disabled",
                 "eventbridge_notifications": False, **attributes})


def _job(arn: str, name: str, tags: dict[str, str], arguments: dict[str, str]) -> Node:
    return Node(arn, "glue.job", name, Stage.PROCESSING, ACCOUNT, REGION, True,
                {"command": "glueetl", "script": "s3://crm-scripts/job.py", "glue_version": "4.0",
                 "role": f"arn:aws:iam::{ACCOUNT}:role/glue", "arguments": arguments, "connections": [],
                 "security_configuration": None, "security_settings": None, "tags": tags})


def estate(hostile: bool = False) -> Facts:
    """Facts shaped as the Glue and S3 collectors give them: a catalog table of e-mail addresses stored in a
    bucket that is protected in every way; a job copying it to a bucket that is not, and to a partner's bucket
    nobody read; a job that masks what it reads."""
    export_name = f"export-customers{HOSTILE}" if hostile else "export-customers"
    out_argument = f"s3://crm-exports/export/{HOSTILE}" if hostile else "s3://crm-exports/export/"
    table = Node(TABLE, "glue.table", "crm.customers", Stage.STORAGE, ACCOUNT, REGION, True, {
        "database": "crm", "location": "s3://crm-raw/customers/", "table_type": "EXTERNAL_TABLE", "format": "parquet",
        "columns": [{"name": "email", "type": "string", "comment": HOSTILE if hostile else "", "parameters": {}},
                    {"name": "signup_day", "type": "date", "comment": "", "parameters": {}}],
        "partition_keys": [], "parameters": {"classification": "parquet"}})
    raw = _bucket(RAW, encryption={"algorithm": "aws:kms", "kms_key": KEY, "bucket_key": True},
                  policy={"present": True, "tls_only": True, "requires_kms": True,
                          "statements": ["DenyInsecureTransport", "DenyUnencryptedUploads"]},
                  lifecycle_rules=[{"id": "expire-after-a-year", "enabled": True, "prefix": "", "tags": {},
                                    "size": {}, "expiration_days": 365, "expiration_date": None,
                                    "expires_delete_markers": False, "transitions": [],
                                    "noncurrent_expiration_days": None, "noncurrent_transitions": 0,
                                    "abort_incomplete_days": 7}],
                  public_access_block={"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                                       "RestrictPublicBuckets": True})
    out = _bucket(OUT, encryption={"algorithm": None, "kms_key": None, "bucket_key": False},
                  policy={"present": False, "tls_only": False, "requires_kms": False, "statements": []},
                  lifecycle_rules=[], public_access_block=None)
    export = _job(EXPORT, export_name, {}, {"--source_table": "crm.customers", "--output_path": out_argument,
                                            "--partner_path": "s3://partner-drop/in/",
                                            "--TempDir": "s3://crm-scratch/tmp/"})
    mask = _job(MASK, "mask-customers", {"lineage:pii": "masked"}, {"--output_path": "s3://crm-exports/masked/"})
    partner = Node(PARTNER, "s3.location", "partner-drop/in", Stage.STORAGE,
                   FORMULA_ACCOUNT if hostile else "444455556666", FORMULA_REGION if hostile else "", False, {})

    def by(job: str, path: str, excerpt: str) -> tuple[Evidence, ...]:
        return (Evidence("glue:GetJobs", job, f"DefaultArguments.{path}", excerpt),)

    edges = (
        Edge(TABLE, RAW_LOCATION, EdgeKind.STORED_AT,
             (Evidence("glue:GetTables", TABLE, "StorageDescriptor.Location", "s3://crm-raw/customers/"),)),
        Edge(TABLE, f"arn:aws:glue:{REGION}:{ACCOUNT}:database/crm", EdgeKind.PART_OF),
        Edge(TABLE, EXPORT, EdgeKind.READS, by(EXPORT, "--source_table", "crm.customers")),
        Edge(EXPORT, OUT_LOCATION, EdgeKind.WRITES, by(EXPORT, "--output_path", out_argument)),
        Edge(EXPORT, PARTNER, EdgeKind.WRITES, by(EXPORT, "--partner_path", "s3://partner-drop/in/")),
        Edge(EXPORT, SCRATCH, EdgeKind.WRITES, by(EXPORT, "--TempDir", "s3://crm-scratch/tmp/")),
        Edge(TABLE, MASK, EdgeKind.READS, by(MASK, "--source_table", "crm.customers")),
        Edge(MASK, MASKED_LOCATION, EdgeKind.WRITES, by(MASK, "--output_path", "s3://crm-exports/masked/")),
    )
    # Listed, but none of its configuration could be read: every answer about it is unknown.
    scratch = _bucket("arn:aws:s3:::crm-scratch", unread=["lifecycle", "encryption", "public_access_block", "policy"])
    return Facts((table, raw, out, export, mask, partner, scratch), edges)


def sample_scan(hostile: bool = False) -> Scan:
    analysis = analyse([estate(hostile)])
    scan = scan_of(analysis, "scan-1", STARTED, (REGION,), [], {"glue:GetJobs": 1}, True, (ACCOUNT,))
    return replace(scan, finished_at="2026-03-01T09:00:42+00:00")  # scan_of stamps the time it ran


def bundle(scan: Scan, folder: Path | None = None) -> dict[str, bytes]:
    files = render_bundle(evidence_document(scan, graph_of(scan), "1.2.3"))
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            (folder / name).write_bytes(data)
    return files


def rows(files: dict[str, bytes]) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[FLOWS].decode())))


def reach_of(document: dict[str, Any], node: str) -> dict[str, Any]:
    return next(place for place in document["sources"][0]["reaches"] if place["node"] == node)


def verify(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    """`lineage evidence --verify FOLDER` in this process: exit code, lines on stdout, stderr."""
    try:
        main(["evidence", "--verify", str(folder)])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


# --- content ----------------------------------------------------------------------------------------------


def test_the_estate_is_read_as_the_bundle_assumes() -> None:
    graph = build_graph([estate()])
    found = pii.sources(graph)
    assert [s.node for s in found] == [TABLE] and found[0].categories == ("email",)
    assert {r.node for r in found[0].reaches} >= {RAW_LOCATION, EXPORT, MASK, OUT_LOCATION, OUT, PARTNER}
    assert MASKED_LOCATION not in {r.node for r in found[0].reaches}  # the masking job stops it


def test_every_hop_of_every_place_reached_is_a_row_of_flows_csv() -> None:
    scan = sample_scan()
    files = bundle(scan)
    table = rows(files)
    assert tuple(table[0]) == FLOW_COLUMNS
    expected = {(s.node, r.node, str(i), h.source, h.relation, h.target)
                for s in pii.sources(graph_of(scan)) for r in s.reaches for i, h in enumerate(r.hops, start=1)}
    assert {(r["source"], r["reach"], r["hop_index"], r["from"], r["relation"], r["to"]) for r in table} == expected
    assert len(table) == len(expected) >= 9
    by_hop = {(r["reach"], r["hop_index"]): r for r in table}
    # The chain to the unprotected bucket, hop by hop, each with the configuration that proves it.
    first, second = by_hop[(OUT_LOCATION, "1")], by_hop[(OUT_LOCATION, "2")]
    assert (first["from"], first["relation"], first["to"]) == (TABLE, "reads", EXPORT)
    assert first["evidence"] == f"glue:GetJobs {EXPORT} DefaultArguments.--source_table"
    assert (second["from"], second["relation"], second["to"], second["to_kind"]) == (
        EXPORT, "writes", OUT_LOCATION, "s3.location")
    assert (second["rests_here"], second["encryption"], second["customer_key"], second["retention"]) == (
        "yes", "none configured", "no", "none: kept until deleted")
    assert second["verdict"] == "failing" and "s3.location_without_lifecycle" in second["findings"].split(";")
    assert {r["handling"] for r in table if r["to"] == MASK} == {"masked: tag lineage:pii=masked"}
    assert {r["handling"] for r in table if r["to"] != MASK} == {""}
    stored = by_hop[(RAW_LOCATION, "1")]
    assert (stored["relation"], stored["encryption"], stored["customer_key"], stored["tls_only"],
            stored["public_access"]) == ("stored at", f"SSE-KMS, customer managed key {KEY}", "yes",
                                         "yes: requests without TLS are denied", "blocked (all four settings on)")
    assert stored["retention"].startswith("365 days") and stored["verdict"] == "ok"


def test_failing_places_are_marked_in_the_data_and_on_the_page_in_words_not_colour_alone() -> None:
    files = bundle(sample_scan())
    document = json.loads(files[EVIDENCE])
    assert document["format"] == FORMAT and document["caller_identity"] == "not recorded"
    out = reach_of(document, OUT_LOCATION)
    assert out["failing"] and out["verdict"] == "failing"
    assert out["failed"] == ["encryption at rest", "TLS only", "retention", "public access"]
    assert out["hops"][-1]["evidence"][0]["excerpt"] == "s3://crm-exports/export/"
    raw = reach_of(document, RAW_LOCATION)
    assert not raw["failing"] and raw["verdict"] == "ok"
    assert [a["ok"] for a in raw["protection"]] == [True, True, True, True]
    assert raw["protection"][0]["evidence"][0]["operation"] == "s3:GetBucketEncryption"
    scratch = reach_of(document, SCRATCH)  # its configuration unread: each answer unknown, never guessed
    assert scratch["verdict"] == "unknown" and [a["ok"] for a in scratch["protection"]] == [None] * 4
    partner = reach_of(document, PARTNER)  # a bucket the scan did not read, receiving personal data
    assert partner["verdict"] == "failing" and [a["ok"] for a in partner["protection"]] == [None] * 4
    assert set(partner["failing_findings"]) == {"pii.personal_data_crosses_account_or_region",
                                                "pii.personal_data_leaves_estate"}
    mask = reach_of(document, MASK)
    assert mask["handling"] == {"action": "masked", "why": "tag lineage:pii=masked"}
    assert mask["hops"][-1]["handling"]["action"] == "masked"
    summary = document["summary"]
    failing = {p["node"] for p in document["sources"][0]["reaches"] if p["failing"]}
    assert summary["sources"] == 1 and summary["failing_places"] == len(failing) >= 3
    assert summary["places_reached"] == len(document["sources"][0]["reaches"])

    html = files[INDEX].decode()
    shown = re.findall(r'<div class="place (\w+)" id="source-1-\d+">\s*<h4>[^<]*<span[^>]*>[^<]*</span> ([^<]+)</h4>',
                       html)
    verdicts = {name: verdict for verdict, name in shown}
    assert len(shown) == len(verdicts) == len(document["sources"][0]["reaches"])
    assert verdicts == {p["name"]: p["verdict"] for p in document["sources"][0]["reaches"]}
    assert verdicts["crm-exports/export"] == "failing" and verdicts["crm-raw/customers"] == "ok"
    assert verdicts["crm-scratch/tmp"] == "unknown" and verdicts["export-customers"] == "failing"
    block = html[html.index('<div class="place failing"'):]
    assert "✗ FAILING" in block[:400]  # the word and a mark, not the colour alone
    assert "? UNKNOWN" in html and "✓ OK" in html and "personal data masked here" in html
    assert 'href="#source-1"' in html and '<section class="source" id="source-1">' in html  # contents


def test_the_same_scan_gives_the_same_bundle_byte_for_byte_in_any_process() -> None:
    scan = sample_scan()
    first, second = bundle(scan), bundle(scan)
    assert first == second
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in first.items()}
    script = ("import hashlib, json\n"
              "from tests.viz.test_evidence import bundle, sample_scan\n"
              "print(json.dumps({n: hashlib.sha256(d).hexdigest() for n, d in bundle(sample_scan()).items()}))\n")
    for seed in ("0", "4242"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == digests
    manifest = json.loads(first[MANIFEST])
    assert manifest["files"] == {name: {"sha256": digests[name], "bytes": len(first[name])}
                                 for name in (EVIDENCE, FLOWS, INDEX)}
    assert manifest["tool"] == {"name": "aws-lineage", "version": "1.2.3"}
    assert manifest["rules_files"] == ["default rules"] and manifest["caller_identity"] == "not recorded"
    text = b"".join(first.values()).decode()
    assert str(ROOT) not in text and "generated" not in text.lower()


def test_what_the_rules_file_ruled_out_stays_on_record(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[false_positives]]\ncolumn = "crm.customers.*"\nreason = "synthetic test data"\n',
                     encoding="utf-8")
    analysis = analyse([estate()], load_classification(rules))
    scan = scan_of(analysis, "scan-2", STARTED, (REGION,), [], {}, True, (ACCOUNT,))
    files = bundle(scan)
    document = json.loads(files[EVIDENCE])
    assert document["sources"] == [] and document["rules_files"] == ["default rules + rules.toml"]
    assert {(x["column"], x["ruled_out_by"]) for x in document["ruled_out"]} >= {
        ("email", "crm.customers.* (synthetic test data)")}
    assert "Ruled out as false positives" in files[INDEX].decode()


def test_a_page_doctored_to_pass_with_its_manifest_rewritten_to_match_is_still_caught() -> None:
    from importlib.metadata import version

    document = evidence_document(sample_scan(), graph_of(sample_scan()), version("aws-lineage"))
    files = render_bundle(document)
    assert verify_bundle(files[MANIFEST], files, []).problems == ()
    doctored = {**files, INDEX: files[INDEX].replace("✗ FAILING".encode(), "✓ OK".encode())}
    assert doctored[INDEX] != files[INDEX]
    manifest = render_manifest(json.loads(files[EVIDENCE]), {n: doctored[n] for n in (EVIDENCE, FLOWS, INDEX)})
    assert verify_bundle(manifest.encode(), doctored, []).problems == (
        f"changed: {INDEX} (it is not what {EVIDENCE} renders)",)


def test_the_manifest_names_who_the_scan_ran_as_when_sts_said() -> None:
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/Auditor/lineage"
    manifest = json.loads(bundle(dataclasses.replace(sample_scan(), caller=caller))[MANIFEST])
    assert manifest["caller_identity"] == caller


def test_a_configuration_that_cannot_be_judged_costs_its_own_answers_only() -> None:
    scan = sample_scan()
    scan = replace(scan, nodes=tuple(replace(n, attributes={**n.attributes, "encryption": "not a mapping"})
                                     if n.id == OUT else n for n in scan.nodes))
    files = bundle(scan)
    document = json.loads(files[EVIDENCE])
    for place in (reach_of(document, OUT), reach_of(document, OUT_LOCATION)):  # the bucket governs its paths
        assert [a["ok"] for a in place["protection"]] == [None] * 4
        assert place["protection"][0]["value"] == "unknown: could not be judged"
    assert reach_of(document, RAW_LOCATION)["verdict"] == "ok"  # everything else judged as usual
    assert sorted((p["operation"], p["resource"]) for p in document["problems"]) == [
        ("evidence.protection", OUT), ("evidence.protection", OUT_LOCATION)]
    assert document["summary"]["problems"] == 2 and "What this bundle could not judge" in files[INDEX].decode()


# --- verification -----------------------------------------------------------------------------------------


def _one_byte_changed(data: bytes, after: bytes) -> bytes:
    """`data` with the byte just after the first `after` replaced by another digit."""
    index = data.index(after) + len(after)
    return data[:index] + (b"7" if data[index:index + 1] != b"7" else b"8") + data[index + 1:]


@pytest.mark.parametrize(("name", "after"), [
    (INDEX, b"crm-exports/expor"), (EVIDENCE, b"none configure"), (FLOWS, b"expire-after-a-yea"),
    (MANIFEST, b'"status": "complet'),  # a field: the manifest is no longer the one the files give
    (MANIFEST, b'"sha256": "'),  # a hash: its file no longer matches it
    (MANIFEST, b'"bytes": '),  # a size
])
def test_verify_catches_one_byte_changed_in_any_file_manifest_included(
        name: str, after: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = bundle(sample_scan(), tmp_path / "bundle")
    assert verify(tmp_path / "bundle", capsys)[:2] == (0, ["4 files verified"])
    changed = _one_byte_changed(files[name], after)
    assert len(changed) == len(files[name]) and changed != files[name]
    (tmp_path / "bundle" / name).write_bytes(changed)
    code, lines, err = verify(tmp_path / "bundle", capsys)
    assert code == 1 and len(lines) == 1 and lines[0].startswith("changed: ")
    if b"status" in after:
        assert lines == [f"changed: {MANIFEST} (it is not the manifest that {EVIDENCE} and the files give)"]
    elif name != MANIFEST:
        assert lines == [f"changed: {name} (its sha256 or size is not the one in {MANIFEST})"]
    assert "does not verify" in err and len(err.strip().splitlines()) == 1


def test_verify_catches_a_manifest_respaced_or_reordered(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = bundle(sample_scan(), tmp_path / "bundle")
    respaced = files[MANIFEST].replace(b'\n  "format"', b'\n \t"format"', 1)
    (tmp_path / "bundle" / MANIFEST).write_bytes(respaced)
    assert verify(tmp_path / "bundle", capsys)[:2] == (1, [
        f"changed: {MANIFEST} (it is not the manifest that {EVIDENCE} and the files give)"])
    reordered = json.dumps(json.loads(files[MANIFEST]), indent=2) + "\n"  # the same data, keys as read
    (tmp_path / "bundle" / MANIFEST).write_text(reordered.replace('"evidence_format"', '"evidence_format" '))
    assert verify(tmp_path / "bundle", capsys)[0] == 1


def test_verify_names_a_deleted_file_and_an_added_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bundle"
    bundle(sample_scan(), folder)
    (folder / FLOWS).unlink()
    (folder / "notes.txt").write_text("added later\n")
    code, lines, _ = verify(folder, capsys)
    assert code == 1
    assert lines == [f"missing: {FLOWS} (absent, or not a regular file)",
                     f"extra: notes.txt (not listed in {MANIFEST})"]


@pytest.mark.parametrize("manifest", [b"", b"{", b"[]", b'{"format": "lineage-evidence-manifest/1"}',
                                      b'{"format": "lineage-evidence-manifest/1", "files": {"../../etc/passwd": '
                                      b'{"sha256": "' + b"0" * 64 + b'", "bytes": 1}}}', None])
def test_a_manifest_that_is_not_one_is_one_line_and_exit_2(
        manifest: bytes | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "bundle"
    bundle(sample_scan(), folder)
    if manifest is None:
        (folder / MANIFEST).unlink()
    else:
        (folder / MANIFEST).write_bytes(manifest)
    code, lines, err = verify(folder, capsys)
    assert code == 2 and lines == [] and len(err.strip().splitlines()) == 1 and "Traceback" not in err


# --- what the files show ------------------------------------------------------------------------------------


def test_hostile_text_from_aws_is_escaped_on_the_page_and_never_raw() -> None:
    files = bundle(sample_scan(hostile=True))
    html = files[INDEX].decode()
    assert "<script" not in html and 'onerror="' not in html and "<img" not in html
    assert "</td><script>" not in html
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in html  # shown as text
    assert "onerror=&#34;window.__pwned = 2&#34;" in html
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", html)  # every control character an escape
    assert "\\x1b[2J\\x07\\x9b" in html
    document = json.loads(files[EVIDENCE])
    assert any(HOSTILE in hop["to"] or HOSTILE in (hop["evidence"] or [{}])[0].get("excerpt", "")
               for place in document["sources"][0]["reaches"] for hop in place["hops"])  # the data, exact


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_the_page_is_self_contained_with_a_strict_policy_and_prints_cleanly() -> None:
    html = bundle(sample_scan(hostile=True))[INDEX].decode()
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(" not in html
    elements = _Elements()
    elements.feed(html)
    tags = {tag for tag, _ in elements.tags}
    assert not tags & {"script", "img", "link", "iframe", "object", "embed", "form", "base"}
    for _, attributes in elements.tags:
        assert not {"src", "style", "srcset", "action"} & set(attributes)
        assert not any(name.startswith("on") for name in attributes)
        assert (attributes.get("href") or "#").startswith("#")  # only links within the page
    policy = unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', html).group(1))
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert policy.startswith("default-src 'none'; ") and f"style-src 'sha256-{digest}'" in policy
    assert "unsafe" not in policy and "script-src" not in policy
    assert [tag for tag, _ in elements.tags].count("style") == 1  # the hash covers the page's only style
    assert "@media print" in style and "break-before: page" in style and "table-header-group" in style


def test_flows_csv_cells_that_would_start_a_formula_are_quoted() -> None:
    table = rows(bundle(sample_scan(hostile=True)))
    partner = [r for r in table if r["to"] == PARTNER]
    assert partner and all(r["to_account"] == "'" + FORMULA_ACCOUNT for r in partner)
    assert all(r["to_region"] == "'" + FORMULA_REGION for r in partner)
    for row in table:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    document = {"sources": [{"node": "=HYPERLINK(1)", "categories": ["+x", "-y"], "held": {
        "node": "=HYPERLINK(1)", "protection": [], "findings": [], "rests_here": False, "account": "", "region": "",
        "verdict": "ok"}, "reaches": [{
            "node": "@n", "protection": [], "findings": [{"rule": "=rule"}], "rests_here": True, "account": "+1",
            "region": "-r", "verdict": "ok", "hops": [{
                "index": 1, "from": "\tfrom", "relation": "\rreads", "to": "@n", "to_kind": "-k",
                "evidence": [{"operation": "=op", "resource": "r", "path": "p"}]}]}]}]}
    cells = next(csv.reader(io.StringIO(render_csv(document).split("\n", 1)[1])))
    assert cells[:11] == ["'=HYPERLINK(1)", "'+x;-y", "'@n", "1", "'\tfrom", "\\x0dreads", "'@n", "'-k", "'+1", "'-r",
                          "yes"]
    assert cells[FLOW_COLUMNS.index("findings")] == "'=rule"
    assert cells[FLOW_COLUMNS.index("evidence")] == "'=op r p"


@pytest.mark.browser
def test_the_page_renders_in_headless_chromium_and_prints_to_pdf(tmp_path: Path) -> None:
    folder = tmp_path / "bundle"
    bundle(sample_scan(hostile=True), folder)
    driver = headless_chromium(tmp_path, browser_log=True)
    try:
        driver.get((folder / INDEX).as_uri())
        assert driver.execute_script("return window.__pwned === undefined")
        assert driver.execute_script("return performance.getEntriesByType('resource').length") == 0
        assert driver.execute_script("return document.scripts.length") == 0
        # The style ran (its hash is in the policy): a failing mark is red, and says so in words.
        colour = driver.execute_script(
            "return getComputedStyle(document.querySelector('.place.failing .verdict-failing')).color")
        assert colour == "rgb(201, 42, 42)"
        text = driver.execute_script("return document.body.innerText")
        assert "✗ FAILING" in text and "window.__pwned = 1" in text
        assert not [entry for entry in driver.get_log("browser") if "Content Security Policy" in entry["message"]]
        pdf = driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})
        data = base64.b64decode(pdf["data"])
        assert data.startswith(b"%PDF-") and b"%%EOF" in data[-64:]
    finally:
        driver.quit()
