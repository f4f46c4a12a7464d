"""A store this process may only read, or one that stops answering: reading still works, and writing
fails in one line that says so — never as a lock someone else holds, never as a lost traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from store.repository import StoreError, acquire_lock, begin_scan, list_scans, open_store
from tests.e2e.conftest import lineage


def read_only(path: Path) -> str:
    return f"sqlite:///file:{path}?mode=ro&uri=true"


@pytest.fixture
def store_with_an_abandoned_scan(tmp_path: Path) -> Path:
    path = tmp_path / "lineage.db"
    engine = open_store(f"sqlite:///{path}")
    begin_scan(engine, "abandoned", "2026-01-01T00:00:00+00:00", "target", owner="another-host:1")
    engine.dispose()
    return path


def test_a_read_only_store_with_an_abandoned_scan_can_still_be_read(store_with_an_abandoned_scan: Path) -> None:
    engine = open_store(read_only(store_with_an_abandoned_scan))
    assert [(s.id, s.status) for s in list_scans(engine)] == [("abandoned", "running")]


def test_a_lock_on_a_store_that_cannot_be_written_is_a_store_error_not_another_holder(
        store_with_an_abandoned_scan: Path) -> None:
    with pytest.raises(StoreError, match="cannot write to the database: attempt to write a readonly database"):
        acquire_lock(open_store(read_only(store_with_an_abandoned_scan)), "target")


def test_scanning_into_a_store_that_cannot_be_written_is_one_line_and_exit_1(
        store_with_an_abandoned_scan: Path) -> None:
    result = lineage("scan", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9",
                     "--db", read_only(store_with_an_abandoned_scan))
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "lineage: cannot record a new scan: attempt to write a readonly database")
    assert "Traceback" not in result.stderr
    listed = lineage("scans", "--db", read_only(store_with_an_abandoned_scan), "--json")
    assert listed.returncode == 0 and '"abandoned"' in listed.stdout


def test_a_scheduled_run_on_a_store_that_cannot_be_written_logs_why_in_one_line(
        store_with_an_abandoned_scan: Path) -> None:
    from lineage.scheduler import run_scheduled_scan

    line = run_scheduled_scan({"db": read_only(store_with_an_abandoned_scan), "regions": ["us-east-1"],
                               "endpoint_url": "http://127.0.0.1:9"})
    assert line == "scan not run: StoreError: cannot write to the database: attempt to write a readonly database"
