"""Schema revisions, concurrent writers, scans killed half-way, locks and pruning."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from lineage.model import ScanStatus
from store import migrate
from store.repository import (
    StoreError,
    acquire_lock,
    begin_scan,
    latest_scan_id,
    list_scans,
    load_scan,
    open_store,
    prune,
    release_lock,
    save_scan,
)
from tests.store.test_repository import sample_scan


def _at_first_revision(url: str) -> None:
    """A database as the first released version of the store left it."""
    engine = create_engine(url)
    config = migrate._config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, migrate.FIRST_REVISION)
        connection.execute(text(
            "INSERT INTO scans (id, started_at, finished_at, status, accounts, regions, api_calls) VALUES "
            "('old-scan', '2025-01-01T00:00:00+00:00', '2025-01-01T00:00:01+00:00', 'complete', '[]', '[]', '{}')"))
    engine.dispose()


def test_a_new_database_is_created_at_the_newest_revision(database_url) -> None:
    engine = open_store(database_url)
    assert migrate.current_revision(engine) == migrate.head_revision() == max(migrate.known_revisions())


def test_an_older_database_names_the_upgrade_command_and_the_upgrade_keeps_its_scans(database_url) -> None:
    _at_first_revision(database_url)
    head = migrate.head_revision()
    with pytest.raises(StoreError, match=rf"revision 0001; this version needs {head}: run `lineage db upgrade --db "):
        open_store(database_url)
    engine = open_store(database_url, upgrade=True)
    assert migrate.current_revision(engine) == head
    [summary] = list_scans(engine)
    assert (summary.id, summary.status, summary.target, summary.error) == ("old-scan", "complete", "", "")


def test_a_database_newer_than_this_version_says_so(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    open_store(url)
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer than this version of lineage knows"):
        open_store(url)


def test_two_scans_written_at_once_do_not_corrupt_each_other(database_url) -> None:
    engines = [open_store(database_url), open_store(database_url)]
    base = sample_scan()
    big_nodes = tuple(sorted((replace(base.nodes[0], id=f"arn:aws:s3:::b/{i}") for i in range(2000)),
                             key=lambda n: n.id))
    scans = [replace(base, id=f"scan-{n}", nodes=big_nodes, started_at=f"2026-01-0{n + 1}T00:00:00+00:00")
             for n in range(2)]
    errors: list[BaseException] = []

    def write(engine, scan) -> None:  # noqa: ANN001
        try:
            save_scan(engine, scan)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=write, args=pair) for pair in zip(engines, scans, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for scan in scans:
        assert load_scan(engines[0], scan.id) == scan


def _silent_server() -> tuple[socket.socket, str]:
    """An endpoint that accepts connections and never answers: a scan against it hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    return listener, f"http://127.0.0.1:{listener.getsockname()[1]}"


def test_a_scan_killed_half_way_leaves_only_a_failed_record_and_earlier_scans_intact(database_url) -> None:
    engine = open_store(database_url)
    earlier = sample_scan()
    save_scan(engine, earlier)
    listener, endpoint = _silent_server()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "lineage.cli", "scan", "--endpoint-url", endpoint, "--db", database_url],
            env={**os.environ, "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(s.status == "running" for s in list_scans(engine)):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the scan never recorded itself as running")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        listener.close()
    reopened = open_store(database_url)  # finds the dead process's record
    summaries = {s.id: s for s in list_scans(reopened)}
    [killed] = [s for s in summaries.values() if s.id != earlier.id]
    assert killed.status == "failed" and "abandoned" in killed.error
    assert (killed.nodes, killed.edges, killed.findings) == (0, 0, 0)
    assert load_scan(reopened, earlier.id) == earlier
    assert latest_scan_id(reopened) == earlier.id  # the failed one holds no graph


def test_a_lock_is_held_once_and_a_dead_holder_loses_it(database_url) -> None:
    engine = open_store(database_url)
    assert acquire_lock(engine, "target", "host-a:1") is None
    assert acquire_lock(engine, "target", "host-b:2") == "host-a:1"
    release_lock(engine, "target", "host-a:1")
    assert acquire_lock(engine, "target", "host-b:2") is None
    release_lock(engine, "target", "host-b:2")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert acquire_lock(engine, "target", f"{socket.gethostname()}:{dead.pid}") is None
    assert acquire_lock(engine, "target") is None  # the dead process's lock is taken over


def test_prune_keeps_the_newest_and_never_a_running_scan(database_url) -> None:
    engine = open_store(database_url)
    now = datetime.now(UTC).replace(microsecond=0)
    for days in (40, 30, 20, 10):
        started = (now - timedelta(days=days)).isoformat()
        save_scan(engine, replace(sample_scan(), id=f"d{days}", started_at=started))
    begin_scan(engine, "running-now", now.isoformat(), owner=f"{socket.gethostname()}:{os.getpid()}")
    assert sorted(prune(engine, older_than=timedelta(days=25))) == ["d30", "d40"]
    assert prune(engine, keep=1) == ["d20"]
    assert [s.id for s in list_scans(engine)] == ["running-now", "d10"]
    assert prune(engine, keep=1) == []  # the newest scan with a graph stays
    assert {s.status for s in list_scans(engine)} == {ScanStatus.RUNNING.value, "partial"}
