"""A tag policy on a schedule: judged on every run, read again for each so that an edit applies to the next scan,
kept in the stored schedule, and a file broken between runs is one logged line and no scan."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from lineage.demo import REGION, build_estate
from lineage.model import Category
from lineage.scheduler import ScheduledScan, read_schedule, run_scheduled_scan, schedule_of
from store.repository import list_scans, load_scan, open_store


@pytest.fixture
def estate(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")  # what the scheduled run's default session reads
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    session = boto3.Session(region_name=REGION)
    build_estate(lambda service: session.client(service, endpoint_url=moto_server))
    return moto_server


def _tag_messages(db: str) -> set[str]:
    scan = load_scan(open_store(db))
    return {f.message for f in scan.findings if f.category is Category.TAGGING}


def test_each_run_judges_the_policy_as_its_file_then_says(estate: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'scheduled.db'}"
    policy = tmp_path / "tags.yaml"
    config = {"db": db, "regions": [REGION], "endpoint_url": estate, "tag_policy": str(policy)}

    policy.write_text("required: [data-steward]\n")
    assert " complete: " in run_scheduled_scan(config)
    first = _tag_messages(db)
    assert first and all(m.endswith("requires: data-steward.") for m in first)

    policy.write_text("required: [retention-class]\n")  # edited while the schedule runs
    assert " complete: " in run_scheduled_scan(config)
    assert {m.replace("retention-class", "data-steward") for m in _tag_messages(db)} == first

    policy.write_text("required: owner\nallowed: [\n")
    line = run_scheduled_scan(config)
    assert line.startswith("scan not run: ") and str(policy) in line and "\n" not in line
    assert len(list_scans(open_store(db))) == 2  # the broken file stopped that run, and only that run


def test_a_run_without_a_policy_judges_no_tags(estate: str, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'untagged.db'}"
    assert " complete: " in run_scheduled_scan({"db": db, "regions": [REGION], "endpoint_url": estate})
    assert _tag_messages(db) == set()


def test_the_stored_schedule_keeps_the_policy_and_a_new_policy_is_a_new_schedule(tmp_path: Path) -> None:
    with_policy = ScheduledScan(db="sqlite://", regions=(REGION,), tag_policy=str(tmp_path / "tags.yaml"))
    stored = schedule_of(with_policy, "6h", None)
    read = read_schedule(json.dumps(stored.to_json()))
    assert read is not None and read.tag_policy == str(tmp_path / "tags.yaml") and read.same_as(stored)
    without = schedule_of(ScheduledScan(db="sqlite://", regions=(REGION,)), "6h", None)
    assert "tag_policy" not in without.to_json()["scan"]  # schedules set before tag policies read the same
    assert not without.same_as(stored)
    other = schedule_of(ScheduledScan(db="sqlite://", regions=(REGION,), tag_policy="/elsewhere.yaml"), "6h", None)
    assert not other.same_as(stored)
