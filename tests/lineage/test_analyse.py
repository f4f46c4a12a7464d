"""The pipeline after collection as a whole (`lineage.scan.analyse`): a stage that fails entirely costs
what it would have added, never what was read."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from lineage import scan as scan_module
from lineage.model import CoverageGap, Edge, EdgeKind, Evidence, Facts, Node, Stage
from lineage.scan import analyse, now_utc, scan_of
from store.repository import load_scan, open_store, save_scan

JOB = "arn:aws:glue:eu-west-1:1:job/j"
EV = (Evidence("test:Fixture", "fixture", "Path", "excerpt"),)


def read_facts() -> list[Facts]:
    odd = Node(JOB, "glue.job", "j\x00", Stage.PROCESSING, "1", "eu-west-1", True, {"created": datetime(2024, 1, 1)})
    return [Facts((odd,), (Edge(JOB, "arn:aws:s3:::b/out", EdgeKind.WRITES, EV),),
                  (CoverageGap("glue", "GetJobs", "j", "Throttling: rate exceeded", "eu-west-1"),))]


def broken(*_: Any, **__: Any) -> Any:
    raise RuntimeError("a bug in this stage")


def test_when_resolving_fails_the_facts_are_kept_plain_and_the_scan_is_stored(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(scan_module, "resolve", broken)
    analysis = analyse(read_facts())
    assert set(analysis.graph.nodes) == {JOB, "arn:aws:s3:::b/out"}  # the edge's end is a node too
    assert analysis.graph.nodes[JOB].name == "j\ufffd"  # made plain: a store can keep it
    assert [(g.service, g.operation) for g in analysis.gaps] == [
        ("glue", "GetJobs"), ("lineage", "intake"), ("lineage", "intake"), ("lineage", "graph")]
    scan = scan_of(analysis, "s1", now_utc(), ("eu-west-1",), [], {"glue:GetJobs": 1}, True, ("1",))
    engine = open_store(f"sqlite:///{tmp_path / 'lineage.db'}")
    save_scan(engine, scan)
    assert load_scan(engine, "s1") == scan and scan.status.value == "partial"


def test_when_the_rules_fail_as_a_whole_the_graph_stands_without_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scan_module, "evaluate", broken)
    analysis = analyse(read_facts())
    assert JOB in analysis.graph.nodes and analysis.findings == []
    assert ("lineage", "rules", "RuntimeError: a bug in this stage") in {
        (g.service, g.operation, g.error) for g in analysis.gaps}


@pytest.mark.parametrize("batch", [[], None, "facts", Facts(nodes=None)])  # type: ignore[arg-type]
def test_a_collector_that_hands_over_something_else_than_facts_costs_only_that(batch: Any) -> None:
    analysis = analyse([batch, *read_facts()])
    assert JOB in analysis.graph.nodes
    assert [g.operation for g in analysis.gaps if g.service == "lineage"][0] == "intake"


def test_something_handed_over_as_a_gap_that_is_none_is_kept_as_text() -> None:
    [gap] = analyse([Facts(gaps=("x",))]).gaps  # type: ignore[arg-type]
    assert (gap.service, gap.operation, gap.error) == ("lineage", "intake", "not a gap: 'x'")
