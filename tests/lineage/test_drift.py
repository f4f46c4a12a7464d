from __future__ import annotations

from dataclasses import replace

from lineage.drift import describe_change, diff_scans
from lineage.model import (
    Category,
    Edge,
    EdgeKind,
    Finding,
    Node,
    Scan,
    ScanStatus,
    Severity,
    Stage,
)


def scan(scan_id: str, nodes, edges=(), findings=()) -> Scan:
    return Scan(scan_id, "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:01+00:00", ScanStatus.COMPLETE, ("1",),
                ("r",), tuple(nodes), tuple(edges), tuple(findings), (), {})


BUCKET = Node("arn:aws:s3:::b", "s3.bucket", "b", Stage.STORAGE, "1", "r", True, {
    "encryption": {"algorithm": "aws:kms"}, "created": "t1",
    "lifecycle_rules": [{"id": "expire-raw"}, {"id": "expire-tmp"}],
    "policy": {"present": True, "tls_only": True}})
JOB = Node("arn:job", "glue.job", "job", Stage.PROCESSING, "1", "r", True, {})


def finding(rule: str, severity: Severity = Severity.MEDIUM) -> Finding:
    return Finding(f"id-{rule}", rule, Category.LIFECYCLE, severity, BUCKET.id, "m", "fix")


def test_diff_reports_what_was_added_removed_and_weakened() -> None:
    old = scan("a", [BUCKET, JOB], [Edge(JOB.id, "arn:aws:s3:::b", EdgeKind.WRITES)], [finding("old")])
    weaker = replace(BUCKET, attributes={
        "encryption": {"algorithm": "AES256"}, "created": "t2", "lifecycle_rules": [{"id": "expire-tmp"}],
        "policy": {"present": True, "tls_only": False}})
    table = Node("arn:table", "glue.table", "t", Stage.STORAGE, "1", "r", True, {})
    new = scan("b", [weaker, table], [Edge(table.id, "arn:aws:s3:::b", EdgeKind.STORED_AT),
                                      Edge("arn:aws:s3:::b", table.id, EdgeKind.READS)],
               [finding("new", Severity.HIGH)])
    drift = diff_scans(old, new)
    assert drift.nodes_added == ("arn:table",) and drift.nodes_removed == ("arn:job",)
    assert drift.flows_added == (("arn:aws:s3:::b", "arn:table", "reads"),)  # stored_at is not a flow
    assert drift.flows_removed == (("arn:job", "arn:aws:s3:::b", "writes"),)
    assert [f.rule for f in drift.findings_added] == ["new"] and [f.rule for f in drift.findings_resolved] == ["old"]
    changes = {c.attribute: c for c in drift.attribute_changes}
    assert "created" not in changes  # when it was read is not a change of the resource
    assert changes["encryption"].summary == "encryption downgraded: aws:kms → AES256" and changes["encryption"].worse
    assert changes["lifecycle_rules"].summary == "lifecycle rules removed expire-raw"
    assert changes["lifecycle_rules"].worse
    assert changes["policy"].summary == "TLS-only policy removed"
    assert [f.rule for f in drift.new_findings_at_least(Severity.HIGH)] == ["new"]
    assert drift.new_findings_at_least(Severity.CRITICAL) == []
    assert "+1/-1 nodes" in drift.one_line()


def test_same_scan_twice_has_no_drift_and_severity_changes_are_reported() -> None:
    same = scan("a", [BUCKET], findings=[finding("x")])
    assert diff_scans(same, replace(same, id="b")).empty
    raised = diff_scans(same, scan("b", [BUCKET], findings=[finding("x", Severity.HIGH)]))
    assert [(b.severity, a.severity) for b, a in raised.findings_changed] == [(Severity.MEDIUM, Severity.HIGH)]
    assert raised.findings_added == ()


def test_upgrades_are_not_worse() -> None:
    change = describe_change("n", "encryption", {"algorithm": "AES256"}, {"algorithm": "aws:kms"})
    assert change.summary == "encryption upgraded: AES256 → aws:kms" and not change.worse
    assert describe_change("n", "kms_key", "k", None).worse
    assert describe_change("n", "logging", {"level": "ALL"}, {"level": "OFF"}).worse
