"""Comparing what the code says now with a reviewed record of it (`tests/lineage/golden/`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def compare_with_record(found: dict[str, Any], record: Path, variable: str, keep: Any = None) -> None:
    """Every entry of `found` must equal the recorded one. With `variable` set in the environment the
    record is rewritten first (review its diff before committing). `keep` chooses the recorded keys that
    apply in this run (entries that need the corpus, say)."""
    if os.environ.get(variable):
        record.write_text(json.dumps(found, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    recorded = json.loads(record.read_text(encoding="utf-8"))
    if keep is not None:
        recorded = {key: value for key, value in recorded.items() if keep(key)}
    assert sorted(found) == sorted(recorded), f"entries added or removed: set {variable}=1 to record again, and review"
    for key, value in found.items():
        assert value == recorded[key], f"{key}: reads differently than recorded"
