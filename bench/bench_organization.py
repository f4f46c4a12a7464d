"""A whole organization scanned on threads and on Celery workers, behind a fixed latency per call; and what
one account, one region and one stored node or edge cost.

1. The moto organization of `tests/organization.py` (six accounts, two regions, one member without the
   scanner's role) in a moto server whose every answer waits `--latency-ms` first, as AWS's do. It is
   scanned as a user scans it (`lineage scan --organization --assume-role …`, a process of its own): on
   threads (the baseline), then on one `lineage worker --concurrency C`, then on two, with Redis database 15
   as broker (emptied first). Each row: the median wall time of `--runs` scans, the calls the stored scan
   counts, the most calls the server saw in flight at once, the ideal — calls × latency ÷ that most, the
   time had the scan kept that many calls in flight from start to end — and wall ÷ ideal. Beside it the CPU
   per call of the scanning process and of the workers (every process of each worker's group, read from
   /proc), and, as their baseline, the CPU of starting the command alone (`lineage --version`).
2. Calls per account and region as the server saw them (the region a call is signed for; global services
   sign for the first region): an account-region holding nothing is the floor every region costs.
3. Store size of one scan of the organization: SQLite (bytes of the rows, and of the pages, per node, edge,
   finding and gap, from `dbstat`) and, when PostgreSQL answers on 127.0.0.1:5432, the rows' bytes and
   pg_total_relation_size of each table in a fresh database.
4. Calls per resource, in one account under moto in this process (no latency): an empty account in one
   region, in two, and the same account with buckets, Glue tables and state machines added: the extra
   calls per resource of each kind. (moto answers Glue GetTables in one page; AWS gives up to 100 tables
   a page.)

Prints tables; asserts nothing (these machines are shared and noisy).

    .venv/bin/python bench/bench_organization.py [--latency-ms 50] [--runs 3] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository's tests package

from lineage.model import Scan  # noqa: E402
from store.repository import latest_scan_ids, load_scan, open_store, save_new_scan  # noqa: E402
from tests.organization import MotoOrganization, build_organization, refuse_missing_roles  # noqa: E402

BROKER = "redis://127.0.0.1:6379/15"
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TICKS = os.sysconf("SC_CLK_TCK")
_SIGNED = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/")
STORED = ("nodes", "edges", "findings", "coverage_gaps")
INDEX_OF = {"nodes": "ix_nodes_scan", "edges": "ix_edges_scan", "findings": "ix_findings_scan",
            "coverage_gaps": "ix_gaps_scan"}


# --- the server, slowed ---------------------------------------------------------------------------

@dataclass
class Traffic:
    """What the server saw: calls per (access key, signed region), and how many were in flight at most."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.most_in_flight = self.in_flight


class Slowed:
    """WSGI middleware: every request waits `latency` seconds before moto answers it. An operation moto does
    not implement answers 501, not the 500 moto's exception would give: AWS implements it, and botocore would
    retry a 500 with backoff for some twenty seconds, timing moto rather than the scan."""

    def __init__(self, app: Callable[..., Any], latency: float, traffic: Traffic) -> None:
        self.app, self.latency, self.traffic = app, latency, traffic

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        signed = _SIGNED.search(environ.get("HTTP_AUTHORIZATION", ""))
        key = (signed.group(1), signed.group(2)) if signed else ("", "")
        traffic = self.traffic
        with traffic.lock:
            traffic.calls[key] += 1
            traffic.in_flight += 1
            traffic.most_in_flight = max(traffic.most_in_flight, traffic.in_flight)
        try:
            time.sleep(self.latency)
            return self.app(environ, start_response)
        except NotImplementedError as error:
            start_response("501 Not Implemented", [("Content-Type", "text/plain")])
            return [str(error).encode()]
        finally:
            with traffic.lock:
                traffic.in_flight -= 1


@contextmanager
def slowed_moto(latency: float, traffic: Traffic) -> Iterator[str]:
    """moto's own server app, as ThreadedMotoServer builds it, behind `Slowed`; its endpoint."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = Slowed(DomainDispatcherApplication(create_backend_app), latency, traffic)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()


# --- processes and their CPU ----------------------------------------------------------------------

def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def group_cpu(groups: set[int]) -> float:
    """CPU seconds so far of every live process in these process groups (a worker and its pool)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        if int(fields[2]) in groups:  # fields[0] is the state: pgrp is the third after it, utime the 12th
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def lineage_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "lineage.cli", *args]


class Workers:
    """`lineage worker` processes, each the leader of its own process group."""

    def __init__(self, count: int, concurrency: int, env: dict[str, str]) -> None:
        self.processes = [subprocess.Popen(lineage_command("worker", "--broker", BROKER, "--concurrency",
                                                           str(concurrency)),
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                           start_new_session=True, env=env) for _ in range(count)]

    @property
    def groups(self) -> set[int]:
        return {process.pid for process in self.processes}

    def ready(self, timeout: float = 120) -> None:
        from lineage.executors.celery import make_app

        app = make_app(BROKER)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(app.control.ping(timeout=1.0)) >= len(self.processes):
                return
        raise SystemExit(f"{len(self.processes)} worker(s) did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        for process in self.processes:
            with_group(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with_group(process.pid, signal.SIGKILL)
                process.wait()


def with_group(pid: int, sig: int) -> None:
    with suppress(ProcessLookupError):
        os.killpg(pid, sig)


def empty_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


# --- one scan -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    wall: float
    coordinator_cpu: float
    moto_cpu: float
    worker_cpu: float
    most_in_flight: int
    scan: Scan


def stored(db: Path) -> Scan:
    engine = open_store(f"sqlite:///{db}")
    try:
        return load_scan(engine, latest_scan_ids(engine, 1)[0])
    finally:
        engine.dispose()


def scan_once(endpoint: str, org: MotoOrganization, db: Path, extra: list[str], env: dict[str, str],
              traffic: Traffic, workers: Workers | None) -> Run:
    args = lineage_command("scan", "--organization", "--assume-role", org.role_name, "--endpoint-url", endpoint,
                           *(arg for region in org.regions for arg in ("--region", region)),
                           "--db", f"sqlite:///{db}", *extra)
    traffic.reset()
    cpu, worker_cpu, moto_cpu = children_cpu(), group_cpu(workers.groups) if workers else 0.0, own_cpu()
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the scan failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    workers_cpu = (group_cpu(workers.groups) - worker_cpu) if workers else 0.0
    return Run(wall, children_cpu() - cpu, own_cpu() - moto_cpu, workers_cpu, traffic.most_in_flight, stored(db))


def startup_cpu(env: dict[str, str]) -> float:
    cpu = children_cpu()
    subprocess.run(lineage_command("--version"), capture_output=True, env=env, check=True)
    return children_cpu() - cpu


# --- store size -----------------------------------------------------------------------------------

def counts_of(scan: Scan) -> dict[str, int]:
    return {"nodes": len(scan.nodes), "edges": len(scan.edges), "findings": len(scan.findings),
            "coverage_gaps": len(scan.coverage_gaps)}


def sqlite_sizes(db: Path) -> dict[str, tuple[int, int]]:
    """Per stored table, with its index: (bytes of the rows, bytes of the pages)."""
    import sqlite3

    with sqlite3.connect(db) as connection:
        rows = {name: (payload, pages) for name, payload, pages in connection.execute(
            "SELECT name, SUM(payload), SUM(pgsize) FROM dbstat GROUP BY name")}
    sizes = {}
    for table in STORED:
        (table_rows, table_pages), (index_rows, index_pages) = (rows.get(table, (0, 0)),
                                                                rows.get(INDEX_OF[table], (0, 0)))
        sizes[table] = (table_rows + index_rows, table_pages + index_pages)
    return sizes


def postgres_sizes(scan: Scan) -> dict[str, tuple[int, int]] | str:
    """Per stored table of one scan in a fresh database: (bytes of the rows, pg_total_relation_size), or
    why there are none."""
    name = f"lineage_bench_{secrets.token_hex(4)}"
    try:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
    except Exception as error:  # noqa: BLE001 - no server is an answer, printed
        return f"PostgreSQL not measured: {type(error).__name__}"
    try:
        engine = open_store(POSTGRES.rsplit("/", 1)[0] + f"/{name}")
        save_new_scan(engine, scan)
        sizes = {}
        with engine.begin() as connection:
            for table in STORED:
                rows = connection.execute(text(f"SELECT COALESCE(SUM(pg_column_size(t.*)), 0) FROM {table} t"))
                total = connection.execute(text(f"SELECT pg_total_relation_size('{table}')"))
                sizes[table] = (int(rows.scalar_one()), int(total.scalar_one()))
        engine.dispose()
        return sizes
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


# --- calls per resource, in one account -----------------------------------------------------------

def per_resource(buckets: int, tables: int, machines: int) -> list[tuple[str, dict[str, int], int, int]]:
    """(what, calls per operation, nodes, edges) of scans of one account in moto: empty in one region, empty in two,
    then with the resources added, in one region."""
    from moto import mock_aws

    from lineage.scan import ScanOptions, run_scan

    rows = []
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="b", aws_secret_access_key="b")
        session.client("macie2").disable_macie()  # on in every new moto account, off in most real ones

        def scan(what: str, regions: tuple[str, ...]) -> None:
            result, _ = run_scan(ScanOptions(regions=regions), session=session)
            rows.append((what, dict(result.api_calls), len(result.nodes), len(result.edges)))

        scan("empty account, 1 region", ("us-east-1",))
        scan("empty account, 2 regions", ("us-east-1", "eu-west-1"))
        s3, glue, states = (session.client(name) for name in ("s3", "glue", "stepfunctions"))
        for index in range(buckets):
            s3.create_bucket(Bucket=f"bench-{index:04d}")
        glue.create_database(DatabaseInput={"Name": "bench"})
        for index in range(tables):
            glue.create_table(DatabaseName="bench", TableInput={"Name": f"t{index}", "StorageDescriptor": {
                "Location": f"s3://bench-{index % max(buckets, 1):04d}/t{index}/",
                "Columns": [{"Name": "id", "Type": "string"}]}})
        definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
        for index in range(machines):
            states.create_state_machine(name=f"sm-{index}", definition=definition,
                                        roleArn="arn:aws:iam::123456789012:role/r")
        scan(f"+ {buckets} buckets, {tables} tables, {machines} machines", ("us-east-1",))
    return rows


def added_by_service(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    by_service: Counter[str] = Counter()
    for name in set(before) | set(after):
        by_service[name.split(":", 1)[0]] += after.get(name, 0) - before.get(name, 0)
    return {service: count for service, count in by_service.items() if count}


# --- the report -----------------------------------------------------------------------------------

def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency-ms", type=float, default=50.0, help="Added to every answer of the server.")
    parser.add_argument("--runs", type=int, default=3, help="Scans per executor; the median is shown.")
    parser.add_argument("--concurrency", type=int, default=4, help="Processes of each `lineage worker`.")
    parser.add_argument("--max-per-account", type=int, default=0, metavar="N",
                        help="Passed to every scan (0: not passed).")
    parser.add_argument("--buckets", type=int, default=30, help="Of the single-account scan (section 4).")
    parser.add_argument("--tables", type=int, default=150)
    parser.add_argument("--machines", type=int, default=15)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1"}
    os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")})
    traffic = Traffic()
    rows: list[tuple[str, list[Run], str]] = []
    matrix: Counter[tuple[str, str]] = Counter()
    work = Path(tempfile.mkdtemp(prefix="bench-organization-"))
    baseline_cpu = startup_cpu(env)

    with slowed_moto(latency, traffic) as endpoint, refuse_missing_roles():
        org = build_organization(endpoint)
        setups: list[tuple[str, int, list[str]]] = [
            ("threads (baseline)", 0, []),
            (f"celery, 1 worker × {args.concurrency}", 1, ["--executor", "celery", "--broker", BROKER]),
            (f"celery, 2 workers × {args.concurrency}", 2, ["--executor", "celery", "--broker", BROKER]),
        ]
        limit = ["--max-per-account", str(args.max_per_account)] if args.max_per_account else []
        for label, worker_count, extra in setups:
            extra = [*extra, *limit]
            workers = None
            if worker_count:
                empty_broker()
                workers = Workers(worker_count, args.concurrency, env)
                workers.ready()
            try:
                runs = []
                for number in range(args.runs):
                    runs.append(scan_once(endpoint, org, work / f"{len(rows)}-{number}.db", extra, env, traffic,
                                          workers))
                    if not rows and number == 0:
                        matrix = Counter(traffic.calls)
            finally:
                if workers:
                    workers.stop()
            slots = "up to 256 jobs" if not worker_count else f"{worker_count * args.concurrency} tasks"
            rows.append((label, runs, slots))
        from moto.iam.models import get_account_id_from

        by_account: Counter[tuple[str, str]] = Counter()
        for (key, region), count in matrix.items():
            by_account[(get_account_id_from(key) if key else "unsigned", region)] += count

    print(f"organization: {1 + len(org.members)} accounts ({len(org.members)} members, one without the role), "
          f"regions {', '.join(org.regions)}; {args.latency_ms:.0f} ms added to every call; median of {args.runs}")
    print(f"{'executor':26} {'wall s':>7} {'calls':>6} {'most in flight':>15} {'ideal s':>8} {'wall/ideal':>10} "
          f"{'CPU ms/call: scan':>17} {'workers':>8} {'moto':>6}  at once")
    for label, runs, slots in rows:
        wall = median([r.wall for r in runs])
        calls = int(median([sum(r.scan.api_calls.values()) for r in runs]))
        most = int(median([r.most_in_flight for r in runs]))
        ideal = calls * latency / max(most, 1)
        coordinator = median([r.coordinator_cpu for r in runs]) / calls * 1000
        worker = median([r.worker_cpu for r in runs]) / calls * 1000
        moto = median([r.moto_cpu for r in runs]) / calls * 1000
        print(f"{label:26} {wall:7.2f} {calls:6d} {most:15d} {ideal:8.2f} {wall / ideal:10.1f} "
              f"{coordinator:17.1f} {worker:8.1f} {moto:6.1f}  {slots}")
    print(f"{'starting the command alone':26} {'':7} {'':6} {'':15} {'':8} {'':10} "
          f"{baseline_cpu * 1000:14.0f} ms (CPU of `lineage --version`, in each scan's CPU above)")

    roles = {org.management: "management", **dict(zip(org.members, ("landing", "lake", "analytics", "reporting",
                                                                    "without role"), strict=False))}
    regions = sorted({region for _, region in by_account})
    print("\ncalls per account and region (signed region; global services sign for the first), first scan:")
    print(f"{'account':14}" + "".join(f"{region:>12}" for region in regions) + f"{'all':>8}")
    for account in sorted({a for a, _ in by_account}, key=lambda a: roles.get(a, "~" + a)):
        counts = [by_account.get((account, region), 0) for region in regions]
        print(f"{roles.get(account, account):14}" + "".join(f"{c:12d}" for c in counts) + f"{sum(counts):8d}")
    analytics = org.members[2]
    print(f"floor of one region holding nothing (analytics, {org.regions[1]}): "
          f"{by_account.get((analytics, org.regions[1]), 0)} calls")

    scan = rows[0][1][0].scan
    counts = counts_of(scan)
    db = work / "0-0.db"
    print(f"\nstore, one scan of the organization ({counts['nodes']} nodes, {counts['edges']} edges, "
          f"{counts['findings']} findings, {counts['coverage_gaps']} gaps); SQLite file {db.stat().st_size} bytes")
    print(f"{'table':16} {'rows':>6} {'SQLite row B':>13} {'page B':>8} {'PG row B':>9} {'PG total B':>11}")
    lite = sqlite_sizes(db)
    pg = postgres_sizes(scan)
    for table in STORED:
        count = max(counts[table], 1)
        payload, pages = lite[table]
        pg_cells = (f"{pg[table][0] / count:9.0f} {pg[table][1] / count:11.0f}" if isinstance(pg, dict)
                    else f"{'-':>9} {'-':>11}")
        print(f"{table:16} {counts[table]:6d} {payload / count:13.0f} {pages / count:8.0f} {pg_cells}")
    if isinstance(pg, str):
        print(pg)
    else:
        print("(per row; PG total is pg_total_relation_size, indexes and empty pages included, ÷ rows)")

    print("\ncalls per resource, one account in moto in this process (no latency; moto gives GetTables "
          "in one page, AWS up to 100 tables a page):")
    marginal = per_resource(args.buckets, args.tables, args.machines)
    print(f"{'scan':46} {'calls':>6} {'nodes':>6} {'edges':>6}")
    for what, calls, nodes, edges in marginal:
        print(f"{what:46} {sum(calls.values()):6d} {nodes:6d} {edges:6d}")
    (_, one, one_nodes, one_edges), (_, two, *_), (_, busy, busy_nodes, busy_edges) = marginal
    added = added_by_service(one, busy)
    print(f"each further empty region: {sum(two.values()) - sum(one.values())} calls")
    print("added calls: " + ", ".join(f"{service} {count}" for service, count in sorted(added.items())))
    for service, count, label in (("s3", args.buckets, "bucket"), ("glue", args.tables, "table"),
                                  ("states", args.machines, "state machine")):
        if count:
            print(f"  {service} calls per {label}: {added.get(service, 0) / count:.2f}")
    print(f"  per resource added: {(busy_nodes - one_nodes) / max(args.buckets + args.tables + args.machines, 1):.2f} "
          f"nodes, {(busy_edges - one_edges) / max(args.buckets + args.tables + args.machines, 1):.2f} edges")


if __name__ == "__main__":
    main()
