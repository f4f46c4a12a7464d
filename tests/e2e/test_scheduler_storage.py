"""Where the scheduler keeps its schedule: plain JSON without secrets, rebuilt into an in-memory job at
every start. A planted pickle never runs; missed runs are counted from the last scan of the target."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from sqlalchemy import Engine, inspect, select, text

from lineage.scan import ScanOptions, target_key
from lineage.scheduler import (
    Schedule,
    first_run,
    make_trigger,
    public_endpoint,
    read_schedule,
    settle_schedule,
)
from store import schema
from store.repository import begin_scan, fail_scan, list_scans, open_store
from store.schedules import load_schedule
from tests.e2e.conftest import wait_for
from tests.store.test_schedules import plant_apscheduler_table, planted_pickle

REGION = "us-east-1"
PASSWORD = "db-Secret-7f3e"
ENDPOINT_SECRET = "endpoint-Secret-91ac"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def schedule(every: str | None = "6h", cron: str | None = None, **options: object) -> Schedule:
    values = {"profile": None, "regions": (REGION,), "endpoint_url": None, "workers": 8, "html_dir": None, **options}
    return Schedule(every, cron, **values)


# The pure parts: when the first run is, what a stored row may be.

def test_a_trigger_that_fired_since_the_last_scan_runs_once_now() -> None:
    hourly = make_trigger("1h", None)
    assert first_run(hourly, NOW - timedelta(hours=12), NOW) == (NOW, True)
    assert first_run(hourly, NOW - timedelta(hours=1), NOW) == (NOW, True)
    assert first_run(hourly, NOW - timedelta(minutes=20), NOW) == (NOW + timedelta(minutes=40), False)


def test_a_cron_trigger_counts_its_fire_times_since_the_last_scan() -> None:
    at_three = make_trigger(None, "0 3 * * *")
    assert first_run(at_three, NOW - timedelta(days=1), NOW) == (NOW, True)
    assert first_run(at_three, datetime(2026, 3, 1, 2, 59, tzinfo=UTC), NOW) == (NOW, True)
    tomorrow = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    assert first_run(at_three, datetime(2026, 3, 1, 3, 0, tzinfo=UTC), NOW) == (tomorrow, False)
    assert first_run(at_three, NOW - timedelta(hours=1), NOW) == (tomorrow, False)


def test_a_last_scan_dated_in_the_future_does_not_postpone_the_schedule() -> None:
    assert first_run(make_trigger("1h", None), NOW + timedelta(days=3), NOW) == (NOW + timedelta(hours=1), False)


def test_the_stored_endpoint_keeps_only_where_the_calls_go() -> None:
    assert public_endpoint(f"https://key:{ENDPOINT_SECRET}@example.com:4566/path?token=t#f") == \
        "https://example.com:4566/path"
    assert public_endpoint("http://127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert public_endpoint(None) is None


def test_a_stored_schedule_reads_back_and_anything_else_is_unreadable(tmp_path) -> None:
    wanted = schedule(cron="0 3 * * *", every=None, html_dir="/srv/pages", workers=4)
    assert read_schedule(json.dumps(wanted.to_json())) == wanted
    marker = tmp_path / "marker"
    plain = wanted.to_json()
    unreadable = [
        planted_pickle(marker), planted_pickle(marker, protocol=0).decode(), "", "null", "[]", "{}", "[" * 100_000,
        json.dumps({**plain, "format": "other/1"}),
        json.dumps({**plain, "trigger": {"every": "6h", "cron": "0 3 * * *"}}),
        json.dumps({**plain, "trigger": {"every": "soon"}}),
        json.dumps({**plain, "trigger": "6h"}),
        json.dumps({**plain, "scan": {**plain["scan"], "regions": "us-east-1"}}),
        json.dumps({**plain, "scan": {**plain["scan"], "workers": "8"}}),
        json.dumps({**plain, "scan": {**plain["scan"], "profile": ["a"]}}),
    ]
    assert [read_schedule(row) for row in unreadable] == [None] * len(unreadable)
    assert not marker.exists()


def test_the_schedule_is_kept_only_when_the_trigger_and_options_are_the_same(tmp_path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    first = NOW - timedelta(days=2)
    assert settle_schedule(engine, "target", schedule(every="6h"), first) == (False, first)
    assert settle_schedule(engine, "target", schedule(every="6 h"), NOW) == (True, first)
    assert settle_schedule(engine, "target", schedule(every="360m"), NOW) == (True, first)
    for changed in (schedule(every="7h"), schedule(every=None, cron="0 */6 * * *"), schedule(workers=2),
                    schedule(html_dir="/srv/pages"), schedule(endpoint_url="http://127.0.0.1:5000")):
        assert settle_schedule(engine, "target", changed, NOW) == (False, NOW)
        assert settle_schedule(engine, "target", changed, NOW + timedelta(hours=1)) == (True, NOW)
        stored = load_schedule(engine, "target")
        assert stored is not None and read_schedule(stored.definition) == changed


# The command as the container runs it.

def started(log: str) -> bool:
    """The schedule was set or kept: whatever happens at start, reading the store included, has happened
    (not "the stored schedule … is unreadable", which comes before)."""
    return "schedule set:" in log or "schedule kept:" in log


def schedule_until(*args: str, log: Path, seen: Callable[[str], bool] = started) -> str:
    """Start `lineage schedule ARGS`, stop it once its log shows what was awaited; the log."""
    with log.open("w") as stream:
        process = subprocess.Popen([sys.executable, "-m", "lineage.cli", "schedule", *args],
                                   stdout=subprocess.DEVNULL, stderr=stream)
    try:
        wait_for(lambda: seen(log.read_text()) or process.poll() is not None)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0, log.read_text()
    return log.read_text()


def target_of(endpoint: str) -> str:
    return target_key(ScanOptions(None, (REGION,), endpoint), boto3.Session())


def everything_in(engine: Engine, skip: set[str]) -> str:
    """Every row of every table, as text: what someone reading the database would see."""
    with engine.connect() as connection:
        return "\n".join(str(row) for name in inspect(connection).get_table_names() if name not in skip
                         for row in connection.execute(text(f'SELECT * FROM "{name}"')))


@pytest.fixture
def url_with_password(database_url: str) -> str:
    """The test database, named with a password on PostgreSQL (the local server trusts any)."""
    return database_url.replace("postgresql+psycopg://postgres@", f"postgresql+psycopg://postgres:{PASSWORD}@")


def test_planted_pickles_never_run_and_the_schedule_row_holds_no_url_or_secret(url_with_password, tmp_path) -> None:
    endpoint = f"http://key:{ENDPOINT_SECRET}@127.0.0.1:9/?X-Amz-Security-Token=token-{ENDPOINT_SECRET}"
    target = target_of(endpoint)
    marker = tmp_path / "marker"
    engine = open_store(url_with_password)
    # APScheduler's old table, as a scheduler before revision 0004 left it, and a pickle in the new table:
    # as bytes where the database takes them in a text column, as text where it does not.
    plant_apscheduler_table(engine, planted_pickle(marker))
    planted = planted_pickle(marker) if engine.dialect.name == "sqlite" else planted_pickle(marker, 0).decode()
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO scan_schedules (target, definition, set_at) VALUES (:t, :d, :s)"),
                           {"t": target, "d": planted, "s": "2026-01-01T00:00:00+00:00"})

    log = schedule_until("--every", "1h", "--region", REGION, "--endpoint-url", endpoint, "--db", url_with_password,
                         "--html-dir", str(tmp_path / "pages"), log=tmp_path / "log")

    assert not marker.exists()
    assert "schedule set: interval[1:00:00]" in log and "Traceback" not in log
    [unreadable] = [line for line in log.splitlines() if "unreadable" in line]
    assert "stored schedule of this target is unreadable" in unreadable and "replacing it" in unreadable
    stored = load_schedule(engine, target)
    assert stored is not None
    assert read_schedule(stored.definition) == schedule(every="1h", endpoint_url="http://127.0.0.1:9/",
                                                        html_dir=str(tmp_path / "pages"))
    kept = everything_in(engine, skip={"lineage_schedule"})
    for secret in (PASSWORD, ENDPOINT_SECRET, "postgresql", "sqlite", str(tmp_path / "lineage.db")):
        assert secret not in kept


def test_after_the_upgrade_a_scheduler_never_reads_apschedulers_table(tmp_path) -> None:
    marker = tmp_path / "marker"
    db = f"sqlite:///{tmp_path / 's.db'}"
    plant_apscheduler_table(open_store(db), planted_pickle(marker))
    log = schedule_until("--every", "1h", "--region", REGION, "--db", db, log=tmp_path / "log")
    assert "schedule set" in log and not marker.exists()


def test_runs_missed_while_down_are_counted_from_the_last_scan_and_run_once_across_restarts(
        moto_server, tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    args = ("--every", "1h", "--region", REGION, "--endpoint-url", moto_server, "--db", db)
    engine = open_store(db)
    first = schedule_until(*args, log=tmp_path / "first.log")
    assert "schedule set: interval[1:00:00]" in first and "missed" not in first
    assert list_scans(engine) == []

    # While it was down, another scheduler scanned the target two hours ago, and nothing since.
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0).isoformat()
    begin_scan(engine, "elsewhere", two_hours_ago, target_of(moto_server), owner="another-host:1")
    fail_scan(engine, "elsewhere", "stopped there")

    second = schedule_until(*args, log=tmp_path / "second.log", seen=lambda t: "INFO next run" in t)
    assert "schedule kept: interval[1:00:00], next run " in second
    assert f"(missed since the last scan at {two_hours_ago}: running once now)" in second
    assert len(re.findall(r"scan \S+ complete: ", second)) == 1
    [caught_up] = [s for s in list_scans(engine) if s.id != "elsewhere"]
    assert caught_up.status == "complete"

    third = schedule_until(*args, log=tmp_path / "third.log")
    planned = datetime.fromisoformat(caught_up.started_at) + timedelta(hours=1)
    assert f"schedule kept: interval[1:00:00], next run {planned.isoformat()}\n" in third
    assert "missed" not in third and len(list_scans(engine)) == 2


def test_a_changed_trigger_replaces_the_stored_schedule(tmp_path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    args = ("--region", REGION, "--db", db)
    assert "schedule set: interval[1:00:00]" in schedule_until("--every", "1h", *args, log=tmp_path / "1")
    assert "schedule kept: interval[1:00:00]" in schedule_until("--every", "60m", *args, log=tmp_path / "2")
    changed = schedule_until("--cron", "0 3 * * *", *args, log=tmp_path / "3")
    assert "schedule set: cron[" in changed
    engine = open_store(db)
    with engine.connect() as connection:
        rows = connection.execute(select(schema.scan_schedules)).all()
    assert len(rows) == 1 and json.loads(rows[0].definition)["trigger"] == {"cron": "0 3 * * *"}
