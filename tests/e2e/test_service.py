"""Running as a service: the scheduler, drift, history and the compose file, exercised with the same
commands the containers run."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
import click
import pytest
import yaml

from lineage.cli import cli
from lineage.demo import CURATED, REGION, TEMP, build_estate
from store.repository import list_scans, open_store
from tests.e2e.conftest import free_port, lineage, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_estate(moto_server: str) -> tuple[str, boto3.Session]:
    session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    build_estate(lambda service: session.client(service, endpoint_url=moto_server))
    return moto_server, session


def weaken(endpoint: str, session: boto3.Session) -> None:
    """What drift is for: an encryption downgraded and a lifecycle rule removed."""
    s3 = session.client("s3", endpoint_url=endpoint)
    s3.put_bucket_encryption(Bucket=CURATED, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.delete_bucket_lifecycle(Bucket=TEMP)


def start_scheduler(*args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lineage.cli", "schedule", *args],
                            stdout=subprocess.DEVNULL,
                            stderr=log.open("w"))


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=120)


def test_scheduler_scans_writes_views_logs_drift_stops_cleanly_and_keeps_its_schedule(
        demo_estate, database_url, tmp_path) -> None:
    endpoint, session = demo_estate
    html = tmp_path / "html"
    log = tmp_path / "scheduler.log"
    args = ("--every", "4s", "--now", "--region", REGION, "--endpoint-url", endpoint, "--db", database_url,
            "--html-dir", str(html))
    process = start_scheduler(*args, log=log)
    engine = open_store(database_url)
    try:
        wait_for(lambda: sum(s.status == "complete" for s in list_scans(engine)) >= 1)
        weaken(endpoint, session)
        weakened = datetime.now(UTC).replace(microsecond=0).isoformat()
        wait_for(lambda: any(s.status == "complete" and s.started_at > weakened for s in list_scans(engine)))
    finally:
        assert stop(process) == 0
    text = log.read_text()
    assert "schedule set: interval[0:00:04]" in text and "stopped" in text
    scans = [s for s in list_scans(engine) if s.status == "complete"]
    assert f"scan {scans[-1].id} complete" in text
    assert "changed attributes" in text and "since " + scans[-1].id in text
    assert (html / "latest.html").exists()
    assert {p.name for p in html.glob("scan-*.html")} >= {f"scan-{s.id}.html" for s in scans}
    assert not [s for s in list_scans(engine) if s.status == "running"]  # stopped between scans

    drift = lineage("diff", scans[-1].id, scans[0].id, "--db", database_url, "--json", "--fail-on", "medium")
    changes = {c["summary"] for c in json.loads(drift.stdout)["attribute_changes"]}
    assert "encryption downgraded: aws:kms → AES256" in changes
    assert "lifecycle rules removed expire-temp" in changes
    assert drift.returncode == 1  # the temp location lost its lifecycle: a new medium finding

    restarted = start_scheduler(*args[:2], *args[3:], log=tmp_path / "second.log")  # without --now
    try:
        wait_for(lambda: "schedule kept" in (tmp_path / "second.log").read_text(), timeout=60)
    finally:
        assert stop(restarted) == 0


def test_runs_missed_while_the_scheduler_was_down_are_coalesced_into_one(demo_estate, tmp_path) -> None:
    from datetime import timedelta

    from sqlalchemy import text

    endpoint, _ = demo_estate
    db = f"sqlite:///{tmp_path / 'c.db'}"
    args = ("--every", "10m", "--region", REGION, "--endpoint-url", endpoint, "--db", db)
    engine = open_store(db)
    first = start_scheduler(*args, "--now", log=tmp_path / "first.log")
    try:
        wait_for(lambda: any(s.status == "complete" for s in list_scans(engine)), timeout=60)
    finally:
        assert stop(first) == 0
    # The scheduler was down for twelve intervals: the last scan of its target lies two hours in the past.
    moved_back = (datetime.now(UTC) - timedelta(hours=2)).replace(microsecond=0).isoformat()
    with engine.begin() as connection:
        connection.execute(text("UPDATE scans SET started_at = :at, finished_at = :at"), {"at": moved_back})
    second = start_scheduler(*args, log=tmp_path / "second.log")
    try:
        wait_for(lambda: sum(s.status == "complete" for s in list_scans(engine)) >= 2, timeout=60)
    finally:
        # The catch-up was handed to the executor at once, and stopping waits for all it was handed: had
        # the twelve missed runs been handed over, every one of them is recorded once the process has exited.
        assert stop(second) == 0
    stopped = datetime.now(UTC)
    assert [s.status for s in list_scans(engine)] == ["complete", "complete"]
    log = (tmp_path / "second.log").read_text()
    assert "schedule kept" in log and f"missed since the last scan at {moved_back}" in log
    assert len(re.findall(r"scan \S+ complete: ", log)) == 1
    assert "maximum number of running instances" not in log  # one run was due, not twelve that then collide
    # What remains planned is the next regular run, within one interval, not another missed one.
    [planned] = re.findall(r"INFO next run (\S+)$", log, re.MULTILINE)
    assert stopped < datetime.fromisoformat(planned) <= stopped + timedelta(minutes=10)


def test_a_failed_scan_is_logged_and_recorded_and_the_next_run_happens(database_url, tmp_path) -> None:
    nothing = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    log = tmp_path / "scheduler.log"
    process = start_scheduler("--every", "2s", "--now", "--endpoint-url", nothing, "--db", database_url, log=log)
    engine = open_store(database_url)
    try:
        wait_for(lambda: sum(s.status == "failed" for s in list_scans(engine)) >= 2)
    finally:
        assert stop(process) == 0
    assert "EndpointConnectionError" in log.read_text() and "failed" in log.read_text()
    assert all("EndpointConnectionError" in s.error for s in list_scans(engine))


def test_history_diff_and_prune_from_the_command_line(demo_estate, tmp_path) -> None:
    endpoint, session = demo_estate
    db = f"sqlite:///{tmp_path / 'h.db'}"
    for _ in range(2):
        assert lineage("scan", "--endpoint-url", endpoint, "--region", REGION, "--db", db).returncode == 0
    same = lineage("diff", "--db", db, "--fail-on", "info")
    assert same.returncode == 0 and "+0/-0 nodes" in same.stdout
    weaken(endpoint, session)
    assert lineage("scan", "--endpoint-url", endpoint, "--region", REGION, "--db", db).returncode == 0
    drift = lineage("diff", "--db", db, "--fail-on", "critical")
    assert drift.returncode == 0 and "encryption downgraded" in drift.stdout
    history = json.loads(lineage("scans", "--db", db, "--json").stdout)
    assert [h["status"] for h in history] == ["complete"] * 3 and all(h["nodes"] > 15 for h in history)
    pruned = lineage("prune", "--keep", "1", "--db", db)
    assert pruned.returncode == 0 and "removed 2 scan(s)" in pruned.stdout
    assert len(json.loads(lineage("scans", "--db", db, "--json").stdout)) == 1
    assert lineage("prune", "--db", db).returncode == 2
    assert lineage("prune", "--older-than", "soon", "--db", db).returncode == 2
    assert lineage("diff", "--db", db).returncode == 2  # one scan left


def test_db_upgrade_command(tmp_path) -> None:
    from alembic import command
    from sqlalchemy import create_engine

    from store import migrate

    url = f"sqlite:///{tmp_path / 'old.db'}"
    config = migrate._config()
    with create_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
    refused = lineage("scans", "--db", url)
    assert refused.returncode == 2 and "run `lineage db upgrade --db" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    upgraded = lineage("db", "upgrade", "--db", url)
    assert upgraded.returncode == 0 and f"revision {migrate.head_revision()}" in upgraded.stdout
    assert lineage("scans", "--db", url).returncode == 0


def test_schedule_arguments_are_checked(tmp_path) -> None:
    db = str(tmp_path / "s.db")
    for args, message in ((["--every", "6x"], "not a duration"), (["--cron", "nonsense"], "--cron"),
                          ([], "give one of --every or --cron"), (["--every", "1h", "--cron", "* * * * *"],
                                                                  "give one of --every or --cron")):
        result = lineage("schedule", *args, "--db", db)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)


def test_demo_server_serves_the_estate_for_scan(tmp_path) -> None:
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "lineage.cli", "demo-server", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def seeded() -> bool:
            probe = boto3.client("events", endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                                 aws_access_key_id="t", aws_secret_access_key="t")
            try:
                return any(r["Name"] == "enrollment-completed"
                           for r in probe.list_rules(EventBusName="learning-platform")["Rules"])
            except Exception:  # noqa: BLE001 - not up yet
                return False

        wait_for(seeded)
        scanned = lineage("scan", "--endpoint-url", f"http://127.0.0.1:{port}", "--region", REGION,
                          "--db", str(tmp_path / "d.db"))
        assert scanned.returncode == 0 and "complete" in scanned.stdout
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0


# --- deployment -----------------------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _parse_cli(arguments: list[str]) -> None:
    """Parse a container's command with the real CLI, without running it."""
    command: click.Command = cli
    rest = list(arguments)
    while isinstance(command, click.Group):
        name, *rest = rest
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"no command {name!r}"
        command = found
    command.make_context(command.name or "", rest)


def profiled(services: dict[str, dict], profile: str) -> set[str]:
    return {name for name, service in services.items() if profile in service.get("profiles", [])}


def test_compose_file_structure(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    services = compose()["services"]
    for variable in ("LINEAGE_BROKER", "LINEAGE_RESULT_BACKEND"):  # the worker's broker, as its container has it
        monkeypatch.setenv(variable, listed_environment(services["worker"])[variable])
    assert {"postgres", "scheduler", "viewer", "migrate"} <= set(services)
    assert profiled(services, "demo") == {"moto", "scheduler-demo"}
    assert profiled(services, "workers") == {"valkey", "worker"}  # `docker compose up` alone starts neither
    for name in ("postgres", "scheduler", "viewer", "moto", "scheduler-demo", "valkey", "worker"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("scheduler", "migrate", "moto", "scheduler-demo", "viewer", "worker"):
        # the volume the viewer reads is a folder here, since `serve --dir` checks that it exists
        command = [re_env(part).replace("/srv/lineage", str(tmp_path)) for part in services[name]["command"]]
        _parse_cli(command)
    assert services["scheduler"]["command"][0] == "schedule"
    assert services["moto"]["command"][0] == "demo-server"
    assert services["viewer"]["command"][:3] == ["serve", "--dir", "/srv/lineage"]
    assert services["worker"]["command"] == ["worker", "--concurrency", "${LINEAGE_WORKER_CONCURRENCY:-4}"]
    assert services["worker"]["healthcheck"]["test"] == ["CMD", "lineage", "worker", "--ping"]
    _parse_cli(services["worker"]["healthcheck"]["test"][2:])
    assert set(compose()["volumes"]) == {"pgdata", "html"}
    assert any(v.startswith("html:") for v in services["viewer"]["volumes"])
    for name in ("scheduler", "worker"):
        assert "${HOME}/.aws:/home/lineage/.aws:ro" in services[name]["volumes"], name
    text = (ROOT / "docker-compose.yml").read_text()
    assert "AKIA" not in text and "aws_secret_access_key =" not in text.lower()
    # real credentials pass through from the shell by name; only the demo's fake ones are written out
    passed = [item for item in services["scheduler"]["environment"] if item.startswith("AWS_")]
    assert len(passed) == 5 and all("=" not in item for item in passed)
    assert [item for item in services["worker"]["environment"] if item.startswith("AWS_")] == passed
    assert services["scheduler-demo"]["environment"]["AWS_SECRET_ACCESS_KEY"] == "demo"
    assert services["scheduler-demo"]["depends_on"]["moto"]["condition"] == "service_healthy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["lineage"]' in dockerfile and "pip install '.[demo]'" in dockerfile


def listed_environment(service: dict) -> dict[str, str]:
    """The variables a service sets in its list-form environment, with the compose defaults."""
    return {name: re_env(value) for name, sep, value in (item.partition("=") for item in service["environment"]) if sep}


def test_the_workers_share_the_schedulers_broker_scale_and_wait_for_it() -> None:
    services = compose()["services"]
    worker, valkey, scheduler = services["worker"], services["valkey"], services["scheduler"]
    broker = {"LINEAGE_BROKER": "redis://valkey:6379/0", "LINEAGE_RESULT_BACKEND": "redis://valkey:6379/1"}
    assert {k: v for k, v in listed_environment(worker).items() if k.startswith("LINEAGE_")} == broker
    assert {k: v for k, v in listed_environment(scheduler).items() if k in broker} == broker
    # so that `--scale worker=N` can start N of them: no fixed name or port, no state of their own
    for name in ("worker", "valkey"):
        assert not {"container_name", "ports", "hostname"} & set(services[name]), name
    assert worker["depends_on"] == {"valkey": {"condition": "service_healthy"}}
    assert worker["restart"] == "unless-stopped" and valkey["restart"] == "unless-stopped"
    assert worker["init"] is True  # Celery's forked processes reaped, SIGTERM passed on to the worker
    assert valkey["image"] == "valkey/valkey:8-alpine"
    assert valkey["healthcheck"]["test"] == ["CMD", "valkey-cli", "ping"]
    assert "volumes" not in valkey and valkey["command"] == ["valkey-server", "--save", "", "--appendonly", "no"]
    # the scheduler waits for the broker when the workers profile runs it, and for nothing otherwise
    assert scheduler["depends_on"]["valkey"] == {"condition": "service_healthy", "required": False}


@pytest.mark.parametrize(("executor", "accepted"), [("threads", True), ("celery", True), ("nonsense", False)])
def test_the_schedulers_executor_comes_from_the_environment_threads_unless_told(
        executor: str, accepted: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    scheduler = compose()["services"]["scheduler"]
    assert listed_environment(scheduler)["LINEAGE_EXECUTOR"] == "threads"
    assert "LINEAGE_EXECUTOR=${LINEAGE_EXECUTOR:-threads}" in scheduler["environment"]
    for variable in ("LINEAGE_BROKER", "LINEAGE_RESULT_BACKEND"):
        monkeypatch.setenv(variable, listed_environment(scheduler)[variable])
    monkeypatch.setenv("LINEAGE_EXECUTOR", executor)  # as the shell sets it: the compose default gives way
    command = [re_env(part) for part in scheduler["command"]]
    if accepted:
        _parse_cli(command)
    else:  # a value the scheduler does not know is refused, which shows that it reads the variable
        with pytest.raises(click.UsageError):
            _parse_cli(command)


def re_env(part: str) -> str:
    """`${NAME:-default}` as compose would substitute it with NAME unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", part)


def test_the_containers_commands_run_as_written(tmp_path) -> None:
    """The scheduler's and migrator's commands, with the compose defaults, run here against SQLite: the
    store comes from LINEAGE_DB, as in the containers (tests/e2e/test_compose.py runs them on PostgreSQL)."""
    services = compose()["services"]
    store = {"LINEAGE_DB": f"sqlite:///{tmp_path / 'compose.db'}"}
    assert services["migrate"]["environment"]["LINEAGE_DB"].startswith("postgresql+psycopg://")
    assert lineage(*map(re_env, services["migrate"]["command"]), env=store, cwd=tmp_path).returncode == 0
    health = services["scheduler"]["healthcheck"]["test"]
    assert health[:2] == ["CMD", "lineage"]
    checked = lineage(*map(re_env, health[2:]), env=store, cwd=tmp_path)
    assert checked.returncode == 0 and json.loads(checked.stdout) == []
    assert (tmp_path / "compose.db").exists()  # the store named by the environment, not the default
    assert not (tmp_path / "lineage.db").exists()  # the default, in the working directory
