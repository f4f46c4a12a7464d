"""The store: a scan reads back whole, on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lineage.model import (
    Category,
    CoverageGap,
    Edge,
    EdgeKind,
    Evidence,
    Finding,
    Node,
    Scan,
    ScanStatus,
    Severity,
    Stage,
)
from lineage.scan import new_scan_id
from store.repository import StoreError, delete_scans, latest_scan_ids, list_scans, load_scan, open_store, save_scan


def sample_scan(scan_id: str = "20260101T000000Z-aaaaaa", started: str = "2026-01-01T00:00:00+00:00") -> Scan:
    evidence = Evidence("glue:GetJobs", "arn:job", "DefaultArguments.--output_path", "s3://b/out/", False)
    return Scan(
        id=scan_id, started_at=started, finished_at=started, status=ScanStatus.PARTIAL,
        accounts=("111122223333",), regions=("eu-west-1", "us-east-1"),
        nodes=(Node("arn:aws:s3:::b/out", "s3.location", "b/out", Stage.STORAGE, "1", "eu-west-1", True,
                    {"personal_data": {"categories": ["email"], "origins": ["t"]}, "note": "<b>ünïcode</b>"}),
               Node("arn:job", "glue.job", "job", Stage.PROCESSING, "1", "eu-west-1", False, {})),
        edges=(Edge("arn:job", "arn:aws:s3:::b/out", EdgeKind.WRITES, (evidence,)),),
        findings=(Finding("f1", "s3.location_without_lifecycle", Category.LIFECYCLE, Severity.HIGH,
                          "arn:aws:s3:::b/out", "no lifecycle", "add one", (evidence,)),),
        coverage_gaps=(CoverageGap("s3", "GetBucketPolicy", "b", "AccessDenied: no", "eu-west-1"),
                       CoverageGap("glue", "GetJobs", "eu-west-1", "Throttling", "eu-west-1")),
        api_calls={"s3:ListBuckets": 1, "glue:GetJobs": 3},
    )


def test_a_scan_reads_back_to_the_same_scan(database_url) -> None:
    engine = open_store(database_url)
    scan = sample_scan()
    save_scan(engine, scan)
    assert load_scan(engine, scan.id) == scan
    assert load_scan(engine) == scan  # the latest


def test_latest_and_listing_and_delete(database_url) -> None:
    engine = open_store(database_url)
    older, newer = sample_scan("a-old", "2026-01-01T00:00:00+00:00"), sample_scan("b-new", "2026-02-01T00:00:00+00:00")
    save_scan(engine, newer)
    save_scan(engine, older)
    assert load_scan(engine).id == "b-new"
    [first, second] = list_scans(engine)
    assert (first.id, first.nodes, first.edges, first.findings, first.gaps) == ("b-new", 2, 1, 1, 2)
    assert second.id == "a-old"
    delete_scans(engine, ["b-new"])
    assert load_scan(engine).id == "a-old"


def test_a_scan_is_written_whole_or_not_at_all(database_url) -> None:
    engine = open_store(database_url)
    scan = sample_scan()
    broken = Scan(**{**{f: getattr(scan, f) for f in scan.__dataclass_fields__},
                     "id": "broken", "edges": scan.edges + (None,)})  # fails half-way through the inserts
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
        save_scan(engine, broken)
    with pytest.raises(StoreError):
        load_scan(engine, "broken")
    assert list_scans(engine) == []


def test_unknown_scan_and_empty_store_and_bad_url_are_store_errors(tmp_path) -> None:
    engine = open_store(str(tmp_path / "plain-path.db"))  # a bare path is a SQLite file
    with pytest.raises(StoreError, match="no completed scan in this database yet"):
        load_scan(engine)
    with pytest.raises(StoreError, match="no scan with id 'x'"):
        load_scan(engine, "x")
    with pytest.raises(StoreError, match="cannot use database URL"):
        open_store("nosuchdialect://x")
    with pytest.raises(StoreError, match="cannot open database"):
        open_store(f"sqlite:///{tmp_path}/missing-dir/x.db")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 999_999), min_size=2, max_size=6, unique=True))
def test_ids_of_scans_started_in_one_second_sort_as_they_started(microseconds: list[int]) -> None:
    second = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
    ids = [new_scan_id(second.replace(microsecond=m)) for m in sorted(microseconds)]
    assert sorted(ids) == ids and len(set(ids)) == len(ids)
    assert all(i.startswith("20260301T090000Z-") for i in ids)


def test_the_latest_of_scans_started_in_one_second_is_the_last_started(database_url) -> None:
    engine = open_store(database_url)
    started = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
    ids = [new_scan_id(started.replace(microsecond=m)) for m in (5, 40_000, 999_999)]
    for scan_id in reversed(ids):  # written in another order than they started in
        save_scan(engine, sample_scan(scan_id, started.isoformat()))
    assert latest_scan_ids(engine, 3) == list(reversed(ids))
    assert load_scan(engine).id == ids[-1]
