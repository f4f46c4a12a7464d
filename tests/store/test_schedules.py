"""The schedule as the store keeps it: JSON text in its own table, returned as it is; and the migration
that drops APScheduler's table of pickled jobs without ever loading a row of it."""

from __future__ import annotations

import os
import pickle
import shlex
from pathlib import Path

from alembic import command
from sqlalchemy import Column, Engine, Float, LargeBinary, MetaData, Table, Unicode, create_engine, inspect, text

from store import migrate
from store.repository import begin_scan, fail_scan, open_store
from store.schedules import last_scan_started, load_schedule, save_schedule

APSCHEDULER_TABLE = "lineage_schedule"


class RunsWhenUnpickled:
    """What a planted row does when something unpickles it: runs a shell command, here one leaving a marker."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def planted_pickle(marker: Path, protocol: int = pickle.DEFAULT_PROTOCOL) -> bytes:
    return pickle.dumps(RunsWhenUnpickled(marker), protocol=protocol)


def plant_apscheduler_table(engine: Engine, payload: bytes) -> None:
    """The table APScheduler 3's SQLAlchemyJobStore made, holding one job whose state is `payload`."""
    metadata = MetaData()
    table = Table(APSCHEDULER_TABLE, metadata,
                  Column("id", Unicode(191), primary_key=True),
                  Column("next_run_time", Float(25), index=True),
                  Column("job_state", LargeBinary, nullable=False))
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(table.insert().values(id="scan-planted", next_run_time=0.0, job_state=payload))


def at_revision(url: str, revision: str) -> None:
    config = migrate._config()
    engine = create_engine(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_the_planted_payload_is_live_so_the_tests_that_it_never_runs_mean_something(tmp_path) -> None:
    probe = tmp_path / "probe"
    pickle.loads(planted_pickle(probe))  # the one load, on purpose, of the test's own
    assert probe.exists()


def test_a_schedule_is_kept_as_json_text_replaced_and_read_back_as_it_is(database_url) -> None:
    engine = open_store(database_url)
    assert load_schedule(engine, "target") is None
    save_schedule(engine, "target", {"trigger": {"every": "6h"}}, "2026-01-01T00:00:00+00:00")
    save_schedule(engine, "target", {"trigger": {"cron": "0 3 * * *"}}, "2026-01-02T00:00:00+00:00")
    save_schedule(engine, "other", {"trigger": {"every": "1d"}}, "2026-01-03T00:00:00+00:00")
    stored = load_schedule(engine, "target")
    assert stored is not None
    assert stored.definition == '{"trigger": {"cron": "0 3 * * *"}}'
    assert stored.set_at == "2026-01-02T00:00:00+00:00"


def test_a_row_the_store_did_not_write_comes_back_undecoded(tmp_path) -> None:
    marker = tmp_path / "marker"
    engine = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO scan_schedules (target, definition, set_at) VALUES (:t, :d, :s)"),
                           {"t": "target", "d": planted_pickle(marker), "s": "then"})
    stored = load_schedule(engine, "target")
    assert stored is not None and stored.definition == planted_pickle(marker)
    assert not marker.exists()


def test_the_last_scan_of_a_target_is_the_newest_started_whatever_became_of_it(database_url) -> None:
    engine = open_store(database_url)
    assert last_scan_started(engine, "target") is None
    begin_scan(engine, "old", "2026-01-01T00:00:00+00:00", "target")
    fail_scan(engine, "old", "planted")
    begin_scan(engine, "newer", "2026-01-02T00:00:00+00:00", "target")
    begin_scan(engine, "elsewhere", "2026-01-03T00:00:00+00:00", "another target")
    assert last_scan_started(engine, "target") == "2026-01-02T00:00:00+00:00"


def test_the_upgrade_from_0003_drops_apschedulers_table_unread_and_adds_the_schedules(database_url, tmp_path) -> None:
    marker = tmp_path / "marker"
    at_revision(database_url, "0003")
    old = create_engine(database_url)
    plant_apscheduler_table(old, planted_pickle(marker))
    old.dispose()

    engine = open_store(database_url, upgrade=True)

    assert migrate.current_revision(engine) == "0006" == migrate.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert "scan_schedules" in tables and APSCHEDULER_TABLE not in tables
    assert not marker.exists()
    save_schedule(engine, "target", {"trigger": {"every": "6h"}}, "2026-01-01T00:00:00+00:00")
    assert load_schedule(engine, "target") is not None


def test_the_upgrade_from_0003_without_apschedulers_table_and_the_downgrade(database_url) -> None:
    at_revision(database_url, "0003")
    engine = open_store(database_url, upgrade=True)
    assert "scan_schedules" in inspect(engine).get_table_names()
    config = migrate._config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    assert migrate.current_revision(engine) == "0003"
    assert "scan_schedules" not in inspect(engine).get_table_names()
