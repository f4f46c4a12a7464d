"""A whole organization scanned as a platform team scans it: `lineage scan --organization --assume-role R`
against a moto organization of six accounts in two regions, on this process's threads and on Celery workers
(real `lineage worker` processes on the machine's Redis and RabbitMQ), with one member whose role is missing
and, in one run, a worker killed while the scan reads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lineage.executors.celery import TASK_NAME
from lineage.model import Scan
from store.repository import latest_scan_ids, list_scans, load_scan, open_store
from tests.e2e.conftest import lineage, running_moto_server, wait_for
from tests.organization import MotoOrganization, build_organization, refuse_missing_roles

REDIS = "redis://127.0.0.1:6379/12"  # a database of its own: the tests empty it
RABBITMQ = "amqp://guest:guest@127.0.0.1:5672//"


def _reachable(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def organization() -> Iterator[tuple[str, MotoOrganization]]:
    with running_moto_server() as endpoint, pytest.MonkeyPatch.context() as environment, refuse_missing_roles():
        environment.setenv("AWS_ACCESS_KEY_ID", "testing")  # the management account's keys, module-wide
        environment.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        yield endpoint, build_organization(endpoint)


def scan_args(endpoint: str, org: MotoOrganization, db: Path) -> list[str]:
    return ["scan", "--organization", "--assume-role", org.role_name, "--endpoint-url", endpoint,
            *(arg for region in org.regions for arg in ("--region", region)), "--db", f"sqlite:///{db}"]


def stored(db: Path) -> Scan:
    engine = open_store(f"sqlite:///{db}")
    return load_scan(engine, latest_scan_ids(engine, 1)[0])


def comparable(scan: Scan) -> dict[str, Any]:
    """What two scans of one estate must share, whatever ran them."""
    return {"nodes": sorted(repr(n.to_dict()) for n in scan.nodes),
            "edges": sorted(repr(e.to_dict()) for e in scan.edges),
            "findings": sorted(repr(f.to_dict()) for f in scan.findings),
            "gaps": sorted(repr(g.to_dict()) for g in scan.coverage_gaps),
            "accounts": scan.accounts, "regions": scan.regions, "status": scan.status}


@pytest.fixture(scope="module")
def on_threads(organization, tmp_path_factory) -> Scan:
    endpoint, org = organization
    db = tmp_path_factory.mktemp("threads") / "lineage.db"
    done = lineage(*scan_args(endpoint, org, db))
    assert done.returncode == 0, done.stderr
    return stored(db)


def test_one_graph_of_every_account_with_its_flows_across_accounts(organization, on_threads) -> None:
    _, org = organization
    scan = on_threads
    assert set(scan.accounts) == {org.management, *org.members}
    edges = {(e.source, e.target) for e in scan.edges}
    assert set(org.cross_account_flows) <= edges
    accounts_read = {n.account for n in scan.nodes if n.observed}
    assert accounts_read == {org.management, *org.members} - {org.without_role}
    assert set(scan.regions) == set(org.regions)
    rules = {f.rule for f in scan.findings}
    assert "pii.personal_data_crosses_account_or_region" in rules


def test_an_account_whose_role_cannot_be_assumed_is_one_gap_and_the_rest_is_read(organization, on_threads) -> None:
    _, org = organization
    refused = [g for g in on_threads.coverage_gaps if g.account == org.without_role]
    assert len(refused) == 1
    assert (refused[0].service, refused[0].operation) == ("sts", "AssumeRole")
    assert refused[0].resource == org.role_arn(org.without_role) and "AccessDenied" in refused[0].error
    assert not any(org.without_role in n.id for n in on_threads.nodes)
    assert on_threads.status.value == "partial"


class Workers:
    """`lineage worker` processes, each in its own process group so that it can be killed whole."""

    def __init__(self, broker: str, count: int, logs: Path, redeliver_after: int = 3600) -> None:
        self.broker = broker
        logs.mkdir(parents=True, exist_ok=True)
        self.logs = [logs / f"worker-{index}.log" for index in range(count)]
        self.processes = []
        for log in self.logs:  # a file, not a pipe nobody reads: a full pipe would stop the worker mid-log
            with log.open("wb") as sink:
                self.processes.append(subprocess.Popen(
                    [sys.executable, "-m", "lineage.cli", "worker", "--broker", broker, "--concurrency", "2",
                     "--redeliver-after", str(redeliver_after)],
                    stdout=sink, stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ}))

    def ready(self) -> None:
        wait_for(lambda: lineage("worker", "--broker", self.broker, "--ping").returncode == 0, timeout=60, interval=1)

    def signal_all(self, signum: int) -> None:
        for process in self.processes:
            os.killpg(process.pid, signum)

    def kill_all(self) -> None:
        self.signal_all(signal.SIGKILL)
        for process in self.processes:
            process.wait(timeout=30)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                os.killpg(process.pid, signal.SIGCONT)  # a stopped worker hears SIGTERM only once it runs
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def _empty(broker: str) -> None:
    """No task left by an earlier run is read by these workers."""
    if broker.startswith("redis"):
        import redis

        redis.Redis.from_url(broker).flushdb()
    else:
        from lineage.executors.celery import make_app

        make_app(broker).control.purge()


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request) -> str:
    url, port = (REDIS, 6379) if request.param == "redis" else (RABBITMQ, 5672)
    if not _reachable(port):
        pytest.fail(f"{request.param} does not answer on 127.0.0.1:{port} (make test starts it)")
    _empty(url)
    return url


def test_celery_workers_give_the_graph_the_threads_give(organization, on_threads, broker, tmp_path) -> None:
    endpoint, org = organization
    workers = Workers(broker, 2, tmp_path)
    try:
        workers.ready()
        db = tmp_path / "celery.db"
        done = lineage(*scan_args(endpoint, org, db), "--executor", "celery", "--broker", broker,
                       "--max-per-account", "4")
        assert done.returncode == 0, done.stderr
    finally:
        workers.stop()
    assert comparable(stored(db)) == comparable(on_threads)


def _started_not_finished(client: Any) -> set[str]:
    """Tasks a worker has begun (their delivery is counted) and not yet acknowledged (still in `unacked`)."""
    held = {json.loads(raw)[0]["headers"]["id"] for raw in client.hvals("unacked")}
    return {task for task in held if client.exists(f"lineage:deliveries:{task}")}


def test_a_worker_killed_while_the_scan_reads_loses_nothing(organization, on_threads, tmp_path) -> None:
    endpoint, org = organization
    _empty(REDIS)
    workers = Workers(REDIS, 2, tmp_path, redeliver_after=8)
    db = tmp_path / "killed.db"
    interrupted: set[str] = set()
    try:
        workers.ready()
        output = tmp_path / "scan.log"
        with output.open("wb") as sink:
            scan = subprocess.Popen([sys.executable, "-m", "lineage.cli", *scan_args(endpoint, org, db),
                                     "--executor", "celery", "--broker", REDIS],
                                    stdout=sink, stderr=subprocess.STDOUT, env={**os.environ})
        import redis

        client = redis.Redis.from_url(REDIS)

        def caught_mid_task() -> bool:
            # Stopped, no worker acknowledges anything: what is begun and unacknowledged now dies with them.
            workers.signal_all(signal.SIGSTOP)
            time.sleep(0.2)  # an acknowledgement already on its way lands before the look
            interrupted.update(_started_not_finished(client))
            if not interrupted:
                workers.signal_all(signal.SIGCONT)
            return bool(interrupted)

        wait_for(caught_mid_task, timeout=120, interval=0.05)
        workers.kill_all()
        interrupted &= _started_not_finished(client)  # with every worker dead, `unacked` no longer changes
        assert interrupted
        # A killed worker may have held the lock taken to look for lost tasks: it expires with the redelivery time.
        workers = Workers(REDIS, 2, tmp_path / "after", redeliver_after=8)
        assert scan.wait(timeout=600) == 0, output.read_text()

        def delivered() -> dict[str, int]:
            return {task: int(client.get(f"lineage:deliveries:{task}") or 0) for task in interrupted}

        # A task may have handed its result over before its worker stopped: the scan need not wait for it again,
        # but the broker still delivers it again, as it never heard it was done.
        wait_for(lambda: min(delivered().values()) >= 2, timeout=60, interval=0.5)
    finally:
        workers.stop()
    assert comparable(stored(db)) == comparable(on_threads)


def test_the_scheduler_enqueues_the_organization_and_the_workers_read_it(organization, on_threads, tmp_path) -> None:
    endpoint, org = organization
    _empty(REDIS)
    workers = Workers(REDIS, 2, tmp_path)
    db = tmp_path / "scheduled.db"
    log = tmp_path / "scheduler.log"
    scheduler: subprocess.Popen | None = None
    try:
        workers.ready()
        with log.open("wb") as sink:
            scheduler = subprocess.Popen(
                [sys.executable, "-m", "lineage.cli", "schedule", "--every", "1h", "--now",
                 *scan_args(endpoint, org, db)[1:], "--executor", "celery", "--broker", REDIS],
                stdout=sink, stderr=subprocess.STDOUT, env={**os.environ})
        engine = open_store(f"sqlite:///{db}")
        wait_for(lambda: db.exists() and any(s.status != "running" for s in list_scans(engine)), timeout=300)
        scheduler.send_signal(signal.SIGTERM)
        assert scheduler.wait(timeout=120) == 0, log.read_text()
    finally:
        if scheduler is not None and scheduler.poll() is None:
            scheduler.kill()
        workers.stop()
    assert comparable(stored(db)) == comparable(on_threads)
    read_by_workers = sum(text.count(f"Task {TASK_NAME}[") for text in (p.read_text() for p in workers.logs))
    assert read_by_workers >= 2 * len(org.regions)  # the reads ran on the workers, not in the scheduler
    [kept] = [row for row in (json.loads(s.definition) for s in _schedules(engine))]
    assert kept["scan"]["across"] == {"organization": True, "accounts": [], "exclude": [], "role": org.role_name,
                                      "external_id": False, "executor": "celery", "broker": REDIS,
                                      "result_backend": "", "deadline": 6 * 3600.0}


def _schedules(engine) -> list:
    from sqlalchemy import select

    from store.schema import scan_schedules

    with engine.connect() as connection:
        return list(connection.execute(select(scan_schedules)))
