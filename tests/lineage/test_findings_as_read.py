"""What a person reads in a finding — message, evidence, remediation, severity — for every case of the
rule table, compared whole with a reviewed record (`golden/findings.json`).

The rule table proves which nodes each rule reports; this proves what it says about them, so a changed
word, a lost piece of evidence or a wrong severity is seen. After a deliberate change of wording, run
with `LINEAGE_RECORD_FINDINGS=1` to rewrite the record, and review its diff before committing it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lineage.graph import build_graph
from lineage.rules import evaluate
from tests.lineage.test_rules_table import CASES
from tests.recorded import compare_with_record

RECORD = Path(__file__).parent / "golden" / "findings.json"


def findings_by_case() -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for param in CASES:
        rules, batches, _ = param.values
        evaluation = evaluate(build_graph(batches))
        found[str(param.id)] = [f.to_dict() for f in evaluation.findings if f.rule in rules]
    return found


def test_every_finding_reads_as_recorded() -> None:
    compare_with_record(findings_by_case(), RECORD, "LINEAGE_RECORD_FINDINGS")
